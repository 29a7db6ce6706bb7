"""Incremental JSON Schema inference: the shape of a body or parameter, learned value by value.

A :class:`SchemaSketch` folds parsed JSON values into a tree of counters (types seen, how often each
property was present, the one string format every value fitted so far, a few distinct values while
they stay few) and renders it as JSON Schema 2020-12, the dialect of OpenAPI 3.1. Sketches merge (a
sketch per worker or per day, combined later) and persist as plain JSON.

Memory is bounded whatever the traffic: depth, properties per object, nodes per sketch, distinct
values tracked and array items sampled all have caps (below). Objects keyed by data (ids, dates,
e-mails: see :func:`~wardgate.discovery.sensitive.is_dynamic_key`) get one
``additionalProperties`` schema, not one property per key. Raw values are never kept, except the
distinct values of a field while they are few, short and look like an enumeration (not an id, not
free text, nothing sensitive, not under a sensitive field name); those may become ``enum``.

Every value a sketch observed validates against its schema, provided arrays had at most
:data:`MAX_ARRAY_ITEMS` items, objects at most :data:`MAX_KEYS_SCANNED` keys and the node budget
was not exhausted (beyond those bounds the schema describes the sampled part).

Cost: ``observe`` on a typical 1 KB body takes about 10-15 µs on one core (a body of ~50 values;
``tests/discovery/test_schema.py`` guards against regressions). Where even that is too much,
:meth:`SchemaSketch.sample_due` lets a caller skip most bodies, and their parsing, once the schema
has stopped changing.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import re
from collections.abc import Mapping
from itertools import islice
from typing import Any

from wardgate.discovery.sensitive import is_dynamic_key, name_hint

MAX_DEPTH = 16
"""Containers nested deeper than this are typed but not described."""
MAX_PROPERTIES = 256
"""Named properties per object; further keys share ``additionalProperties``."""
MAX_KEYS_SCANNED = 1024
"""Keys of one object value looked at."""
MAX_ARRAY_ITEMS = 16
"""Items of one array value observed (the first ones)."""
MAX_DISTINCT = 32
"""Distinct string values tracked per node before it is known not to be an enum."""
MAX_ENUM = 10
MIN_ENUM_OBSERVATIONS = 20
MAX_ENUM_LENGTH = 64
MAX_NODES = 4096
"""Nodes per sketch: a bound on memory however wide and varied the bodies."""
STABLE_AFTER = 200
"""Observations without any change after which a schema counts as stable (for sampling)."""
SAMPLE_EVERY = 16
"""Once stable, :meth:`SchemaSketch.sample_due` admits one body in this many."""

FORMAT_VERSION = 1

# Type bits, in the order types are listed in a schema.
NULL, BOOLEAN, INTEGER, NUMBER, STRING, OBJECT, ARRAY = 1, 2, 4, 8, 16, 32, 64
_TYPE_NAMES = (
    (NULL, "null"),
    (BOOLEAN, "boolean"),
    (INTEGER, "integer"),
    (NUMBER, "number"),
    (STRING, "string"),
    (OBJECT, "object"),
    (ARRAY, "array"),
)
_TYPE_BITS = {name: bit for bit, name in _TYPE_NAMES}

# --- string formats ------------------------------------------------------------------------------

_UNSET = -1  # no string seen yet; 0: no common format; else an index into FORMATS
FORMATS = ("", "date-time", "date", "email", "uuid", "uri", "ipv4", "ipv6", "byte")
_DATE_TIME, _DATE, _EMAIL, _UUID, _URI, _IPV4, _IPV6, _BYTE = range(1, 9)

_DATE_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_DATE_TIME_RE = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,9})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_URI_RE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s<>\"{}|\\^`\x00-\x1f\x7f]+"
    r"|urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\s<>\"{}|\\^`\x00-\x1f\x7f]+"
)
_IPV4_RE = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
                      r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")  # fmt: skip
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _valid_date(match: re.Match[str]) -> bool:
    try:
        datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def string_format(value: str) -> int:
    """The index in :data:`FORMATS` of the format ``value`` has (0: none). Formats exclude each
    other, so a field has a format only while every value had that same one."""
    n = len(value)
    if n < 2 or n > 2048:
        return 0
    if value[4:5] == "-":
        if n == 10:
            m = _DATE_RE.fullmatch(value)
            return _DATE if m and _valid_date(m) else 0
        if n >= 20:
            m = _DATE_TIME_RE.fullmatch(value)
            if m:
                return _DATE_TIME if _valid_date(m) else 0
    if n == 36 and value[8] == "-":
        return _UUID if _UUID_RE.fullmatch(value) else 0
    if "://" in value or value[:4].lower() == "urn:":
        return _URI if _URI_RE.fullmatch(value) else 0
    if "@" in value:
        return _EMAIL if _EMAIL_RE.fullmatch(value) else 0
    if ":" in value:
        if _IPV6_CHARS.fullmatch(value):
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                return 0
            return _IPV6
        return 0
    if n <= 15 and _IPV4_RE.fullmatch(value):
        return _IPV4
    return _BYTE if _obvious_base64(value) else 0


def _obvious_base64(value: str) -> bool:
    """Long, padded or using ``+``/``/``, and decodable: not merely letters and digits."""
    if len(value) < 24 or len(value) % 4 or value[0] == "/" or not _BASE64_RE.fullmatch(value):
        return False
    if not (value[-1] == "=" or "+" in value or "/" in value):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _merge_format(a: int, b: int) -> int:
    if a == _UNSET:
        return b
    if b in (_UNSET, a):
        return a
    return 0


def _format_keywords(fmt: int, out: dict[str, Any]) -> None:
    if fmt == _BYTE:  # OpenAPI's name, and JSON Schema 2020-12's way of saying it
        out["format"] = "byte"
        out["contentEncoding"] = "base64"
    elif fmt > 0:
        out["format"] = FORMATS[fmt]


# --- enum candidates -----------------------------------------------------------------------------

# Whitespace (free text), @ (e-mail), long digit runs (phones, ids, cards), control characters.
_NOT_ENUM = re.compile(r"[\s@\x00-\x1f\x7f]|[0-9][0-9().+/-]{5}")
_ID_SEGMENTS = re.compile(r"[_.:/-]+")


def enum_candidate(value: str) -> bool:
    """Whether a value may be kept as a possible enum member: short, a word or a code, not an
    identifier (``ord_8f3k2j9``, a UUID, a number), not free text, not personal data."""
    if not value or len(value) > MAX_ENUM_LENGTH or _NOT_ENUM.search(value):
        return False
    if value.isdigit() and len(value) > 2:
        return False
    for seg in _ID_SEGMENTS.split(value):
        if len(seg) >= 6 and any(c.isdigit() for c in seg) and any(c.isalpha() for c in seg):
            return False
    return True


def _merge_enum(a: dict[str, int] | None, b: dict[str, int] | None) -> dict[str, int] | None:
    if a is None or b is None:
        return None
    merged = dict(a)
    for value, count in b.items():
        merged[value] = merged.get(value, 0) + count
    return merged if len(merged) <= MAX_DISTINCT else None


def _enum_keyword(enum: dict[str, int] | None, strings: int) -> list[str] | None:
    if enum is None or not 0 < len(enum) <= MAX_ENUM or strings < MIN_ENUM_OBSERVATIONS:
        return None
    return sorted(enum)


# --- persistence helpers -------------------------------------------------------------------------


def _count(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if type(value) is not int or value < 0:
        raise ValueError(f"schema sketch: {key!r} must be a non-negative integer")
    return value


def _format_from(data: Mapping[str, Any]) -> int:
    if "f" not in data:
        return _UNSET
    name = data["f"]
    if name not in FORMATS:
        raise ValueError("schema sketch: unknown string format")
    return FORMATS.index(name)


def _enum_from(data: Mapping[str, Any], default: dict[str, int] | None) -> dict[str, int] | None:
    if "e" not in data:
        return default
    raw = data["e"]
    if raw is None:
        return None
    if not isinstance(raw, dict) or len(raw) > MAX_DISTINCT:
        raise ValueError("schema sketch: 'e' must be an object of at most 32 counts")
    enum: dict[str, int] = {}
    for value, count in raw.items():
        if type(count) is not int or count < 1:
            raise ValueError("schema sketch: enum counts must be positive integers")
        if not enum_candidate(value):  # never load a value that should not have been kept
            return None
        enum[value] = count
    return enum


# --- the tree ------------------------------------------------------------------------------------


class _Shared:
    """What all nodes of one sketch share: the node budget and a change counter (for sampling)."""

    __slots__ = ("changes", "nodes")

    def __init__(self) -> None:
        self.nodes = 0
        self.changes = 0

    def take(self) -> bool:
        if self.nodes >= MAX_NODES:
            return False
        self.nodes += 1
        self.changes += 1
        return True


class _Node:
    """Everything learned about the values at one place in a document."""

    __slots__ = (
        "count",
        "depth",
        "enum",
        "extra",
        "fmt",
        "items",
        "objects",
        "props",
        "shared",
        "strings",
        "types",
    )

    def __init__(self, shared: _Shared, depth: int, sensitive_name: bool = False) -> None:
        self.shared = shared
        self.depth = depth
        self.count = 0
        self.types = 0
        self.objects = 0
        self.strings = 0
        self.fmt = _UNSET
        self.enum: dict[str, int] | None = None if sensitive_name else {}
        self.props: dict[str, _Node] | None = None
        self.extra: _Node | None = None
        self.items: _Node | None = None

    # observing

    def observe(self, value: object) -> None:
        self.count += 1
        if type(value) is str:
            if not self.types & STRING:
                self._new_type(STRING)
            self._string(value)
        elif type(value) is int:
            if not self.types & INTEGER:
                self._new_type(INTEGER)
        elif type(value) is dict:
            if not self.types & OBJECT:
                self._new_type(OBJECT)
            self.objects += 1
            if self.depth < MAX_DEPTH:
                self._object(value)
        elif type(value) is list:
            if not self.types & ARRAY:
                self._new_type(ARRAY)
            if self.depth < MAX_DEPTH and value:
                self._array(value)
        elif type(value) is float:
            if not self.types & NUMBER:
                self._new_type(NUMBER)
        elif type(value) is bool:
            if not self.types & BOOLEAN:
                self._new_type(BOOLEAN)
        elif value is None:
            if not self.types & NULL:
                self._new_type(NULL)
        else:
            self.count -= 1
            self._observe_other(value)

    def _observe_other(self, value: object) -> None:
        """Subclasses of JSON types (from callers that built values themselves); others ignored."""
        if isinstance(value, bool):
            self.observe(bool(value))
        elif isinstance(value, str):
            self.observe(str(value))
        elif isinstance(value, int):
            self.observe(int(value))
        elif isinstance(value, float):
            self.observe(float(value))
        elif isinstance(value, Mapping):
            self.observe(dict(value))
        elif isinstance(value, (list, tuple)):
            self.observe(list(value))

    def _new_type(self, bit: int) -> None:
        self.types |= bit
        self.shared.changes += 1

    def _string(self, value: str) -> None:
        self.strings += 1
        fmt = self.fmt
        if fmt:
            found = string_format(value)
            if found != fmt:
                self.fmt = found if fmt == _UNSET else 0
                self.shared.changes += 1
        enum = self.enum
        if enum is not None:
            seen = enum.get(value)
            if seen is not None:
                enum[value] = seen + 1
            else:
                if len(enum) < MAX_DISTINCT and enum_candidate(value):
                    enum[value] = 1
                else:
                    self.enum = None
                self.shared.changes += 1

    def _object(self, value: dict[Any, Any]) -> None:
        props = self.props
        if props is None:
            props = self.props = {}
        pairs = (
            value.items()
            if len(value) <= MAX_KEYS_SCANNED
            else islice(value.items(), MAX_KEYS_SCANNED)
        )
        for key, item in pairs:
            node = props.get(key)
            if node is None:
                node = self._new_property(props, key)
                if node is None:
                    continue
            node.observe(item)

    def _new_property(self, props: dict[str, _Node], key: object) -> _Node | None:
        if type(key) is not str:
            return None
        if is_dynamic_key(key) or len(props) >= MAX_PROPERTIES:
            return self._extra()
        if not self.shared.take():
            return self.extra
        node = props[key] = _Node(self.shared, self.depth + 1, name_hint(key) is not None)
        return node

    def _extra(self) -> _Node | None:
        if self.extra is None and self.shared.take():
            self.extra = _Node(self.shared, self.depth + 1, sensitive_name=True)
        return self.extra

    def _array(self, value: list[Any]) -> None:
        items = self.items
        if items is None:
            if not self.shared.take():
                return
            items = self.items = _Node(self.shared, self.depth + 1)
        for item in value if len(value) <= MAX_ARRAY_ITEMS else value[:MAX_ARRAY_ITEMS]:
            items.observe(item)

    # combining

    def merge(self, other: _Node) -> None:
        """Fold ``other`` (left untouched) into this node."""
        if other.types & ~self.types:
            self.shared.changes += 1
        self.count += other.count
        self.types |= other.types
        self.objects += other.objects
        self.strings += other.strings
        self.fmt = _merge_format(self.fmt, other.fmt)
        self.enum = _merge_enum(self.enum, other.enum)
        if other.props:
            if self.props is None:
                self.props = {}
            for key, theirs in other.props.items():
                mine = self.props.get(key)
                if mine is not None:
                    mine.merge(theirs)
                elif len(self.props) < MAX_PROPERTIES and self.shared.take():
                    self.props[key] = theirs.copy(self.shared, self.depth + 1)
                else:
                    extra = self._extra()
                    if extra is not None:
                        extra.merge(theirs)
        if other.extra is not None:
            extra = self._extra()
            if extra is not None:
                extra.merge(other.extra)
        if other.items is not None:
            if self.items is not None:
                self.items.merge(other.items)
            elif self.shared.take():
                self.items = other.items.copy(self.shared, self.depth + 1)

    def copy(self, shared: _Shared, depth: int) -> _Node:
        """A deep copy charged to ``shared``'s budget (children dropped once it is spent)."""
        node = _Node(shared, depth)
        node.count, node.types, node.objects, node.strings = (
            self.count,
            self.types,
            self.objects,
            self.strings,
        )
        node.fmt = self.fmt
        node.enum = None if self.enum is None else dict(self.enum)
        if self.props is not None:
            node.props = {}
            for key, child in self.props.items():
                if shared.take():
                    node.props[key] = child.copy(shared, depth + 1)
        if self.extra is not None and shared.take():
            node.extra = self.extra.copy(shared, depth + 1)
        if self.items is not None and shared.take():
            node.items = self.items.copy(shared, depth + 1)
        return node

    # rendering

    def schema(self) -> dict[str, Any]:
        types = self.types
        if not types:
            return {}
        names = [
            name
            for bit, name in _TYPE_NAMES
            if types & bit and not (bit == INTEGER and types & NUMBER)
        ]
        out: dict[str, Any] = {"type": names[0] if len(names) == 1 else names}
        if types & STRING:
            _format_keywords(self.fmt, out)
            if not types & ~(STRING | NULL):  # enum constrains every type: strings (and null) only
                enum: list[Any] | None = _enum_keyword(self.enum, self.strings)
                if enum is not None:
                    out["enum"] = [*enum, None] if types & NULL else enum
        if types & OBJECT:
            if self.props:
                out["properties"] = {key: child.schema() for key, child in self.props.items()}
                required = sorted(
                    k for k, child in self.props.items() if child.count >= self.objects
                )
                if required:
                    out["required"] = required
            if self.extra is not None:
                out["additionalProperties"] = self.extra.schema()
        if types & ARRAY and self.items is not None and self.items.count:
            out["items"] = self.items.schema()
        return out

    # persistence

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"n": self.count}
        if self.types:
            data["t"] = [name for bit, name in _TYPE_NAMES if self.types & bit]
        if self.objects:
            data["o"] = self.objects
        if self.strings:
            data["s"] = self.strings
        if self.fmt != _UNSET:
            data["f"] = FORMATS[self.fmt]
        if self.enum is None:
            data["e"] = None
        elif self.enum:
            data["e"] = dict(self.enum)
        if self.props:
            data["p"] = {key: child.to_dict() for key, child in self.props.items()}
        if self.extra is not None:
            data["x"] = self.extra.to_dict()
        if self.items is not None:
            data["i"] = self.items.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: object, shared: _Shared, depth: int) -> _Node:
        if not isinstance(data, dict):
            raise ValueError("schema sketch: a node must be an object")
        if depth > MAX_DEPTH + 1:
            raise ValueError("schema sketch: nested deeper than MAX_DEPTH")
        if shared.nodes > MAX_NODES:
            raise ValueError("schema sketch: more nodes than MAX_NODES")
        node = cls(shared, depth)
        node.count = _count(data, "n")
        node.objects = _count(data, "o")
        node.strings = _count(data, "s")
        types = data.get("t", [])
        if not isinstance(types, list) or any(t not in _TYPE_BITS for t in types):
            raise ValueError("schema sketch: 't' must list JSON types")
        for name in types:
            node.types |= _TYPE_BITS[name]
        node.fmt = _format_from(data)
        node.enum = _enum_from(data, {})
        props = data.get("p")
        if props is not None:
            if not isinstance(props, dict) or len(props) > MAX_PROPERTIES:
                raise ValueError("schema sketch: 'p' must be an object of at most 256 properties")
            node.props = {}
            for key, child in props.items():
                shared.nodes += 1
                node.props[key] = cls.from_dict(child, shared, depth + 1)
        for key in ("x", "i"):
            if data.get(key) is not None:
                shared.nodes += 1
                setattr(
                    node,
                    "extra" if key == "x" else "items",
                    cls.from_dict(data[key], shared, depth + 1),
                )
        return node


