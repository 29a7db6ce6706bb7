import re

from wardgate.compliance.render_pdf import latin1, render_pdf


def test_pdf_has_pages_and_is_repeatable(sample_report):
    data = render_pdf(sample_report)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type /Page\b(?!s)", data))
    assert pages >= 4
    assert b"/Title (Wardgate compliance evidence report)" in data
    assert render_pdf(sample_report) == data


def test_text_is_folded_to_latin1():
    assert latin1("≥ 99% — ok “yes” 中") == '>= 99% - ok "yes" ?'
    assert latin1("café") == "café"
