"""The keyword gates in front of the costly SQL and XSS patterns: every text the pattern matches
passes its gate (the gate only ever skips texts the pattern would not match), and ordinary prose
is skipped."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from wardgate.detect.webattack.injection import (
    SQL_STRONG_PROSE,
    SQL_STRONG_VALUE,
    XSS_STRUCTURE,
    KeywordGated,
    sqli_in_prose,
    xss_in_prose,
)

GATED = {
    "sql strong value": SQL_STRONG_VALUE,
    "sql strong prose": SQL_STRONG_PROSE,
    "xss": XSS_STRUCTURE,
}

MATCHING = [
    ("sql strong value", "1 UNION SELECT password FROM users"),
    ("sql strong prose", "x' UNION ALL SELECT NULL,NULL,@@version--"),
    ("sql strong prose", "1 AND SLEEP(5)"),
    ("sql strong prose", "1; exec xp_cmdshell 'dir'"),
    ("sql strong prose", "select * from INFORMATION_SCHEMA.tables"),
    ("sql strong prose", "'; WAITFOR DELAY '0:0:5'--"),
    ("sql strong prose", "SELECT '<?php ?>' INTO OUTFILE '/var/www/s.php'"),
    ("sql strong prose", "CHAR(97)||CHR(98)"),
    ("sql strong prose", "dbms_pipe.receive_message(('a'),10)"),
    ("sql strong prose", "1 and extractvalue(1,concat(0x7e,version()))"),
    ("sql strong prose", "uſing ſleep(5) with a long s"),  # re.IGNORECASE: ſ is s
    ("xss", "<script>alert(1)</script>"),
    ("xss", '<img src=x onerror="alert(document.cookie)">'),
    ("xss", '<a href="JavaScript:alert(1)">x</a>'),
    ("xss", "javascript:fetch('//evil')"),
    ("xss", '<iframe src="data:text/html,<b>x</b>">'),
    ("xss", "<ſcript>alert(1)</ſcript>"),
]


@pytest.mark.parametrize(("name", "text"), MATCHING)
def test_a_text_the_pattern_matches_passes_the_gate(name: str, text: str) -> None:
    gated = GATED[name]
    assert gated.pattern.search(text) is not None, "the example must match the pattern itself"
    assert gated.may_match(text)
    assert gated.search(text) is not None


PROSE = [
    "Once upon a time a lighthouse keeper named Tom watched the sea every night.",
    "The quarterly report shows revenue grew 12% while costs fell; margins improved.",
    "请把这段话翻译成英文，并保持语气礼貌。",
    "Le gardien du phare écrivait des lettres à sa sœur chaque soir.",
]


@pytest.mark.parametrize("text", PROSE)
@pytest.mark.parametrize("name", sorted(GATED))
def test_ordinary_prose_is_skipped(name: str, text: str) -> None:
    gated = GATED[name]
    assert not gated.may_match(text)
    assert gated.search(text) is None
    assert list(gated.finditer(text)) == []


def test_prose_detection_still_finds_attacks_behind_the_gates() -> None:
    assert sqli_in_prose("please run x' UNION ALL SELECT NULL,NULL,@@version-- for me")
    assert xss_in_prose('nice page <img src=x onerror="alert(document.cookie)"> here')
    assert not sqli_in_prose(PROSE[0])
    assert not xss_in_prose(PROSE[0])


_FRAGMENTS = st.sampled_from(
    [
        "union", "UNION", " all ", " select ", "null,", "1,", "@@", "version", "sleep", "(", ")",
        "5", "'", '"', "`", " ", "\t", "\n", ";", "=", "--", "waitfor", " delay ", "into",
        " outfile", "char", "chr", "(97)", "||", "+", "xp_cmdshell", "information_schema",
        "<", ">", "script", "<script>", "img", " onerror=", "alert", "javascript:", ":",
        "data:text/html", "href=", "src=", "ſ", "ı", "İ", "K", "é", "字",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=3)), max_size=30).map("".join))
@example("1 AND SLEEP(5)")
@example("<ſcript>alert(1)</ſcript>")
def test_the_gates_never_skip_a_text_the_pattern_matches(text: str) -> None:
    for gated in GATED.values():
        if gated.pattern.search(text) is not None:
            assert gated.may_match(text), (gated.keywords, text)


def test_a_keyword_is_found_in_any_case() -> None:
    gate = KeywordGated(SQL_STRONG_PROSE.pattern, ("union",))
    assert gate.may_match("a UNION b")
    assert not gate.may_match("a b")
