"""Where sensitive data flows: which fields of an endpoint carry personal data or secrets.

:func:`classify` names, for one observed call, the locations (``query.email``,
``request.header.x-user-phone``, ``request.body.$.customer.email``,
``response.body.$.items[*].card``) and the kinds of data seen there (``EMAIL``, ``CARD``,
``SG_NRIC``, ``GITHUB_TOKEN``, ``SECRET``...), using the gateway's own PII and secrets detectors so
that discovery and enforcement agree on what is sensitive. Field names add what values cannot show
(a masked card, a short password): ``PASSWORD (by name)``.

Running the detectors once per field would cost a Hyperscan call each; instead every candidate
value becomes one ``label: value`` line of a single text (the field name as label gives the
detectors the keyword context they use, e.g. ``tfn:``), lines are kept far enough apart that no
keyword or pattern reaches the next one, and each finding is mapped back to its field by offset.
Work is bounded (leaves walked, values scanned per location, characters per value) and values that
cannot be sensitive (short strings, booleans, small numbers, UUIDs, timestamps) never reach the
detectors. Only kinds and paths come out; no value is kept.

Cost, per 1 KB JSON body on one core: about 20-25 µs to walk it, plus the detectors (a few µs,
about 10 µs more per e-mail address and 30-100 µs per phone number validated). That is more than
the per-observation budget of a 16k/s ingest, so callers classify a sample of each endpoint's
traffic (as the inventory does), not every call.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import cache
from itertools import islice, repeat
from typing import Final, NamedTuple
from urllib.parse import parse_qsl

from wardgate.core.finding import Category, Finding
from wardgate.core.phase import InputKind
from wardgate.detect.base import ScanContext, TextView
from wardgate.detect.leaks.pii import KEYWORD_AFTER, KEYWORD_BEFORE, PiiDetector
from wardgate.detect.leaks.secrets import HIGH_ENTROPY_RULE_ID, RULES, SecretsDetector
from wardgate.detect.redact import finding_kind
from wardgate.discovery.auth import is_credential_header
from wardgate.discovery.observation import Observation

MAX_LEAVES = 1024
"""JSON values walked per body."""
MAX_DEPTH = 32
MAX_ARRAY_ITEMS = 64
"""Items walked per array; a location is scanned at most :data:`MAX_SCANS_PER_LOCATION` times."""
MAX_SCANS_PER_LOCATION = 4
"""Values scanned per location and observation: the 40th e-mail of a list says nothing new."""
MAX_VALUE_CHARS = 2048
MAX_TEXT_BODY_CHARS = 16 * 1024
MAX_PAIRS = 128
"""Query parameters, headers or form fields looked at per observation and side."""
MIN_SCAN_CHARS = 6
"""No identifier or credential the detectors know is shorter (``a@b.co``)."""

# Lines are kept this far apart so that no keyword window (PII: 48 before, secrets: up to 120
# before an AWS secret key) and no pattern reaches from one field into the next.
_GAP = "\n" * max(128, KEYWORD_BEFORE + KEYWORD_AFTER + 1)
_LABEL_CHARS = 48


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NOT_PARSED: Final = _Sentinel("NOT_PARSED")
"""Default of :func:`classify`'s ``request_json``/``response_json``: parse the body here."""
NOT_JSON: Final = _Sentinel("NOT_JSON")
"""What :func:`parse_json_body` returns for a body that is absent or not JSON."""


# --- names ---------------------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_DYNAMIC = re.compile(r"[0-9]{4}|@|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}|[\x00-\x1f\x7f]")
_SEGMENTS = re.compile(r"[_.:/ -]+")
_COMPACT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def is_dynamic_key(key: str) -> bool:
    """Whether an object key is data, not a field name: an id, a date, an e-mail, a UUID.

    Maps keyed by such values (``{"users": {"8f3k…": {...}}}``) get one wildcard location (and,
    in schemas, ``additionalProperties``) instead of one field per key, which keeps locations
    bounded and the key itself out of every inventory.
    """
    if not key:
        return False
    if len(key) > 64 or key.isdigit() or _DYNAMIC.search(key):
        return True
    for seg in _SEGMENTS.split(key):
        if len(seg) >= 8:
            digits = sum(c.isdigit() for c in seg)
            if digits >= 3 and digits * 4 >= len(seg):
                return True
    return False


