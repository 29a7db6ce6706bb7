"""Checksum and structure validators for personal identifiers.

A digit run is only evidence of an identifier when its check digit, date or range fields hold: that
is what keeps invoice numbers and timestamps from being reported as national ids. python-stdnum
implements most of these algorithms and is used wherever it covers the identifier; the rest (cards'
issuer ranges, Singapore NRIC/FIN, Hong Kong HKID, Australian Medicare) are written out here from
their published algorithms. Every validator takes the text as found (separators included), never
raises, and returns a bool.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import iban as _iban
from stdnum import luhn as _luhn
from stdnum.au import tfn as _au_tfn
from stdnum.cn import ric as _cn_ric
from stdnum.in_ import aadhaar as _in_aadhaar
from stdnum.in_ import pan as _in_pan
from stdnum.jp import in_ as _jp_in
from stdnum.kr import rrn as _kr_rrn
from stdnum.my import nric as _my_nric

_SEPARATORS = re.compile(r"[\s\-/().]")


def compact(value: str) -> str:
    """Strip separators and upper-case, the form checksums are computed on."""
    return _SEPARATORS.sub("", value).upper()


def _safe(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """Wrap a stdnum ``is_valid`` so that no input can make a validator raise."""

    def run(value: str) -> bool:
        try:
            return bool(check(value))
        except Exception:
            return False

    run.__name__ = run.__qualname__ = f"{check.__module__.removeprefix('stdnum.')}.is_valid"
    run.__doc__ = check.__doc__
    return run


# --- payment cards ------------------------------------------------------------------------------

# (first prefix, last prefix, allowed lengths, brand): prefixes compared on their own digit count.
_CARD_RANGES: tuple[tuple[int, int, frozenset[int], str], ...] = (
    (4, 4, frozenset({13, 16, 19}), "visa"),
    (51, 55, frozenset({16}), "mastercard"),
    (2221, 2720, frozenset({16}), "mastercard"),
    (34, 34, frozenset({15}), "amex"),
    (37, 37, frozenset({15}), "amex"),
    (6011, 6011, frozenset({16, 17, 18, 19}), "discover"),
    (644, 649, frozenset({16, 17, 18, 19}), "discover"),
    (65, 65, frozenset({16, 17, 18, 19}), "discover"),
    (3528, 3589, frozenset({16, 17, 18, 19}), "jcb"),
    (300, 305, frozenset({14, 15, 16, 17, 18, 19}), "diners"),
    (36, 36, frozenset({14, 15, 16, 17, 18, 19}), "diners"),
    (38, 39, frozenset({16, 17, 18, 19}), "diners"),
    (62, 62, frozenset({16, 17, 18, 19}), "unionpay"),
    (2200, 2204, frozenset({16, 17, 18, 19}), "mir"),
    (50, 50, frozenset(range(12, 20)), "maestro"),
    (56, 69, frozenset(range(12, 20)), "maestro"),
)


def card_brand(value: str) -> str | None:
    """The card scheme whose issuer range and length fit ``value``, or None."""
    digits = compact(value)
    if not digits.isascii() or not digits.isdigit():
        return None
    for low, high, lengths, brand in _CARD_RANGES:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return brand
    return None


def is_payment_card(value: str) -> bool:
    """Luhn check digit, a known issuer range and a length that range issues."""
    digits = compact(value)
    if card_brand(digits) is None or len(set(digits)) < 2:
        return False
    return _safe(_luhn.is_valid)(digits)


# --- bank accounts, e-mail ----------------------------------------------------------------------

is_iban = _safe(_iban.is_valid)
"""ISO 13616 IBAN: country-specific length and structure, ISO 7064 mod 97-10 check digits."""

_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_EMAIL_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_EMAIL_TLD = re.compile(r"[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59}")


def is_email(value: str) -> bool:
    """RFC 5321 shape: dot-atom local part (<= 64), host labels, alphabetic top-level domain."""
    local, at, domain = value.rpartition("@")
    if not at or not local or len(local) > 64 or len(domain) > 253:
        return False
    if not _EMAIL_LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not _EMAIL_TLD.fullmatch(labels[-1]):
        return False
    return all(_EMAIL_LABEL.fullmatch(label) for label in labels[:-1])


_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
_RESERVED_TLDS = ("example", "test", "invalid", "localhost", "local")


def is_documentation_email(value: str) -> bool:
    """An address at a name reserved for documentation (RFC 2606/6761): ``x@example.com``."""
    domain = value.rpartition("@")[2].lower().rstrip(".")
    return (
        domain.endswith(_RESERVED_DOMAINS)
        and (
            domain in _RESERVED_DOMAINS
            or domain.endswith(tuple("." + d for d in _RESERVED_DOMAINS))
        )
    ) or domain.rpartition(".")[2] in _RESERVED_TLDS


def is_personal_email(value: str) -> bool:
    """A well-formed address that is not a documentation example."""
    return is_email(value) and not is_documentation_email(value)


# --- Singapore NRIC / FIN -----------------------------------------------------------------------

_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
# Offset added to the weighted sum, and the check letters indexed by (sum % 11), per prefix.
_NRIC_TABLES: dict[str, tuple[int, str]] = {
    "S": (0, "JZIHGFEDCBA"),
    "T": (4, "JZIHGFEDCBA"),
    "F": (0, "XWUTRQPNMLK"),
    "G": (4, "XWUTRQPNMLK"),
    "M": (3, "XWUTRQPNJLK"),
}


def sg_nric_check_letter(prefix: str, digits: str) -> str:
    """The check letter of a Singapore NRIC/FIN with ``prefix`` and seven ``digits``."""
    offset, letters = _NRIC_TABLES[prefix]
    total = offset + sum(w * int(d) for w, d in zip(_NRIC_WEIGHTS, digits, strict=True))
    return letters[total % 11]


def is_sg_nric(value: str) -> bool:
    """Singapore NRIC/FIN: S/T (citizens, PRs), F/G/M (foreigners), 7 digits, check letter."""
    v = compact(value)
    if len(v) != 9 or v[0] not in _NRIC_TABLES or not v[1:8].isdigit() or not v[1:8].isascii():
        return False
    return sg_nric_check_letter(v[0], v[1:8]) == v[8]


# --- Hong Kong HKID -----------------------------------------------------------------------------


def hkid_check_digit(letters: str, digits: str) -> str:
    """The check character of an HKID with a one- or two-letter prefix and six digits."""
    padded = letters.rjust(2)  # a one-letter prefix is weighed as (space, letter); space is 36
    values = [36 if c == " " else ord(c) - ord("A") + 10 for c in padded]
    values += [int(d) for d in digits]
    total = sum(w * v for w, v in zip(range(9, 1, -1), values, strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def is_hkid(value: str) -> bool:
    """Hong Kong identity card number, e.g. ``A123456(3)``: weighted mod-11 check character."""
    v = compact(value)
    if not v.isascii() or len(v) not in (8, 9):
        return False
    letters, digits, check = v[:-7], v[-7:-1], v[-1]
    if not (letters.isalpha() and digits.isdigit()):
        return False
    return hkid_check_digit(letters, digits) == check


# --- India --------------------------------------------------------------------------------------

is_aadhaar = _safe(_in_aadhaar.is_valid)
"""India Aadhaar: 12 digits, not starting with 0 or 1, Verhoeff check digit."""

is_pan = _safe(_in_pan.is_valid)
"""India PAN: AAAAA9999A, fourth letter one of the defined holder types."""


# --- Australia ----------------------------------------------------------------------------------

is_au_tfn = _safe(_au_tfn.is_valid)
"""Australian Tax File Number: 8 or 9 digits, weighted mod-11 checksum."""

_MEDICARE_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9)


def medicare_check_digit(first_eight: str) -> str:
    """The ninth digit of an Australian Medicare card number."""
    return str(sum(w * int(d) for w, d in zip(_MEDICARE_WEIGHTS, first_eight, strict=True)) % 10)


def is_au_medicare(value: str) -> bool:
    """Australian Medicare card: 10 digits (11 with the IRN), first digit 2-6, check digit 9th."""
    v = compact(value)
    if len(v) not in (10, 11) or not v.isascii() or not v.isdigit() or v[0] not in "23456":
        return False
    return medicare_check_digit(v[:8]) == v[8] and v[9] != "0"


# --- Japan, Korea, China, Malaysia --------------------------------------------------------------

is_jp_my_number = _safe(_jp_in.is_valid)
"""Japan Individual Number (My Number): 12 digits, mod-11 check digit."""

_kr_rrn_valid = _safe(_kr_rrn.is_valid)


def is_kr_rrn_date(value: str) -> bool:
    """Korea RRN structure without the checksum: valid birth date and a century/gender digit.

    Numbers issued since October 2020 no longer carry a check digit, so the structure alone is
    what can be verified for them.
    """
    v = compact(value)
    if len(v) != 13 or not v.isascii() or not v.isdigit():
        return False
    try:
        _kr_rrn.get_birth_date(v)
    except Exception:
        return False
    return True


def is_kr_rrn(value: str) -> bool:
    """Korea resident registration number with a valid date and check digit."""
    return is_kr_rrn_date(value) and _kr_rrn_valid(compact(value))


is_cn_ric = _safe(_cn_ric.is_valid)
"""China resident identity number: 18 characters, ISO 7064 MOD 11-2, birth date, region code."""

is_my_mykad = _safe(_my_nric.is_valid)
"""Malaysia MyKad (NRIC): YYMMDD-PB-###G with a valid date and a known birthplace code."""
