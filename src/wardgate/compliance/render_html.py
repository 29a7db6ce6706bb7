"""The report as one self-contained HTML page an auditor can open, read, print or archive.

No script, no external resource (fonts, styles, images are inline or system ones), charts as
inline SVG (:mod:`~wardgate.compliance.charts`). Every value that came from the database is
escaped. Print CSS keeps a control's row on one page and drops the on-screen chrome.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from wardgate.compliance import charts
from wardgate.compliance.assess import Assessment, Status
from wardgate.compliance.controls import AIVERIFY_PRINCIPLES, ATLAS_VERSION, Strength
from wardgate.compliance.frameworks import FRAMEWORKS
from wardgate.compliance.report import Report

_OWASP = re.compile(r"(LLM\d\d|API\d{1,2})")

_CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 28px 0 8px;
  border-bottom: 2px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 0 0 12px; } .meta td { padding: 1px 12px 1px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
  font-weight: 600; font-size: 12px; white-space: nowrap; }
.met { background: #1a7f37; } .partial { background: #b7791f; } .not_met { background: #c62828; }
.not_applicable { background: #6b7280; }
.summary { display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
ul.facts { margin: 2px 0; padding-left: 18px; } ul.facts li { margin: 1px 0; }
.missing li { color: #8a1c1c; } .notes li { color: var(--muted); }
.rule { color: var(--muted); font-size: 12px; margin-top: 4px; }
.map { font-size: 12px; color: var(--muted); }
.banner { padding: 10px 14px; border-radius: 6px; margin: 12px 0; border: 1px solid var(--line); }
.banner.ok { background: #e6f4ea; } .banner.bad { background: #fdecea; } .banner.warn { background: #fff7e6; }
.chart { max-width: 100%; height: auto; }
code { font-size: 12px; word-break: break-all; }
td, li { overflow-wrap: anywhere; } td:first-child { white-space: nowrap; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; } tr, .chart, .banner { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 14mm; }
"""


def _e(value: object) -> str:
    return escape(str(value))


def _badge(status: Status) -> str:
    return f'<span class="badge {status.value}">{_e(status.label)}</span>'


def _list(items: Iterable[str], cls: str = "") -> str:
    rows = "".join(f"<li>{_e(i)}</li>" for i in items)
    return f'<ul class="facts {cls}">{rows}</ul>' if rows else ""


def _table(
    head: Sequence[str], rows: Iterable[Sequence[object]], numeric: set[int] | None = None
) -> str:
    numeric = numeric or set()
    th = "".join(
        f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>"
        for i, h in enumerate(head)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(head)}">none recorded</td></tr>')
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _mappings(a: Assessment) -> str:
    parts = [
        f"<b>{_e(FRAMEWORKS[fw].name)}</b>: {_e(', '.join(ids))}"
        for fw, ids in a.control.mappings.by_framework().items()
    ]
    return '<div class="map">' + "<br>".join(parts) + "</div>"


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.2%}"


def _header(report: Report) -> str:
    ev = report.evidence
    cp = ev.checkpoints
    if cp.verified is True:
        banner = (
            '<div class="banner ok"><b>Audit log verified offline</b> with the public key '
            f"(sha256 <code>{_e(cp.key_sha256)}</code>): {_e(cp.valid_checkpoints)} valid signed "
            f"checkpoints cover {_e(cp.verified_size)} records; {_e(cp.unverified_records)} newer "
            "records are not yet covered by a checkpoint.</div>"
        )
    elif cp.verified is False:
        banner = (
            '<div class="banner bad"><b>Audit log verification FAILED.</b> The figures below come '
            "from a store that does not match its signed checkpoints."
            + _list(cp.problems or [cp.verify_error or "unknown error"])
            + "</div>"
        )
    else:
        banner = (
            '<div class="banner warn"><b>Not verified.</b> No public key was given, so these '
            "figures are as trustworthy as the database they were read from. Re-run with "
            "<code>--public-key</code> to verify the log against its signed checkpoints.</div>"
        )
    rows = [
        ("Generated", ev.generated_at),
        ("Window", report.window_text),
        ("Database", ev.database),
        ("Audit log", f"{ev.log.origin or 'none'} ({ev.log.records:,} records)"),
        ("Generator", f"wardgate {report.version}; MITRE ATLAS data {ATLAS_VERSION}"),
    ]
    meta = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    notes = _list(ev.notes, "notes")
    return (
        "<header><h1>Wardgate compliance evidence report</h1>"
        f'<table class="meta">{meta}</table>{banner}{notes}</header>'
    )