# Field names that say what a value is, matched on the name's lower-case letters and digits, at
# its end (``customer_password``, ``cardNumber``), after dropping one of _HINT_TAILS.
_HINTS: dict[str, tuple[str, ...]] = {
    "PASSWORD": ("password", "passwd", "passphrase", "pwd"),
    "SSN": ("ssn", "socialsecuritynumber", "socialsecurityno"),
    "NRIC": ("nric", "nricno", "nricnumber"),
    "MY_MYKAD": ("mykad", "mykadno", "mykadnumber"),
    "HK_HKID": ("hkid", "hkidno", "hkidnumber"),
    "IN_AADHAAR": ("aadhaar", "aadhar", "aadhaarno", "aadhaarnumber"),
    "AU_TFN": ("tfn", "taxfilenumber"),
    "JP_MY_NUMBER": ("mynumber",),
    "NATIONAL_ID": ("nationalid", "nationalidnumber", "nationalidentitynumber"),
    "PASSPORT": ("passport", "passportno", "passportnumber"),
    "CARD": ("cardnumber", "cardno", "ccnumber", "ccnum", "creditcard", "creditcardnumber"),
    "CVV": ("cvv", "cvv2", "cvc", "cvc2", "securitycode"),
    "DATE_OF_BIRTH": ("dob", "dateofbirth", "birthdate", "birthday"),
    "IBAN": ("iban",),
    "PRIVATE_KEY": ("privatekey",),
    "SECRET": ("secret", "clientsecret", "secretkey"),
    "API_KEY": ("apikey",),
    "TOKEN": ("token",),
    "EMAIL": ("email", "emailaddress"),
    "PHONE": ("phone", "phonenumber", "phoneno", "mobile", "mobilenumber"),
}
_HINT_TAILS = ("hashed", "hash", "confirmation", "confirm", "encrypted", "plaintext", "plain")
# Tokens that page through results or guard forms: named like credentials, never one.
_NOT_CREDENTIAL_TOKENS = (
    "pagetoken",
    "nexttoken",
    "continuationtoken",
    "cursortoken",
    "synctoken",
    "resumetoken",
    "paginationtoken",
    "csrftoken",
    "xsrftoken",
)
_HINT_SUFFIXES = sorted(
    ((suffix, kind) for kind, suffixes in _HINTS.items() for suffix in suffixes),
    key=lambda pair: -len(pair[0]),
)


def _is_cursor(name: str) -> bool:
    return _COMPACT.sub("", name.lower()).endswith(_NOT_CREDENTIAL_TOKENS)


def name_hint(name: str) -> str | None:
    """The kind a field's name announces (``PASSWORD`` for ``newPassword``), or None."""
    if len(name) > 64:
        return None
    compact = _COMPACT.sub("", name.lower())
    for tail in _HINT_TAILS:
        if compact.endswith(tail) and len(compact) > len(tail):
            compact = compact[: -len(tail)]
            break
    if compact.endswith(_NOT_CREDENTIAL_TOKENS):
        return None
    for suffix, kind in _HINT_SUFFIXES:
        if compact.endswith(suffix):
            return kind
    return None


def _segment(key: str) -> str:
    """The key as a normalised JSON-path step: ``.email``, ``['odd key']``."""
    if _IDENT.fullmatch(key):
        return "." + key
    return "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _label(key: str) -> str:
    """The key as words (``taxFileNumber``: ``tax File Number``), context for the detectors."""
    return _SEGMENTS.sub(" ", _CAMEL.sub(" ", key[:_LABEL_CHARS])).strip() or "value"


class _Field(NamedTuple):
    """What a key means to the scan: its path step, its label, the kind its name announces."""

    segment: str
    label: str
    hint: str | None


_DATA_KEY = _Field(".*", "value", None)
_ROOT = _Field("$", "value", None)
_BODY = _Field("", "body", None)
_FIELDS: dict[str, _Field] = {}
_MAX_FIELDS = 8192


