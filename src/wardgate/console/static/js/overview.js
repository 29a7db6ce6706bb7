// The overview, live: polls /api/overview and redraws the totals, the chart (uPlot, from npm)
// and the top lists. Without JavaScript the page shows the same data as drawn by the server.
import { api, formatNumber, pollMs } from "./console.js";

const live = document.getElementById("live");
const chartBox = document.getElementById("traffic-chart");
const windowName = live?.dataset.window ?? "24h";
const SVG = "http://www.w3.org/2000/svg";
const TOPS = { category: "findings", route: "flagged", identity: "flagged", model: "requests" };
const LINKS = { category: "/detections", route: "/detections", identity: "/detections", model: "/traffic" };
const COLOURS = { requests: "#1f6feb", flagged: "#d97706", blocked: "#c0262d" };
let plot = null;

function svg(name, attributes = {}, text = undefined) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function short(value) {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e4) return `${Math.round(value / 1e3)}k`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(value);
}

function drawBars(container, rows, field, dimension) {
  container.textContent = "";
  if (!rows.length) {
    const empty = document.createElement("p");
    empty.className = "muted";
    empty.textContent = "Nothing yet.";
    container.append(empty);
    return;
  }
  const width = 360, row = 26, labelWidth = 150, barWidth = width - labelWidth - 56;
  const peak = Math.max(...rows.map((r) => r[field])) || 1;
  const chart = svg("svg", { class: "bars", viewBox: `0 0 ${width} ${row * rows.length + 4}`, role: "img" });
  const css = { category: "bar cat", route: "bar route", identity: "bar ident", model: "bar model" }[dimension];
  rows.forEach((r, i) => {
    const y = i * row + 2;
    const length = Math.max(2, (barWidth * r[field]) / peak);
    const name = String(r.value);
    const link = svg("a", { href: `${LINKS[dimension]}?${dimension}=${encodeURIComponent(name)}` });
    const label = svg("text", { class: "label", x: 0, y: (y + row * 0.62).toFixed(1) }, name.length > 22 ? `${name.slice(0, 21)}…` : name);
    label.append(svg("title", {}, `${name}: ${r[field]}`));
    link.append(label);
    chart.append(link);
    chart.append(svg("rect", { class: css, x: labelWidth, y: y + 4, width: length.toFixed(1), height: row - 10, rx: 3 }));
    chart.append(svg("text", { class: "value", x: (labelWidth + length + 6).toFixed(1), y: (y + row * 0.62).toFixed(1) }, short(r[field])));
  });
  container.append(chart);
}

function drawChart(data) {
  if (!chartBox || !window.uPlot) return;
  const series = [data.times, data.series.requests, data.series.flagged, data.series.blocked];
  if (plot) {
    plot.setData(series);
    return;
  }
  chartBox.textContent = "";
  const line = (label, key) => ({ label, stroke: COLOURS[key], width: 2, fill: `${COLOURS[key]}1f`, points: { show: false } });
  plot = new window.uPlot(
    {
      width: chartBox.clientWidth || 600,
      height: 220,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
      scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [{ stroke: "#5f6b7a", grid: { stroke: "#e8edf3" } }, { stroke: "#5f6b7a", grid: { stroke: "#e8edf3" }, size: 50 }],
      series: [{}, line("Requests", "requests"), line("With detections", "flagged"), line("Blocked", "blocked")],
    },
    series,
    chartBox,
  );
  new ResizeObserver(() => plot.setSize({ width: chartBox.clientWidth, height: 220 })).observe(chartBox);
}

function update(data) {
  for (const node of document.querySelectorAll("[data-total]")) node.textContent = formatNumber(data.totals[node.dataset.total]);
  for (const node of document.querySelectorAll("[data-count]")) node.textContent = formatNumber(data.counts[node.dataset.count]);
  for (const node of document.querySelectorAll("[data-top]")) {
    const dimension = node.dataset.top;
    drawBars(node, data.top[dimension] ?? [], TOPS[dimension], dimension);
  }
  drawChart(data);
}

async function refresh() {
  try {
    update(await api(`/api/overview?window=${encodeURIComponent(windowName)}`));
    live.classList.remove("stale");
    live.textContent = "● live";
    live.dataset.updated = String(Date.now());
  } catch {
    live.classList.add("stale");
    live.textContent = "○ reconnecting";
  }
  window.setTimeout(refresh, pollMs());
}

if (live) refresh();