def _summary(report: Report) -> str:
    counts = report.summary
    segments = [(s.label, counts[s.value], charts.STATUS_COLOURS[s.value]) for s in Status]
    legend = "".join(
        f'<span><i style="background:{charts.STATUS_COLOURS[s.value]}"></i>'
        f"{_e(s.label)}: {counts[s.value]}</span>"
        for s in Status
    )
    rows = "".join(
        f'<tr><td><a href="#c{a.control.number}">{a.control.number}</a></td>'
        f"<td>{_e(a.control.title)}</td><td>{_badge(a.status)}</td></tr>"
        for a in report.assessments
    )
    return (
        '<section><h2 id="summary">Summary</h2><div class="summary">'
        + charts.donut(segments, title="Controls by status")
        + f'<div><p class="legend">{legend}</p>'
        "<p>Each status is derived from the evidence by the rule printed under the control. "
        "<b>Partial</b> lists exactly what is missing; <b>not applicable</b> means Wardgate has "
        "no feature for the control, so this report neither claims nor denies it.</p></div></div>"
        f"<table><thead><tr><th>#</th><th>Control</th><th>Status</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _controls(report: Report) -> str:
    rows = []
    for a in report.assessments:
        detail = (
            _list(a.observed)
            + (("<b>Missing</b>" + _list(a.missing, "missing")) if a.missing else "")
            + (_list(a.notes, "notes") if a.notes else "")
            + f'<div class="rule">Rule: {_e(a.rule)}</div>'
        )
        rows.append(
            f'<tr id="c{a.control.number}"><td>{a.control.number}</td>'
            f"<td><b>{_e(a.control.title)}</b><br>{_badge(a.status)}"
            f'<div class="map">Evidence needed: {_e("; ".join(a.control.evidence))}</div></td>'
            f"<td>{detail}</td><td>{_mappings(a)}</td></tr>"
        )
    return (
        '<section><h2 id="controls">Controls</h2><table><thead><tr><th>#</th><th>Control</th>'
        "<th>What the gateway observed</th><th>Maps to</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _traffic(report: Report) -> str:
    d = report.evidence.decisions
    figures = [
        ("decisions", f"{d.total:,}"),
        ("authenticated", f"{d.authenticated:,} ({_pct(d.authenticated_share)})"),
        ("anonymous", f"{d.anonymous:,}"),
        ("authentication failures", f"{d.auth_failures:,}"),
        ("blocked (enforced)", f"{d.enforced_blocks:,} requests, {d.response_blocks:,} responses"),
        ("would have blocked (monitor mode)", f"{d.would_block:,}"),
        ("redactions", f"{d.redactions:,} in {d.redacted_decisions:,} decisions"),
        ("throttled / denied", f"{d.throttled:,} / {d.denied:,}"),
        ("detections", f"{d.detections:,}"),
        ("distinct principals", f"{d.principals:,}"),
        ("tokens in / out", f"{d.tokens_input:,} / {d.tokens_output:,}"),
        (
            "gateway latency",
            f"p50 {d.latency.p50_ms} ms, p99 {d.latency.p99_ms} ms, max {d.latency.max_ms} ms"
            if d.latency.count
            else "not recorded",
        ),
    ]
    owasp = [(t, n) for t, n in d.detections_by_tag.items() if _OWASP.fullmatch(t)]
    atlas = [(t, n) for t, n in d.detections_by_tag.items() if t.startswith("AML.")]
    routes = [
        (name, r.decisions, r.blocked, r.would_block, r.redacted, r.throttled, r.anonymous)
        for name, r in d.routes.items()
    ]
    return (
        '<section><h2 id="traffic">Traffic and detections</h2>'
        + _table(("figure", "value"), figures)
        + "<h3>Decisions per day</h3>"
        + charts.columns(
            charts.timeline(d.per_day, d.blocked_per_day), title="Decisions and blocks over time"
        )
        + "<h3>Detections by OWASP Top 10 id</h3>"
        + charts.hbars(sorted(owasp, key=lambda x: x[0])[:20], title="Detections by OWASP id")
        + "<h3>Detections by MITRE ATLAS technique</h3>"
        + charts.hbars(atlas[:20], title="Detections by ATLAS technique")
        + "<h3>Blocked and redacted by data class / threat</h3>"
        + _table(
            ("category", "detections", "blocked decisions", "redacted decisions"),
            [
                (c, n, d.blocked_by_category.get(c, 0), d.redacted_by_category.get(c, 0))
                for c, n in d.detections_by_category.items()
            ],
            {1, 2, 3},
        )
        + "<h3>Per route</h3>"
        + _table(
            ("route", "decisions", "blocked", "would block", "redacted", "throttled", "anonymous"),
            routes,
            {1, 2, 3, 4, 5, 6},
        )
        + "<h3>How prompts and answers are logged</h3>"
        + _table(("form", "fields"), list(d.text_fields.items()), {1})
        + "</section>"
    )


def _configuration(report: Report) -> str:
    ev = report.evidence
    cfg = ev.config
    if not cfg.present:
        return (
            '<section><h2 id="config">Configuration</h2><p>No configuration snapshot in the '
            "audit trail up to the window's end.</p></section>"
        )
    facts = [
        ("in force since", f"{cfg.snapshot_time} ({cfg.snapshot_event})"),
        ("configuration sha256", cfg.config_sha256 or "unrecorded"),
        ("policy set sha256", cfg.policy_sha256 or "unrecorded"),
        ("policy ids", ", ".join(cfg.policy_ids) or "none"),
        ("detection", ", ".join(f"{k}={v}" for k, v in cfg.detection.items()) or "unrecorded"),
        (
            "changes in window",
            f"{cfg.changes_in_window} configuration, {cfg.policy_updates_in_window} policy",
        ),
    ]
    routes = [
        (
            r.name,
            r.provider,
            r.mode,
            {True: "closed", False: "open", None: "?"}[r.fail_closed],
            "yes" if r.anonymous else "no",
            r.upstream_host,
            ", ".join(r.unprotected_reasons) or "-",
        )
        for r in cfg.routes
    ]
    changes = [
        (c.time, c.kind, c.event, c.config_sha256 or "-", c.policy_sha256 or "-", c.by or "-")
        for c in cfg.changes
    ]
    keys = ev.keys
    return (
        '<section><h2 id="config">Configuration and change management</h2>'
        + _table(("item", "value"), facts)
        + "<h3>Routes</h3>"
        + _table(
            ("route", "provider", "mode", "on failure", "anonymous", "upstream", "unprotected"),
            routes,
        )
        + "<h3>Changes in the window (latest 100)</h3>"
        + _table(("time", "record", "event", "config sha256", "policy sha256", "by"), changes)
        + "<h3>API keys</h3>"
        + _table(("event", "count"), list(keys.events.items()), {1})
        + f"<p>Keys created without an expiry: {keys.created_without_expiry}</p>"
        + "</section>"
    )


def _integrity(report: Report) -> str:
    ev = report.evidence
    cp, inc, inv = ev.checkpoints, ev.incidents, ev.inventory
    checkpoints = [
        ("checkpoints", f"{cp.count} ({cp.readable} readable)"),
        ("latest", f"#{cp.latest_id}: size {cp.latest_size}, {cp.latest_time}"),
        ("latest root", cp.latest_root or "-"),
        ("key recorded in the store (sha256)", cp.recorded_key_sha256 or "-"),
        ("verified", {True: "yes", False: "NO", None: "not checked (no key)"}[cp.verified]),
        ("latest validly signed checkpoint", cp.latest_valid_time or "-"),
    ]
    incidents = [
        ("opened / acknowledged / resolved", f"{inc.opened} / {inc.acknowledged} / {inc.resolved}"),
        ("false positives", inc.false_positive),
        ("mean / median time to acknowledge (s)", f"{inc.mean_ack_s} / {inc.median_ack_s}"),
        ("mean / median time to resolve (s)", f"{inc.mean_resolve_s} / {inc.median_resolve_s}"),
        ("incident store", "available" if inc.store.available else inc.store.reason),
    ]
    inventory = [
        (
            "API inventory",
            f"{inv.api.endpoints} endpoints, {inv.api.ai_endpoints} AI, "
            f"{inv.api.unauthenticated} unauthenticated"
            if inv.api.available
            else inv.api.reason,
        ),
        (
            "shadow / zombie endpoints",
            f"{inv.api.shadow} / {inv.api.zombie}"
            if inv.api.shadow is not None
            else "unknown (needs a declared spec)",
        ),
        (
            "AI model inventory",
            f"{inv.ai_models.models} models, {inv.ai_models.unapproved} unapproved"
            if inv.ai_models.available
            else inv.ai_models.reason,
        ),
    ]
    bench = ev.benchmarks
    bench_html = "<p>No benchmark page given.</p>"
    if bench is not None:
        bench_html = (
            f"<p>From <code>{_e(bench.path)}</code> (sha256 <code>{_e(bench.sha256)}</code>)</p>"
            + _table(
                ("section", "criterion", "target", "measured", "met"),
                [
                    (
                        i.section,
                        i.criterion,
                        i.target,
                        i.measured,
                        {True: "yes", False: "no", None: "-"}[i.met],
                    )
                    for i in bench.items
                ],
            )
        )
    return (
        '<section><h2 id="integrity">Audit trail, incidents, inventory</h2>'
        + _table(("checkpoint", "value"), checkpoints)
        + "<h3>Incidents</h3>"
        + _table(("item", "value"), incidents)
        + "<h3>Inventory</h3>"
        + _table(("item", "value"), inventory)
        + "<h3>Benchmarks</h3>"
        + bench_html
        + "</section>"
    )


def _principles() -> str:
    rows = [
        (
            p.number,
            p.name,
            {
                Strength.STRONG: "strongly",
                Strength.PARTIAL: "partly",
                Strength.NONE: "hardly at all",
            }[p.strength],
            p.reason,
        )
        for p in AIVERIFY_PRINCIPLES
    ]
    return (
        '<section><h2 id="aiverify">AI Verify principles a gateway can evidence</h2>'
        "<p>A gateway sees traffic, not training data or the organisation around the model. "
        "Principles 2 (explainability), 7 (fairness), 8 (data governance) and 11 (inclusive "
        "growth) cannot be evidenced from here and are not answered by "
        "<code>--format aiverify</code>.</p>"
        + _table(("#", "principle", "evidenced", "why"), rows)
        + "</section>"
    )


def render_html(report: Report) -> bytes:
    """The whole report as a UTF-8 HTML document."""
    body = "".join(
        (
            _header(report),
            _summary(report),
            _controls(report),
            _traffic(report),
            _configuration(report),
            _integrity(report),
            _principles(),
        )
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Wardgate compliance evidence, {_e(report.window_text)}</title>"
        f"<style>{_CSS}</style></head><body>{body}</body></html>\n"
    )
    return page.encode("utf-8")