def _field(key: str) -> _Field:
    """Cached per field name; keys that are data are never cached (nor kept anywhere)."""
    found = _FIELDS.get(key)
    if found is None:
        if is_dynamic_key(key):
            return _DATA_KEY
        hint = name_hint(key)
        label = _label(key)
        if hint is None and _is_cursor(key):  # keep "token" out of the detectors' context
            label = "cursor"
        found = _Field(_segment(key), label, hint)
        if len(_FIELDS) < _MAX_FIELDS:
            _FIELDS[key] = found
    return found


# --- kinds ---------------------------------------------------------------------------------------

# Secret rules that recognise a credential by context, not format: their kind is plain SECRET.
_GENERIC_SECRET_RULES = frozenset(
    {"secret.assignment", "secret.auth_header", HIGH_ENTROPY_RULE_ID}
    | {r.rule_id for r in RULES if r.generic}
)
SECRET_KINDS: frozenset[str] = frozenset(
    {"SECRET"}
    | {
        r.rule_id.rsplit(".", 1)[-1].upper()
        for r in RULES
        if r.rule_id not in _GENERIC_SECRET_RULES
    }
)
"""The kinds :func:`classify` gives credentials (``GITHUB_TOKEN``, ``JWT``, ``SECRET``...)."""

# A name hint is left out where a detected kind already says the same.
_HINT_COVERED_BY: dict[str, frozenset[str]] = {
    "NRIC": frozenset({"SG_NRIC", "MY_MYKAD"}),
    "NATIONAL_ID": frozenset(
        {"SG_NRIC", "MY_MYKAD", "HK_HKID", "IN_AADHAAR", "CN_RIC", "KR_RRN", "JP_MY_NUMBER"}
    ),
    "PASSWORD": SECRET_KINDS,
    "SECRET": SECRET_KINDS,
    "API_KEY": SECRET_KINDS,
    "TOKEN": SECRET_KINDS,
    "PRIVATE_KEY": SECRET_KINDS,
}


def kind_of(finding: Finding) -> str:
    """The kind a finding stands for: ``EMAIL``, ``SG_NRIC``, ``GITHUB_TOKEN`` or ``SECRET``."""
    if finding.category is Category.SECRET and finding.rule_id in _GENERIC_SECRET_RULES:
        return "SECRET"
    return finding_kind(finding)


# --- values --------------------------------------------------------------------------------------

# Values that are certainly not sensitive although they have digits.
_PLAIN_VALUE = (
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # UUID
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?)?"  # ISO date, date-time
    r"|1[0-9]{9}(?:[0-9]{3})?(?:\.[0-9]+)?"  # epoch seconds / milliseconds
    r"|-?[0-9]{1,8}(?:\.[0-9]+)?"  # counts, prices, small ids
)
# Worth scanning: at least MIN_SCAN_CHARS long, not a plain value, and with a digit or an @
# somewhere (everything the detectors find has one, PEM armour aside). One regex call per value.
_WORTH_SCANNING = re.compile(
    r"(?=[\s\S]{"
    + str(MIN_SCAN_CHARS)
    + r"})(?!(?:"
    + _PLAIN_VALUE
    + r")\Z)[\s\S]*?(?:[0-9@]|-----)"
).match
_BIG_INT = 10**11  # shorter integers are neither cards nor national ids


def _worth_scanning(value: str) -> bool:
    return _WORTH_SCANNING(value) is not None


def parse_json_body(body: bytes | None, content_type: str) -> object:
    """The body as a JSON value, or :data:`NOT_JSON` (absent, another type, invalid, truncated).

    Parse once and hand the result to both :func:`classify` and the schema sketches.
    """
    if not body:
        return NOT_JSON
    if "json" not in content_type and not (not content_type and body.lstrip()[:1] in (b"{", b"[")):
        return NOT_JSON
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return NOT_JSON


