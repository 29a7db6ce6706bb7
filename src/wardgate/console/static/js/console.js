// Behaviour shared by every console page. Pages work without it; it adds confirmations,
// copy buttons, refreshes of pages that wait for a background job, and a "new detections" hint.

export const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";
export const pollMs = () => Number(document.querySelector('meta[name="poll-ms"]')?.content) || 5000;

export async function api(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrfToken();
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
    throw new Error("signed out");
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

export const formatNumber = (value) =>
  value === null || value === undefined ? "—" : Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 });

document.addEventListener("submit", (event) => {
  const message = event.submitter?.dataset.confirm ?? event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    button.textContent = "Selected: press Ctrl+C";
  }
});

const waiting = document.querySelector("[data-refresh-ms]");
if (waiting) window.setTimeout(() => window.location.reload(), Number(waiting.dataset.refreshMs) || 2000);

const newer = document.querySelector("[data-newer-api]");
if (newer) {
  const check = async () => {
    try {
      const page = await api(newer.dataset.newerApi);
      const count = page.items.length;
      if (count > 0) {
        newer.hidden = false;
        newer.textContent = "";
        const link = document.createElement("a");
        link.href = window.location.pathname + window.location.search.replace(/([?&])(before|after)=\d+&?/g, "$1");
        link.textContent = `● ${count}${page.newer !== null ? "+" : ""} new: show`;
        newer.append(link);
        return;
      }
    } catch {
      /* offline for a moment: try again later */
    }
    window.setTimeout(check, pollMs());
  };
  window.setTimeout(check, pollMs());
}