class SchemaSketch:
    """The inferred JSON Schema of one body (an endpoint's request, or one status's response).

    ``observe`` parsed JSON values (``json.loads`` output); ``to_json_schema`` at any time.
    """

    __slots__ = ("_last_change", "_observations", "_offered", "_root", "_shared")

    def __init__(self) -> None:
        self._shared = _Shared()
        self._root = _Node(self._shared, 0)
        self._observations = 0
        self._offered = 0
        self._last_change = 0

    @property
    def observations(self) -> int:
        return self._observations

    @property
    def stable(self) -> bool:
        """No new type, property, format or distinct value in the last :data:`STABLE_AFTER`."""
        return self._observations - self._last_change >= STABLE_AFTER

    def observe(self, value: object) -> None:
        """Learn from one parsed JSON value."""
        before = self._shared.changes
        self._root.observe(value)
        self._observations += 1
        if self._shared.changes != before:
            self._last_change = self._observations

    def sample_due(self) -> bool:
        """Whether the next body should be observed: always until the schema is stable, then one
        in :data:`SAMPLE_EVERY`. Ask before parsing the body, to skip the parse as well::

            if sketch.sample_due():
                sketch.observe(json.loads(body))

        Sampling keeps types, properties and formats (they changed nothing for ``STABLE_AFTER``
        bodies; a change makes every body count again) but a rare shape seen only in skipped bodies
        is missed, and counts (hence ``required`` and enum thresholds) are those of the sample.
        """
        self._offered += 1
        return not self.stable or self._offered % SAMPLE_EVERY == 0

    def observe_sampled(self, value: object) -> bool:
        """``observe`` when :meth:`sample_due`; whether it did."""
        if self.sample_due():
            self.observe(value)
            return True
        return False

    def merge(self, other: SchemaSketch) -> SchemaSketch:
        """Fold ``other`` into this sketch (``other`` is unchanged); returns ``self``."""
        before = self._shared.changes
        self._root.merge(other._root)
        self._observations += other._observations
        self._offered += other._offered
        if self._shared.changes != before:
            self._last_change = self._observations
        return self

    def copy(self) -> SchemaSketch:
        clone = SchemaSketch()
        clone._root = self._root.copy(clone._shared, 0)
        clone._observations = self._observations
        clone._offered = self._offered
        clone._last_change = self._last_change
        return clone

    def to_json_schema(self) -> dict[str, Any]:
        """JSON Schema 2020-12 (OpenAPI 3.1) of what was observed; ``{}`` before any value."""
        return self._root.schema()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON state, for :meth:`from_dict`; holds no raw value but enum candidates."""
        return {
            "version": FORMAT_VERSION,
            "observations": self._observations,
            "offered": self._offered,
            "last_change": self._last_change,
            "root": self._root.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SchemaSketch:
        """Load :meth:`to_dict` output; raises ``ValueError`` on anything malformed or oversized."""
        if not isinstance(data, Mapping) or data.get("version") != FORMAT_VERSION:
            raise ValueError("schema sketch: unsupported or missing version")
        sketch = cls()
        sketch._root = _Node.from_dict(data.get("root", {}), sketch._shared, 0)
        sketch._observations = _count(data, "observations")
        sketch._offered = _count(data, "offered")
        sketch._last_change = min(_count(data, "last_change"), sketch._observations)
        return sketch


# --- parameters ----------------------------------------------------------------------------------

_INTEGER_RE = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]{0,30})(?:\.[0-9]{1,30})?(?:[eE][+-]?[0-9]{1,3})?")
_P_INTEGER, _P_NUMBER, _P_BOOLEAN = 1, 2, 4
_P_ALL = _P_INTEGER | _P_NUMBER | _P_BOOLEAN
_P_NAMES = ((_P_INTEGER, "integer"), (_P_NUMBER, "number"), (_P_BOOLEAN, "boolean"))


def _scalar_kinds(value: str) -> int:
    if len(value) > 64:
        return 0
    if _INTEGER_RE.fullmatch(value):
        return _P_INTEGER | _P_NUMBER
    if _NUMBER_RE.fullmatch(value):
        return _P_NUMBER
    if value.lower() in ("true", "false"):
        return _P_BOOLEAN
    return 0


class ParameterSketch:
    """The schema of a string-valued parameter (query parameter, header), learned from values.

    Infers ``integer``, ``number``, ``boolean`` (``true``/``false``), a string format (``uuid``,
    ``date``, ``date-time``, ``email``...) or an ``enum``, else ``string``. ``observe(None)``
    records a request where the parameter was absent: ``present``/``absent`` let the caller
    decide whether it is required. ``name`` only serves to keep values of sensitive names out of
    enums.
    """

    __slots__ = ("_enum", "_fmt", "_kinds", "absent", "present")

    def __init__(self, name: str = "") -> None:
        self.present = 0
        self.absent = 0
        self._kinds = _P_ALL
        self._fmt = _UNSET
        self._enum: dict[str, int] | None = None if name_hint(name) or is_dynamic_key(name) else {}

    @property
    def always_present(self) -> bool:
        return self.present > 0 and self.absent == 0

    def observe(self, value: str | None) -> None:
        if value is None:
            self.absent += 1
            return
        self.present += 1
        if self._kinds:
            self._kinds &= _scalar_kinds(value)
        if self._fmt:
            found = string_format(value)
            if found != self._fmt:
                self._fmt = found if self._fmt == _UNSET else 0
        enum = self._enum
        if enum is not None:
            seen = enum.get(value)
            if seen is not None:
                enum[value] = seen + 1
            elif len(enum) < MAX_DISTINCT and enum_candidate(value):
                enum[value] = 1
            else:
                self._enum = None

    def merge(self, other: ParameterSketch) -> ParameterSketch:
        """Fold ``other`` into this sketch; returns ``self``."""
        self.present += other.present
        self.absent += other.absent
        self._kinds &= other._kinds
        self._fmt = _merge_format(self._fmt, other._fmt)
        self._enum = _merge_enum(self._enum, other._enum)
        return self

    def to_json_schema(self) -> dict[str, Any]:
        """``{"type": "integer"}``, ``{"type": "string", "format": "uuid"}``...; ``{}`` if never
        present."""
        if not self.present:
            return {}
        for bit, name in _P_NAMES:
            if self._kinds & bit:
                return {"type": name}
        out: dict[str, Any] = {"type": "string"}
        _format_keywords(self._fmt, out)
        enum = _enum_keyword(self._enum, self.present)
        if enum is not None:
            out["enum"] = enum
        return out

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "present": self.present,
            "absent": self.absent,
            "kinds": [name for bit, name in _P_NAMES if self._kinds & bit],
            "e": None if self._enum is None else dict(self._enum),
        }
        if self._fmt != _UNSET:
            data["f"] = FORMATS[self._fmt]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParameterSketch:
        if not isinstance(data, Mapping) or data.get("version") != FORMAT_VERSION:
            raise ValueError("parameter sketch: unsupported or missing version")
        sketch = cls()
        sketch.present = _count(data, "present")
        sketch.absent = _count(data, "absent")
        kinds = data.get("kinds", [])
        names = {name: bit for bit, name in _P_NAMES}
        if not isinstance(kinds, list) or any(k not in names for k in kinds):
            raise ValueError("parameter sketch: 'kinds' must list integer/number/boolean")
        sketch._kinds = 0
        for kind in kinds:
            sketch._kinds |= names[kind]
        sketch._fmt = _format_from(data)
        sketch._enum = _enum_from(data, None)
        return sketch