def _is_text(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type.endswith(("/xml", "+xml"))


# --- the scan ------------------------------------------------------------------------------------

Location = tuple[str, ...]


class _Scan:
    """Collects candidate values of one observation into one text, then maps findings back."""

    __slots__ = (
        "counts",
        "ends",
        "entries",
        "hints",
        "leaves",
        "locations",
        "offset",
        "parts",
        "starts",
    )

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.locations: list[list[Location]] = []
        self.entries: dict[tuple[str, str], int] = {}
        self.counts: dict[Location, int] = {}
        self.hints: dict[Location, str] = {}
        self.leaves = 0

    def add(self, field: _Field, value: str, location: Location) -> None:
        """Note ``field``'s name hint, and queue ``value`` if it can be sensitive."""
        if field.hint is not None:
            self.hints[location] = field.hint
        if _worth_scanning(value):
            self.queue(field, value, location)

    def queue(self, field: _Field, value: str, location: Location) -> None:
        """Queue ``value`` (worth scanning) unless its location has been scanned enough."""
        seen = self.counts.get(location, 0)
        if seen >= MAX_SCANS_PER_LOCATION:
            return
        self.counts[location] = seen + 1
        value = value[:MAX_VALUE_CHARS]
        entry = (field.label, value)
        known = self.entries.get(entry)
        if known is not None:  # the same value again (a response echoing its request): scan once
            if location not in self.locations[known]:
                self.locations[known].append(location)
            return
        self.entries[entry] = len(self.starts)
        head = field.label + ": "
        start = self.offset + len(head)
        self.parts += (head, value, _GAP)
        self.starts.append(start)
        self.ends.append(start + len(value))
        self.locations.append([location])
        self.offset = start + len(value) + len(_GAP)

    def pairs(self, prefix: str, pairs: tuple[tuple[str, str], ...], *, headers: bool) -> None:
        for name, value in pairs[:MAX_PAIRS]:
            if headers and (name in _DATA_FREE_HEADERS or is_credential_header(name)):
                continue
            field = _field(name)
            self.add(field, value, (prefix, field.segment))

    def body(self, prefix: str, body: bytes | None, content_type: str, parsed: object) -> None:
        if parsed is NOT_PARSED:
            parsed = parse_json_body(body, content_type)
        if parsed is not NOT_JSON:
            self.leaves = MAX_LEAVES
            self.walk(parsed, _ROOT, [prefix + ".body.$"], 0)
            return
        if not body:
            return
        if content_type == "application/x-www-form-urlencoded":
            text = body[: MAX_TEXT_BODY_CHARS * 4].decode("utf-8", "replace")
            first = "&".join(text.split("&", MAX_PAIRS)[:MAX_PAIRS])
            fields = parse_qsl(first, keep_blank_values=True)
            self.pairs(prefix + ".form", tuple(fields), headers=False)
        elif _is_text(content_type):
            text = body[: MAX_TEXT_BODY_CHARS * 4].decode("utf-8", "replace")
            self.add(_BODY, text[:MAX_TEXT_BODY_CHARS], (prefix + ".body",))

    def walk(self, value: object, field: _Field, path: list[str], depth: int) -> None:
        """Queue the leaves under ``value``; ``field`` names it (an array's items take its name).

        Scalars are handled in the loop, without a call each, and those that cannot matter (no
        name hint and a value too short, too plain or of the wrong type) are dropped before their
        location is even built: most leaves of a body are those.
        """
        budget = self.leaves
        if depth >= MAX_DEPTH or budget <= 0:
            return
        members: Iterable[tuple[object, object]]
        if type(value) is dict:
            n = min(len(value), budget)
            members = value.items() if n == len(value) else islice(value.items(), n)
        elif type(value) is list:
            n = min(len(value), budget, MAX_ARRAY_ITEMS)
            members = zip(repeat(None), value[:n])
        else:
            self.leaf(value, field, (*path,))
            return
        self.leaves = budget - n
        step = "[*]"
        named = field
        for member, item in members:
            if member is not None:
                if type(member) is not str:
                    continue
                named = _FIELDS.get(member) or _field(member)
                step = named.segment
            if type(item) is str:
                if named.hint is not None:
                    self.add(named, item, (*path, step))
                elif _WORTH_SCANNING(item):
                    self.queue(named, item, (*path, step))
            elif type(item) is dict or type(item) is list:
                path.append(step)
                self.walk(item, named, path, depth + 1)
                path.pop()
            elif type(item) is int or (item is None and named.hint is not None):
                self.leaf(item, named, (*path, step))

    def leaf(self, value: object, field: _Field, location: Location) -> None:
        """A scalar: strings and big integers are scanned, null and small numbers only named."""
        if type(value) is str:
            self.add(field, value, location)
        elif type(value) is int and not -_BIG_INT < value < _BIG_INT and value.bit_length() <= 64:
            self.add(field, str(value), location)
        elif field.hint is not None and (value is None or type(value) is int):
            self.add(field, "", location)

    def findings(self) -> dict[str, set[str]]:
        result: dict[Location, set[str]] = {}
        if self.parts:
            pii, secrets = _detectors()
            view = TextView("".join(self.parts), InputKind.DOCUMENT)
            context = ScanContext()
            for finding in (*pii.inspect(view, context), *secrets.inspect(view, context)):
                if finding.span is None:
                    continue
                kind = kind_of(finding)
                for location in self._locations_of(finding.span.start, finding.span.end):
                    result.setdefault(location, set()).add(kind)
        for location, hint in self.hints.items():
            kinds = result.setdefault(location, set())
            covered = _HINT_COVERED_BY.get(hint, frozenset({hint}))
            if not kinds & covered:
                kinds.add(f"{hint} (by name)")
        return {"".join(location): kinds for location, kinds in result.items() if kinds}

    def _locations_of(self, start: int, end: int) -> list[Location]:
        """The fields whose values the span ``[start, end)`` overlaps (labels and gaps are not)."""
        found: list[Location] = []
        i = max(bisect_right(self.starts, start) - 1, 0)
        while i < len(self.starts) and self.starts[i] < end:
            if self.ends[i] > start:
                found += self.locations[i]
            i += 1
        return found


# Standard headers that carry protocol metadata, never a person's data or a credential.
_DATA_FREE_HEADERS = frozenset(
    {
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "accept-ranges",
        "access-control-allow-credentials",
        "access-control-allow-headers",
        "access-control-allow-methods",
        "access-control-allow-origin",
        "access-control-expose-headers",
        "access-control-max-age",
        "age",
        "cache-control",
        "connection",
        "content-encoding",
        "content-language",
        "content-length",
        "content-security-policy",
        "content-type",
        "date",
        "etag",
        "expires",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "keep-alive",
        "last-modified",
        "pragma",
        "server",
        "strict-transport-security",
        "te",
        "traceparent",
        "tracestate",
        "transfer-encoding",
        "upgrade-insecure-requests",
        "user-agent",
        "vary",
        "via",
        "www-authenticate",
        "x-content-type-options",
        "x-frame-options",
        "x-request-id",
        "x-xss-protection",
    }
)


@cache
def _detectors() -> tuple[PiiDetector, SecretsDetector]:
    """Built once: compiling the Hyperscan databases is the expensive part."""
    return PiiDetector(), SecretsDetector()


def prepare() -> None:
    """Build the detectors now (about 0.3 s of Hyperscan compilation) rather than on the first
    observation with data in it: a server calls this before it takes traffic."""
    _detectors()


def classify(
    obs: Observation,
    *,
    request_json: object = NOT_PARSED,
    response_json: object = NOT_PARSED,
) -> dict[str, set[str]]:
    """Field locations of ``obs`` mapped to the kinds of sensitive data seen there.

    Looks at query parameters, headers that can carry data (not credentials: those are
    :mod:`~wardgate.discovery.auth`'s), JSON bodies leaf by leaf, form fields and text bodies as a
    whole. Pass ``request_json``/``response_json`` when the bodies are already parsed (a JSON
    value, or :data:`NOT_JSON`) so they are not parsed twice.
    """
    scan = _Scan()
    scan.pairs("query", obs.query, headers=False)
    scan.pairs("request.header", obs.request_headers, headers=True)
    scan.body("request", obs.request_body, obs.request_content_type, request_json)
    scan.pairs("response.header", obs.response_headers, headers=True)
    scan.body("response", obs.response_body, obs.response_content_type, response_json)
    return scan.findings()
