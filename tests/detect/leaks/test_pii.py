"""The pii detector: validated identifiers flag, look-alikes and plain numbers do not.

Test ids are generated from the check-digit algorithms (stdnum's and the validators' own helpers,
which test_validators checks independently); none belongs to a real person.
"""

from __future__ import annotations

import time

import pytest
from stdnum import luhn, verhoeff
from stdnum.cn import ric
from stdnum.jp import in_ as my_number
from stdnum.kr import rrn

from wardgate.core import Atlas, Category, InputKind, OwaspLlm
from wardgate.detect.base import ScanContext, TextView
from wardgate.detect.leaks.pii import PiiConfig, PiiDetector
from wardgate.detect.leaks.validators import (
    hkid_check_digit,
    medicare_check_digit,
    sg_nric_check_letter,
)
from wardgate.detect.registry import get


def card(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def spaced(number: str, size: int = 4) -> str:
    return " ".join(number[i : i + size] for i in range(0, len(number), size))


def tfn(first_eight: str) -> str:
    weights = (1, 4, 3, 7, 5, 8, 6, 9, 10)
    partial = sum(int(d) * w for d, w in zip(first_eight, weights, strict=False))
    last = next(d for d in range(10) if (partial + 10 * d) % 11 == 0)
    return first_eight + str(last)


VISA = card("400000123456789")
AMEX = card("37828224631000")
NRIC = "S7654321" + sg_nric_check_letter("S", "7654321")
FIN = "G1357913" + sg_nric_check_letter("G", "1357913")
HKID = f"C668668({hkid_check_digit('C', '668668')})"
AADHAAR = "23456789012" + verhoeff.calc_check_digit("23456789012")
MY_NUMBER = "12345678901" + my_number.calc_check_digit("12345678901")
RRN = "900101-123456" + rrn.calc_check_digit("900101123456")
CN = "11010119900307123" + ric.calc_check_digit("11010119900307123" + "0")
MEDICARE = "21234567" + medicare_check_digit("21234567") + "1"
TFN = tfn("12345678")

# (kind, text, value) — the finding's span must cover exactly ``value``.
MUST_FLAG = [
    ("email", "write to jane.doe@acme-mail.net today", "jane.doe@acme-mail.net"),
    ("card", f"charged to {spaced(VISA)} yesterday", spaced(VISA)),
    ("card", f"card {VISA.replace('', '')}", VISA),
    ("card", f"amex {AMEX[:4]}-{AMEX[4:10]}-{AMEX[10:]}", f"{AMEX[:4]}-{AMEX[4:10]}-{AMEX[10:]}"),
    ("iban", "send it to GB82 WEST 1234 5698 7654 32 please", "GB82 WEST 1234 5698 7654 32"),
    ("iban", "IBAN DE89370400440532013000", "DE89370400440532013000"),
    ("phone", "ring me on +65 6123 4567", "+65 6123 4567"),
    ("phone", "office: +44 20 7946 0958", "+44 20 7946 0958"),
    ("phone", "phone: (202) 555-0143", "(202) 555-0143"),
    ("sg_nric", f"my NRIC is {NRIC}.", NRIC),
    ("sg_nric", f"applicant {FIN} lodged", FIN),
    ("sg_nric", f"ic {NRIC.lower()}", NRIC.lower()),
    ("my_mykad", "nombor 900101-14-5678 disahkan", "900101-14-5678"),
    ("my_mykad", "MyKad 900101145678", "900101145678"),
    ("hk_hkid", f"holder {HKID} verified", HKID),
    ("in_aadhaar", f"Aadhaar: {spaced(AADHAAR)}", spaced(AADHAAR)),
    ("in_aadhaar", f"aadhaar no {AADHAAR}", AADHAAR),
    ("in_pan", "PAN ABCPE1234F on file", "ABCPE1234F"),
    ("au_tfn", f"my TFN is {spaced(TFN, 3)}", spaced(TFN, 3)),
    ("au_medicare", f"Medicare card {MEDICARE}", MEDICARE),
    ("jp_my_number", f"マイナンバー {spaced(MY_NUMBER)}", spaced(MY_NUMBER)),
    ("kr_rrn", f"주민등록번호 {RRN}", RRN),
    ("kr_rrn", f"registered as {RRN} in Seoul", RRN),
    ("cn_ric", f"身份证 {CN}", CN),
    ("cn_ric", f"id {CN} on record", CN),
]


DETECTOR = PiiDetector()  # compiling the Hyperscan database once keeps the suite fast


def inspect(text: str, detector: PiiDetector | None = None, kind: InputKind = InputKind.PROMPT):
    return list((detector or DETECTOR).inspect(TextView(text, kind), ScanContext()))


@pytest.mark.parametrize(
    ("kind", "text", "value"), MUST_FLAG, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(MUST_FLAG)]
)
def test_validated_identifiers_flag(kind, text, value):
    findings = inspect(text)
    assert [f.rule_id for f in findings] == [f"pii.{kind}"]
    f = findings[0]
    assert text[f.span.start : f.span.end] == value
    assert f.score >= 0.5
    assert f.category is Category.PII
    assert f.tags == (OwaspLlm.SENSITIVE_INFORMATION_DISCLOSURE, Atlas.LLM_DATA_LEAKAGE)
    assert value not in f.evidence
    assert value not in f.message


