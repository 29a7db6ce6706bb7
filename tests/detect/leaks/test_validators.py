"""Validators: each identifier with ids generated from its published algorithm, valid and broken.

The generators below are written independently of the code under test (no shared helpers), so a
wrong weight or table in the validator shows up as a failure here.
"""

from __future__ import annotations

import pytest

from wardgate.detect.leaks import validators as v


def luhn_complete(body: str) -> str:
    """Append the Luhn check digit to ``body``."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def nric(prefix: str, digits: str) -> str:
    weights = [2, 7, 6, 5, 4, 3, 2]
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    total += {"S": 0, "F": 0, "T": 4, "G": 4, "M": 3}[prefix]
    table = {"S": "ABCDEFGHIZJ", "T": "ABCDEFGHIZJ", "F": "KLMNPQRTUWX", "G": "KLMNPQRTUWX",
             "M": "KLJNPQRTUWX"}[prefix]  # fmt: skip
    return prefix + digits + table[10 - total % 11]


def hkid(letters: str, digits: str) -> str:
    chars = (" " + letters)[-2:] if len(letters) == 1 else letters
    values = [36 if c == " " else "ABCDEFGHIJKLMNOPQRSTUVWXYZ".index(c) + 10 for c in chars]
    values += [int(d) for d in digits]
    remainder = sum(val * w for val, w in zip(values, [9, 8, 7, 6, 5, 4, 3, 2], strict=True)) % 11
    check = {0: "0", 1: "A"}.get(remainder, str(11 - remainder))
    return f"{letters}{digits}({check})"


def medicare(first_eight: str, issue: str = "1") -> str:
    check = sum(int(d) * w for d, w in zip(first_eight, [1, 3, 7, 9, 1, 3, 7, 9], strict=True)) % 10
    return first_eight + str(check) + issue


VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]  # fmt: skip
VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]  # fmt: skip
VERHOEFF_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def aadhaar(body: str) -> str:
    c = 0
    for i, ch in enumerate(reversed(body)):
        c = VERHOEFF_D[c][VERHOEFF_P[(i + 1) % 8][int(ch)]]
    return body + str(VERHOEFF_INV[c])


def tfn(first_eight: str) -> str:
    weights = [1, 4, 3, 7, 5, 8, 6, 9, 10]
    partial = sum(int(d) * w for d, w in zip(first_eight, weights, strict=False))
    for last in range(10):
        if (partial + last * 10) % 11 == 0:
            return first_eight + str(last)
    raise ValueError("no check digit for this prefix")


def my_number(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2], strict=True))
    r = total % 11
    return body + ("0" if r <= 1 else str(11 - r))


def rrn(body: str) -> str:
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return f"{body[:6]}-{body[6:]}{(11 - total % 11) % 10}"


def cn_ric(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def iban(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def broken(value: str) -> str:
    """Change the last digit (or letter) so that the check no longer holds."""
    last = value[-1]
    if last.isdigit():
        return value[:-1] + str((int(last) + 1) % 10)
    return value[:-1] + ("B" if last != "B" else "C")


VISA = luhn_complete("400000123456789")
MASTERCARD = luhn_complete("555544443333111")
MASTERCARD_2 = luhn_complete("222300001234567")
AMEX = luhn_complete("37828224631000")
NRICS = [nric("S", "1234567"), nric("T", "0123456"), nric("F", "9876543"), nric("G", "5550123"),
         nric("M", "4242424")]  # fmt: skip
HKIDS = [hkid("A", "123456"), hkid("K", "654321"), hkid("XA", "987654"), hkid("Z", "000012")]
AADHAARS = [aadhaar("23456789012"), aadhaar("98765432101")]
TFNS = [tfn("12345678"), tfn("87654321")]
MEDICARES = [medicare("21234567"), medicare("59876543", "3")]
MY_NUMBERS = [my_number("12345678901"), my_number("98765432109")]
RRNS = [rrn("900101123456"), rrn("020315312345")]
CN_RICS = [cn_ric("11010119900307123"), cn_ric("44030520010101004")]
IBANS = [iban("GB", "WEST12345698765432"), iban("DE", "370400440532013000")]

CASES = [
    (v.is_payment_card, [VISA, MASTERCARD, MASTERCARD_2, AMEX, "4111 1111 1111 1111"],
     [broken(VISA), luhn_complete("123456789012345"), "0000000000000000", "4111-1111-1111"]),
    (v.is_sg_nric, [*NRICS, "s1234567d"],
     [broken(n) for n in NRICS] + ["A1234567D", "S123456D", "S12345678D"]),
    (v.is_hkid, [*HKIDS, HKIDS[0].replace("(", "").replace(")", "")],
     [broken(h.replace("(", "").replace(")", "")) for h in HKIDS] + ["1A23456(3)", "A12345(6)"]),
    (v.is_aadhaar, [*AADHAARS, "2345 6789 " + AADHAARS[0][8:]],
     [broken(a) for a in AADHAARS] + ["1" + AADHAARS[0][1:], "0" + AADHAARS[1][1:]]),
    (v.is_pan, ["ABCPE1234F", "AAACB9999Z", "ZZZTQ0001A"],
     ["ABCDE1234F", "ABCPE0000F", "ABCP1234F", "12CPE1234F"]),
    (v.is_au_tfn, [*TFNS, "123 456 782"], [broken(t) for t in TFNS] + ["12345"]),
    (v.is_au_medicare, [*MEDICARES, "2123 45670 1"],
     [broken(m[:9]) + m[9] for m in MEDICARES] + ["1123456701", medicare("21234567", "0")]),
    (v.is_jp_my_number, MY_NUMBERS, [broken(n) for n in MY_NUMBERS] + ["1234"]),
    (v.is_kr_rrn, RRNS, [broken(r) for r in RRNS] + [rrn("901301123456"), rrn("900230123456")]),
    (v.is_cn_ric, CN_RICS,
     [broken(c) for c in CN_RICS] + [cn_ric("11010119901307123"), cn_ric("99999919900307123")]),
    (v.is_my_mykad, ["900101-14-5678", "000229-10-1235", "850615085011"],
     ["901301-14-5678", "900101-00-5678", "900101-14-567", "010229-10-1235"]),
    (v.is_iban, [*IBANS, "GB82 WEST 1234 5698 7654 32"], [broken(i) for i in IBANS] + ["GB00"]),
    (v.is_email, ["jane.doe@mail.example.org", "a+tag@sub.domain.co.uk", "x_y@host.io"],
     ["plainaddress", "a@b", "a..b@host.com", "a@-host.com", "a@host.c0m", "@host.com"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("check", "value"),
    [(c, val) for c, good, _ in CASES for val in good],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_valid_ids_pass(check, value):
    assert check(value) is True


@pytest.mark.parametrize(
    ("check", "value"),
    [(c, val) for c, _, bad in CASES for val in bad],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_invalid_ids_fail(check, value):
    assert check(value) is False


def test_kr_rrn_date_only_accepts_numbers_without_check_digit():
    no_checksum = broken(RRNS[0])
    assert v.is_kr_rrn(no_checksum) is False
    assert v.is_kr_rrn_date(no_checksum) is True
    assert v.is_kr_rrn_date("901301-1234567") is False


@pytest.mark.parametrize(
    ("number", "brand"),
    [(VISA, "visa"), (MASTERCARD, "mastercard"), (MASTERCARD_2, "mastercard"), (AMEX, "amex"),
     (luhn_complete("601100009990139"), "discover"), (luhn_complete("353011133330000"), "jcb"),
     ("1234567812345678", None)],
)  # fmt: skip
def test_card_brand(number, brand):
    assert v.card_brand(number) == brand


@pytest.mark.parametrize("check", [c for c, _, _ in CASES])
@pytest.mark.parametrize(
    "value", ["", "\x00" * 12, "\ud800" * 9, "١٢٣٤٥٦٧٨٩٠١٢", "Ｓ1234567D", "x" * 10_000]
)
def test_hostile_input_never_raises(check, value):
    assert check(value) in (True, False)


@pytest.mark.parametrize(
    ("address", "documentation"),
    [("jane@example.com", True), ("ops@mail.example.org", True), ("a@b.test", True),
     ("x@host.invalid", True), ("jane@acme-mail.net", False), ("jane@notexample.com", False)],
)  # fmt: skip
def test_documentation_email(address, documentation):
    assert v.is_documentation_email(address) is documentation
    assert v.is_personal_email(address) is (not documentation)
