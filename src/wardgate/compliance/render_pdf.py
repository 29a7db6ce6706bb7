"""The report as a PDF, for auditors who file documents rather than web pages.

Written with ``fpdf2``: pure Python (its only native dependency, Pillow, ships wheels with the
image libraries built in), no system libraries, no network. The built-in PDF core fonts cover
Latin-1 only, so text is folded to Latin-1 (common typography mapped, anything else ``?``);
hashes and ids are ASCII and survive unchanged. Charts are drawn with PDF primitives. The
document's creation date is the report's, so the same report gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from wardgate.compliance import charts
from wardgate.compliance.assess import Assessment, Status
from wardgate.compliance.controls import AIVERIFY_PRINCIPLES, ATLAS_VERSION, Strength
from wardgate.compliance.frameworks import FRAMEWORKS
from wardgate.compliance.report import Report

_FOLD = str.maketrans(
    {
        "≥": ">=",
        "≤": "<=",
        "—": "-",
        "–": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "→": "->",
        "•": "*",
        "×": "x",
        "\u00a0": " ",
    }
)
_FONT = "Helvetica"
_GREY = (82, 96, 109)
_INK = (31, 41, 51)


def latin1(text: object) -> str:
    """``text`` as the core fonts can draw it."""
    folded = str(text).translate(_FOLD)
    return folded.encode("latin-1", "replace").decode("latin-1")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer_text
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(auto=True, margin=16)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, size=7)
        self.set_text_color(*_GREY)
        self.cell(0, 5, latin1(f"{self._footer_text}  -  page {self.page_no()}"), align="C")


def _heading(pdf: FPDF, text: str, size: float = 14) -> None:
    pdf.ln(2)
    pdf.set_font(_FONT, style="B", size=size)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(0, size * 0.5, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _para(pdf: FPDF, text: str, size: float = 9, colour: tuple[int, int, int] = _INK) -> None:
    pdf.set_font(_FONT, size=size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.48, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _bullets(pdf: FPDF, items: Sequence[str], colour: tuple[int, int, int] = _INK) -> None:
    for item in items:
        _para(pdf, f"- {item}", 8.5, colour)


def _table(
    pdf: FPDF,
    head: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float] | None = None,
) -> None:
    pdf.set_font(_FONT, size=8)
    pdf.set_text_color(*_INK)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(
        cell_fill_mode="NONE",
        col_widths=tuple(widths) if widths else None,
        text_align="LEFT",
        line_height=4,
        headings_style=FontFace(emphasis="BOLD", fill_color=(240, 244, 248)),
        padding=1,
    ) as table:
        header = table.row()
        for h in head:
            header.cell(latin1(h))
        if not rows:
            row = table.row()
            row.cell("none recorded", colspan=len(head))
        for values in rows:
            row = table.row()
            for v in values:
                row.cell(latin1(v))
    pdf.ln(2)


def _status_bar(pdf: FPDF, report: Report) -> None:
    counts = report.summary
    total = sum(counts.values()) or 1
    x, y, width, height = pdf.l_margin, pdf.get_y(), pdf.epw, 7
    for status in Status:
        w = width * counts[status.value] / total
        if w <= 0:
            continue
        pdf.set_fill_color(*_rgb(charts.STATUS_COLOURS[status.value]))
        pdf.rect(x, y, w, height, style="F")
        pdf.set_xy(x, y)
        pdf.set_font(_FONT, style="B", size=8)
        pdf.set_text_color(255, 255, 255)
        pdf.cell(w, height, latin1(f"{counts[status.value]}"), align="C")
        x += w
    pdf.set_xy(pdf.l_margin, y + height + 2)
    legend = "   ".join(f"{s.label}: {counts[s.value]}" for s in Status)
    _para(pdf, legend, 8.5)


def _columns_chart(pdf: FPDF, series: Sequence[tuple[str, int, int]], title: str) -> None:
    _para(pdf, title, 9)
    height, left = 38.0, pdf.l_margin + 14
    width = pdf.epw - 14
    if pdf.get_y() + height + 10 > pdf.h - pdf.b_margin:
        pdf.add_page()
    top_y = pdf.get_y() + 2
    base_y = top_y + height
    top = max((t for _, t, _ in series), default=0)
    pdf.set_draw_color(*_INK)
    pdf.line(left, base_y, left + width, base_y)
    pdf.set_font(_FONT, size=6.5)
    pdf.set_text_color(*_GREY)
    pdf.set_xy(pdf.l_margin, top_y - 1)
    pdf.cell(13, 3, f"{top:,}", align="R")
    if series and top > 0:
        step = min(width / len(series), 12.0)
        label_every = max(1, -(-len(series) // 8))
        for i, (label, total, part) in enumerate(series):
            x = left + i * step + step * 0.1
            h = height * total / top
            pdf.set_fill_color(*_rgb(charts.BAR))
            pdf.rect(x, base_y - h, step * 0.8, h, style="F")
            if part:
                hp = max(height * part / top, 0.3)
                pdf.set_fill_color(*_rgb(charts.BAR_ALT))
                pdf.rect(x, base_y - hp, step * 0.8, hp, style="F")
            if i % label_every == 0:
                pdf.set_xy(x - 4, base_y + 0.5)
                pdf.cell(step * 0.8 + 8, 3, latin1(label), align="C")
    pdf.set_xy(pdf.l_margin, base_y + 5)
    _para(pdf, "blue: decisions; red: blocked", 7.5, _GREY)
    pdf.ln(1)


def _bars_chart(pdf: FPDF, items: Sequence[tuple[str, int]], title: str) -> None:
    _para(pdf, title, 9)
    if not items:
        _para(pdf, "none recorded", 8, _GREY)
        return
    row, label_w = 5.0, 30.0
    if pdf.get_y() + row * len(items) + 4 > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = max(v for _, v in items) or 1
    span = pdf.epw - label_w - 20
    pdf.set_font(_FONT, size=7.5)
    for label, value in items:
        y = pdf.get_y()
        pdf.set_text_color(*_INK)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w - 2, row, latin1(label[:24]), align="R")
        w = max(span * value / top, 0.5)
        pdf.set_fill_color(*_rgb(charts.BAR))
        pdf.rect(pdf.l_margin + label_w, y + 0.8, w, row - 1.6, style="F")
        pdf.set_xy(pdf.l_margin + label_w + w + 1, y)
        pdf.cell(18, row, f"{value:,}")
        pdf.set_xy(pdf.l_margin, y + row)
    pdf.ln(2)


def _control(pdf: FPDF, a: Assessment) -> None:
    if pdf.get_y() > pdf.h - pdf.b_margin - 30:
        pdf.add_page()
    pdf.set_font(_FONT, style="B", size=10)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(
        0,
        5,
        latin1(f"{a.control.number}. {a.control.title}"),
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(_FONT, style="B", size=8.5)
    pdf.set_text_color(*_rgb(charts.STATUS_COLOURS[a.status.value]))
    pdf.cell(
        0, 4.5, latin1(f"Status: {a.status.label.upper()}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    _bullets(pdf, a.observed)
    if a.missing:
        _para(pdf, "Missing:", 8.5, (138, 28, 28))
        _bullets(pdf, a.missing, (138, 28, 28))
    if a.notes:
        _bullets(pdf, a.notes, _GREY)
    _para(pdf, f"Rule: {a.rule}", 7.5, _GREY)
    maps = "; ".join(
        f"{FRAMEWORKS[fw].name}: {', '.join(ids)}"
        for fw, ids in a.control.mappings.by_framework().items()
    )
    _para(pdf, f"Maps to: {maps}", 7.5, _GREY)
    pdf.ln(2)


def render_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4)."""
    ev = report.evidence
    pdf = _Pdf(f"Wardgate compliance evidence - {report.window_text}")
    pdf.set_title(latin1("Wardgate compliance evidence report"))
    pdf.set_author(latin1(f"wardgate {report.version}"))
    pdf.set_creator(latin1(f"wardgate {report.version}"))
    pdf.set_creation_date(datetime.fromisoformat(ev.generated_at.replace("Z", "+00:00")))
    pdf.add_page()

    _heading(pdf, "Wardgate compliance evidence report", 18)
    for label, value in (
        ("Generated", ev.generated_at),
        ("Window", report.window_text),
        ("Database", ev.database),
        ("Audit log", f"{ev.log.origin or 'none'} ({ev.log.records:,} records)"),
        ("Generator", f"wardgate {report.version}; MITRE ATLAS data {ATLAS_VERSION}"),
    ):
        _para(pdf, f"{label}: {value}", 9, _GREY)
    cp = ev.checkpoints
    pdf.ln(2)
    if cp.verified is True:
        _para(
            pdf,
            f"Audit log verified offline with the public key (sha256 {cp.key_sha256}): "
            f"{cp.valid_checkpoints} valid checkpoints cover {cp.verified_size} records.",
            9,
            _rgb(charts.STATUS_COLOURS["met"]),
        )
    elif cp.verified is False:
        _para(
            pdf,
            "Audit log verification FAILED: " + "; ".join(cp.problems[:5]),
            9,
            _rgb(charts.STATUS_COLOURS["not_met"]),
        )
    else:
        _para(
            pdf,
            "Not verified: no public key was given; figures are as trustworthy as the "
            "database they were read from.",
            9,
            _rgb(charts.STATUS_COLOURS["partial"]),
        )
    for note in ev.notes:
        _para(pdf, note, 8.5, _GREY)

    _heading(pdf, "Summary")
    _status_bar(pdf, report)
    _table(
        pdf,
        ("#", "Control", "Status"),
        [(a.control.number, a.control.title, a.status.label) for a in report.assessments],
        (8, 140, 34),
    )
    _para(
        pdf,
        "Each status is derived from the evidence by the rule printed under the control. "
        "Partial lists what is missing; not applicable means Wardgate has no feature for the "
        "control, so this report neither claims nor denies it.",
        8.5,
        _GREY,
    )

    pdf.add_page()
    _heading(pdf, "Controls")
    for a in report.assessments:
        _control(pdf, a)

    d = ev.decisions
    pdf.add_page()
    _heading(pdf, "Traffic and detections")
    _table(
        pdf,
        ("figure", "value"),
        [
            ("decisions", f"{d.total:,}"),
            ("authenticated", f"{d.authenticated:,} ({(d.authenticated_share or 0):.2%})"),
            ("authentication failures", f"{d.auth_failures:,}"),
            (
                "blocked (enforced)",
                f"{d.enforced_blocks:,} requests, {d.response_blocks:,} responses",
            ),
            ("would have blocked (monitor)", f"{d.would_block:,}"),
            ("redactions", f"{d.redactions:,} in {d.redacted_decisions:,} decisions"),
            ("throttled / denied", f"{d.throttled:,} / {d.denied:,}"),
            ("detections", f"{d.detections:,}"),
            ("tokens in / out", f"{d.tokens_input:,} / {d.tokens_output:,}"),
            (
                "gateway latency",
                f"p50 {d.latency.p50_ms} ms, p99 {d.latency.p99_ms} ms"
                if d.latency.count
                else "not recorded",
            ),
        ],
        (60, 122),
    )
    _columns_chart(pdf, charts.timeline(d.per_day, d.blocked_per_day), "Decisions per day")
    owasp = sorted((t, n) for t, n in d.detections_by_tag.items() if t.startswith(("LLM", "API")))
    _bars_chart(pdf, owasp[:20], "Detections by OWASP Top 10 id")
    _table(
        pdf,
        ("route", "decisions", "blocked", "would block", "redacted", "anonymous"),
        [
            (n, r.decisions, r.blocked, r.would_block, r.redacted, r.anonymous)
            for n, r in list(d.routes.items())[:40]
        ],
    )

    cfg = ev.config
    _heading(pdf, "Configuration")
    if cfg.present:
        _table(
            pdf,
            ("item", "value"),
            [
                ("in force since", f"{cfg.snapshot_time} ({cfg.snapshot_event})"),
                ("configuration sha256", cfg.config_sha256 or "unrecorded"),
                ("policy set sha256", cfg.policy_sha256 or "unrecorded"),
                ("policy ids", ", ".join(cfg.policy_ids) or "none"),
                (
                    "changes in window",
                    f"{cfg.changes_in_window} configuration, {cfg.policy_updates_in_window} policy",
                ),
            ],
            (45, 137),
        )
        _table(
            pdf,
            ("route", "provider", "mode", "anonymous", "upstream"),
            [
                (r.name, r.provider, r.mode, "yes" if r.anonymous else "no", r.upstream_host)
                for r in cfg.routes
            ],
        )
    else:
        _para(pdf, "No configuration snapshot in the audit trail up to the window's end.")

    _heading(pdf, "AI Verify principles")
    _para(
        pdf,
        "A gateway sees traffic, not training data or the organisation around the model: "
        "principles 2, 7, 8 and 11 cannot be evidenced here.",
        8.5,
        _GREY,
    )
    strength = {
        Strength.STRONG: "strongly",
        Strength.PARTIAL: "partly",
        Strength.NONE: "hardly at all",
    }
    _table(
        pdf,
        ("#", "principle", "evidenced", "why"),
        [(p.number, p.name, strength[p.strength], p.reason) for p in AIVERIFY_PRINCIPLES],
        (8, 45, 24, 105),
    )
    return bytes(pdf.output())