MUST_PASS = [
    f"order number {VISA[:-1]}{(int(VISA[-1]) + 1) % 10} shipped",  # Luhn fails
    "In 2023 there were 1234 5678 cases and 9000-9500 deaths.",
    f"the value {TFN} appeared in row 7",  # valid TFN checksum but no TFN keyword
    f"reference {AADHAAR} in the ledger",  # bare 12 digits: too weak alone
    f"S7654321{'A' if NRIC[-1] != 'A' else 'B'} is not a valid NRIC",
    "ABCDE1234F is not a PAN (fifth-holder letter invalid)",
    "the ISBN 978-3-16-148410-0 and the date 2024-01-15",
    "Call me maybe at some point in 2025",
    "timestamp 1718034567123 and 1718034567",
    f"{CN[:-1]}{'0' if CN[-1] != '0' else '1'} fails the checksum",
    "version 1.2.3, port 8080, 3.14159265358979",
    "x = 4111 1111 1111 1112",
    "Email protocols like SMTP use @ signs, e.g. user@localhost",
    "documentation addresses such as jane@example.com or ops@mail.example.org or a@b.test",
]


@pytest.mark.parametrize("text", MUST_PASS)
def test_look_alikes_do_not_flag(text):
    assert inspect(text) == []


def test_keyword_boosts_score():
    bare = inspect(f"holder {HKID.replace('(', '').replace(')', '')} verified")
    keyed = inspect(f"HKID {HKID.replace('(', '').replace(')', '')}")
    assert bare == []
    assert keyed[0].rule_id == "pii.hk_hkid"
    assert keyed[0].score >= 0.9


def test_card_wins_over_shorter_ids_inside_it():
    findings = inspect(f"card {spaced(VISA)}")
    assert [f.rule_id for f in findings] == ["pii.card"]
    assert findings[0].evidence.endswith(VISA[-4:])
    assert "*" in findings[0].evidence


def test_config_filters_kinds():
    detector = PiiDetector(PiiConfig(exclude_kinds=("email",)))
    assert inspect("jane.doe@acme-mail.net", detector) == []
    only_cards = PiiDetector(PiiConfig(kinds=("card",)))
    assert inspect(f"NRIC {NRIC}", only_cards) == []


def test_registered_and_kinds():
    detector, config = get("pii").build({"phone_regions": ["SG"]})
    assert isinstance(detector, PiiDetector)
    assert config.phone_regions == ("SG",)
    assert detector.kinds == frozenset(InputKind)


@pytest.mark.parametrize(
    "text",
    ["", "\x00" * 1000, "\ud800" * 1000 + NRIC, "1" * 200_000, "1 " * 100_000, "a@" * 50_000,
     "+" + "1" * 100_000, "@" + "a" * 100_000 + ".com", "١٢٣٤٥٦٧٨٩٠١٢", "Ｓ7654321Ｄ" * 1000],
)  # fmt: skip
def test_hostile_input_never_raises(text):
    start = time.perf_counter()
    inspect(text)
    assert time.perf_counter() - start < 2.0


def test_speed_on_benign_text():
    text = ("The quarterly report covers revenue, churn and hiring plans for 2024. " * 30)[:2000]
    detector = PiiDetector()
    start = time.perf_counter()
    for _ in range(200):
        detector.inspect(TextView(text, InputKind.PROMPT), ScanContext())
    assert (time.perf_counter() - start) / 200 * 1000 < 1.0  # ~0.01 ms measured


@pytest.mark.parametrize("filler", ["lorem ipsum dolor sit amet ", "naïve café 東京 🔑 — "])
def test_long_text_spans_are_exact_around_non_ascii(filler):
    body = filler * 40_000
    text = f"{body}NRIC {NRIC} {body}{spaced(VISA)}"
    findings = inspect(text)
    assert [f.rule_id for f in findings] == ["pii.sg_nric", "pii.card"]
    assert text[findings[0].span.start : findings[0].span.end] == NRIC
    assert text[findings[1].span.start : findings[1].span.end] == spaced(VISA)


def test_many_candidates_fall_back_to_whole_text_scan():
    text = "1234 5678 " * 3_000 + f"NRIC {NRIC}" + " 2345 6789" * 3_000
    assert [f.rule_id for f in inspect(text)] == ["pii.sg_nric"]
