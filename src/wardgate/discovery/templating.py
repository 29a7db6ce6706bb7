"""Concrete URL paths seen in traffic turned into endpoint templates, per host.

``/users/8f3a.../orders/42`` and ``/users/c01d.../orders/7`` are one endpoint,
``/users/{userId}/orders/{orderId}``; ``/users/me`` is another. Each host keeps one tree of path
segments (templates are shared by the methods of a host; methods live on the leaves). A segment
is a parameter on two kinds of evidence:

* its **shape** (:mod:`wardgate.discovery.shapes`): integers, UUIDs, object ids, ULIDs, prefixed
  ids, tokens, dates and e-mails are values on their own (an integer or a date that is the only
  value ever seen at its place, repeatedly, is shown as the constant it is: ``/2/tweets``);
* **sibling evidence** for words (``alice``, ``hello-world``): many distinct siblings seen once
  each are values, siblings that recur are constants, and words under a plural collection
  (``/projects/alpha``) are items of it.

Two trees are kept per host. The *raw* tree records what was seen: identifier-shaped values are
folded into a parameter at once (that never needs undoing), words stay literal until the evidence
is overwhelming (then they are folded too, which bounds memory). The *view* is rebuilt from the
raw tree now and then, and for reading (:meth:`PathTemplater.endpoints`,
:meth:`PathTemplater.template_for`): it applies the word decisions with all the evidence so far,
so an early guess made on a handful of requests is revised rather than frozen, and precision does
not fall as traffic grows. Parameters keep at most :data:`MAX_VALUES` value digests: identifier
values are never stored (only a short number or date seen alone, which may be a constant such as
``/2/``); words are stored as literals until they are folded. A host keeps at most ``max_nodes``
raw nodes.

People correct what traffic cannot tell (``merge``, ``split``, ``rename``) and declared specs
seed the tree (``add_prior``); corrections live in the raw tree, so they survive every rebuild
and :meth:`PathTemplater.to_dict`.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from wardgate.discovery.observation import MAX_BODY_BYTES
from wardgate.discovery.shapes import (
    CONSTANT_SHAPES,
    IDENTIFIER_SHAPES,
    Shape,
    classify,
    split_suffix,
)

MAX_VALUES = 64
"""Distinct values remembered (as digests) per parameter: enough to tell one from many."""

MAX_SHAPES = 8
"""Response shapes remembered per (endpoint, method)."""

MAX_SEGMENTS = 64
"""Segments beyond this are kept as one: bounds tree depth (and recursion) on hostile paths."""

DEFAULT_MAX_NODES = 100_000
"""Raw nodes per host before every new segment is taken as a value: bounds memory under floods."""

REPEATING_CALLS = 0.05
"""Below this share of calls to endpoints called more than once, traffic does not repeat."""

REPEATS_GROWTH = 4.0
REBUILD_ROUNDS = 2
"""The typical endpoint volume is re-read from the view at most twice per rebuild, and never
beyond 4 times the raw tree's reading: wrong folds must not feed themselves."""

ONCE_MIN = 3
ONCE_SHARE = 0.7
"""Where traffic does not repeat: siblings seen once, called as different endpoints, are values
when there are 3 of them and they make 70% of the siblings."""

SAME_SHAPE_MIN = 5
"""Items of a collection read alike, seen once each, answering one response shape: values from
5 of them on."""

POOL_REPEATS = 4.0
"""From this typical endpoint volume on, values may all recur (a small pool of names)."""

MANY_LOW = 5
"""Word siblings seen less often than a typical endpoint that are values even when constants
outnumber them (``/boards/{id}/{field}`` next to 20 sub-resources)."""

SHARED_SIBLINGS = 8
SHARED_OVERLAP = 6.0
"""Word siblings that must share a literal below them to be taken as values on that alone."""

HOT_PROMOTE = 3
HOT_SLOTS = 32
"""A word value of a word parameter seen 3 times (tracked in 32 slots) gets a raw literal of its
own again, at most 32 times per parameter."""

COMMIT_FOLDS = 32
"""A view that folds this many words at one place may make the fold in the raw tree too."""

CERTAIN_CALLS = 256
CERTAIN_NEW = 0.9
"""Words are folded for good (raw tree) only where, after 256 calls, 90% brought a new one."""

CONFIDENT_WORDS = 64
"""Word siblings under one node before the raw tree folds its one-off values for good."""

FIRST_REBUILD = 16
MAX_REBUILD_INTERVAL = 4096
REBUILD_PER_NODE = 4
"""The view is rebuilt after 16, 32, 64... observations of a host, then every 4096, or every 4
per raw node when the tree is larger: rebuilding costs a few microseconds per node."""

LITERAL_CONSTANT_SHAPES = frozenset({Shape.INTEGER, Shape.NUMBER, Shape.DATE})
"""Identifier shapes an API does use as constants (``/2/tweets``, ``/api/3/``, a dated version):
shown literally while one value is all that was ever seen at that place."""

MAX_LITERAL_CONSTANT = 10
"""Longest such value shown literally (a version number or a date, not a customer number)."""

_WORD_SHAPES = frozenset({Shape.WORD, Shape.OTHER, Shape.VERSION})
"""Shapes decided by sibling evidence (a version number is a value under ``/versions``)."""

Endpoint = tuple[str, str, str, int]


class _Node:
    """One position in a path tree: a literal segment or a parameter (raw tree and view)."""

    __slots__ = (
        "accepts_words",
        "children",
        "count",
        "declared",
        "distinct",
        "ends",
        "first",
        "hot",
        "is_param",
        "name",
        "params",
        "pinned",
        "promoted",
        "responses",
        "segment",
        "sources",
        "template",
        "view_node",
    )

    def __init__(self, segment: str, *, is_param: bool = False) -> None:
        self.segment = segment  # the literal, or a parameter's suffix (":cancel", ".json")
        self.is_param = is_param
        self.children: dict[str, _Node] = {}
        self.params: dict[str, _Node] = {}  # parameter children by suffix
        self.count = 0  # requests that reached this node
        self.ends: dict[str, int] = {}  # method -> requests that ended here
        self.responses: dict[str, list[str]] | None = None  # method -> response shapes
        self.declared: set[str] | None = None  # methods a prior declared here
        self.pinned: set[str] | None = None  # literal children a person or a prior fixed
        self.distinct: set[int] | None = None  # parameter value digests, <= MAX_VALUES
        self.first: str | None = None  # a parameter's first value, while it may be a constant
        self.name: str | None = None  # a parameter name a person or a prior gave
        self.accepts_words = False  # a parameter known to take words, not only identifiers
        self.hot: dict[int, int] | None = None  # word values that keep coming back (digests)
        self.promoted = 0  # word values given a literal of their own again
        self.sources: list[_Node] | None = None  # view only: the raw nodes it stands for
        self.template = ""  # view only: the template of this node
        self.view_node: _Node | None = None  # raw only: its node in observe's current view

    def is_pinned(self, segment: str) -> bool:
        return self.pinned is not None and segment in self.pinned


class _Host:
    __slots__ = ("dirty", "next_rebuild", "observed", "raw", "read_at", "read_view", "size", "view")

    def __init__(self) -> None:
        self.raw = _Node("")
        self.view: _Node | None = None
        self.size = 1
        self.observed = 0
        self.next_rebuild = FIRST_REBUILD
        self.dirty = True
        self.read_view: _Node | None = None  # the view for reading, as of ``read_at``
        self.read_at = -1


def _digest(value: str) -> int:
    return zlib.crc32(value.encode("utf-8", "surrogatepass"))


def _segments(path: str) -> list[str]:
    """The path's segments: query and fragment dropped, a trailing slash kept as an empty last
    segment (``/a/`` and ``/a`` are different endpoints), at most :data:`MAX_SEGMENTS`."""
    for mark in ("?", "#"):
        cut = path.find(mark)
        if cut >= 0:
            path = path[:cut]
    if not path or path == "/":
        return [""]
    segments = path[1:].split("/") if path[0] == "/" else path.split("/")
    if len(segments) > MAX_SEGMENTS:
        segments[MAX_SEGMENTS - 1 :] = ["/".join(segments[MAX_SEGMENTS - 1 :])]
    return segments


_TEMPLATE_PARAM = re.compile(r"\{([^{}/]*)\}(.*)")


def _parse_template_segment(segment: str) -> tuple[str, str] | None:
    """(name, suffix) for ``{name}`` or ``{name}:verb`` / ``{name}.ext``; None for a literal."""
    match = _TEMPLATE_PARAM.fullmatch(segment)
    if match is None:
        return None
    return match.group(1).lstrip("+") or "id", match.group(2)


def singular(word: str) -> str:
    """``users`` -> ``user``, ``companies`` -> ``company``, ``addresses`` -> ``address``."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if lower.endswith(("sses", "uses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def is_plural(word: str) -> bool:
    """A collection name (``users``, ``payment_methods``, ``companies``)."""
    if len(word) < 4 or not word.isascii():
        return False
    last = word.rsplit("-", 1)[-1].rsplit("_", 1)[-1]
    return last.isalpha() and singular(last) != last


def _camel(word: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", word) if p]
    if not parts:
        return ""
    head = parts[0][0].lower() + parts[0][1:]
    return head + "".join(p[0].upper() + p[1:] for p in parts[1:])


def _derived_name(parent: _Node, words: bool) -> str:
    """``{userId}`` under ``users`` (``{user}`` when the values are words), else ``{id}``."""
    segment = parent.segment
    if segment and not parent.is_param and classify(segment) is Shape.WORD:
        base = _camel(singular(segment))
        if base and base[0].isalpha() and len(base) <= 40:
            return base if words else base + "Id"
    return "id"


def _unique(name: str, used: set[str]) -> str:
    if name not in used:
        return name
    i = 2
    while f"{name}{i}" in used:
        i += 1
    return f"{name}{i}"


def response_fingerprint(body: bytes | None) -> str | None:
    """A short digest of a JSON response's structure (keys and value kinds, three levels),
    equal for two responses describing the same kind of resource; None when not JSON."""
    if not body or len(body) > MAX_BODY_BYTES:
        return None
    start = body.lstrip()[:1]
    if start not in (b"{", b"["):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    shape = _structure(value, 3)
    return hashlib.blake2b(shape.encode(), digest_size=6).hexdigest()


def _structure(value: Any, depth: int) -> str:
    if isinstance(value, dict):
        if depth == 0:
            return "o"
        inner = ",".join(f"{k}:{_structure(v, depth - 1)}" for k, v in sorted(value.items()))
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + (_structure(value[0], depth) if value and depth else "") + "]"
    if isinstance(value, bool):
        return "b"
    if isinstance(value, (int, float)):
        return "n"
    if isinstance(value, str):
        return "s"
    return "z"


class PathTemplater:
    """Incremental path templating for many hosts. Not thread-safe: one writer at a time."""

    def __init__(self, *, max_nodes: int = DEFAULT_MAX_NODES) -> None:
        self._hosts: dict[str, _Host] = {}
        self._max_nodes = max_nodes

    # --- learning ---------------------------------------------------------------------------

    def observe(
        self, host: str, method: str, path: str, *, response_shape: str | None = None
    ) -> str:
        """Learn from one request and return its template as of now."""
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host()
        segments = _segments(path)
        node = state.raw
        node.count += 1
        for segment in segments:
            child = node.children.get(segment)
            if child is None:
                child = self._route(state, node, segment)
            child.count += 1
            node = child
        node.ends[method] = node.ends.get(method, 0) + 1
        if response_shape is not None:
            _add_response(node, method, response_shape)
        state.observed += 1
        state.dirty = True
        if state.observed >= state.next_rebuild or state.view is None:
            self._rebuild(state)
            interval = max(min(state.observed, MAX_REBUILD_INTERVAL), REBUILD_PER_NODE * state.size)
            state.next_rebuild = state.observed + interval
        known = node.view_node  # set by the last rebuild when this place existed then
        if known is not None:
            return known.template
        return _render(state.view, segments)

    def template_for(self, host: str, method: str, path: str) -> str:
        """The template ``path`` has now, learning nothing (the tree is shared by methods)."""
        state = self._hosts.get(host)
        segments = _segments(path)
        if state is None:
            return _render(None, segments)
        return _render(self._current_view(state), segments)

    def _route(self, state: _Host, node: _Node, segment: str) -> _Node:
        """The raw child an unseen segment goes to (created as needed)."""
        if node.is_pinned(segment):
            return self._new_literal(state, node, segment)
        head, suffix = split_suffix(segment)
        shape = classify(head)
        param = node.params.get(suffix)
        takes = shape in IDENTIFIER_SHAPES or (
            param is not None and param.accepts_words and shape not in CONSTANT_SHAPES
        )
        if not takes and state.size >= self._max_nodes:
            takes = True  # out of room: every new segment is a value
        if not takes:
            child = self._new_literal(state, node, segment)
            if len(node.children) % CONFIDENT_WORDS == 0:
                self._fold_confident(state, node)
            return child
        if param is None:
            param = node.params[suffix] = _Node(suffix, is_param=True)
            state.size += 1
        if shape not in IDENTIFIER_SHAPES:
            if param.accepts_words and _recurs(param, segment):
                # seen again and again: maybe a constant (``search``, ``me``) next to the
                # values; a literal of its own lets the view weigh it
                child = self._new_literal(state, node, segment)
                child.count = HOT_PROMOTE - 1
                return child
            param.accepts_words = True
            param.first = None
        _add_value(param, head, shape)
        return param

    def _new_literal(self, state: _Host, node: _Node, segment: str) -> _Node:
        child = node.children[segment] = _Node(segment)
        state.size += 1
        return child

    def _fold_confident(self, state: _Host, node: _Node) -> None:
        """Fold for good the one-off words under ``node`` when :func:`_still_new` says values
        keep coming there: nothing later could make them constants."""
        words = {
            segment: [child]
            for segment, child in node.children.items()
            if not node.is_pinned(segment) and _word_shaped(segment)
        }
        once = _still_new(words)
        for segment in once:
            self._fold_raw(state, node, segment, node.children[segment])

    def _fold_raw(self, state: _Host, parent: _Node, segment: str, child: _Node) -> _Node:
        """Move the raw literal ``segment`` (and what was seen under it) into the parameter."""
        del parent.children[segment]
        head, suffix = split_suffix(segment)
        param = parent.params.get(suffix)
        if param is None:
            param = parent.params[suffix] = _Node(suffix, is_param=True)
            state.size += 1
        param.accepts_words = True
        param.first = None
        _add_value(param, head, Shape.WORD)
        state.size -= _merge_raw(param, child)
        return param

    # --- the view ---------------------------------------------------------------------------

    @staticmethod
    def _current_view(state: _Host) -> _Node:
        """The view with every observation so far, for reading. It is kept apart from the view
        ``observe`` uses (rebuilt on its own schedule), so reading never changes what later
        observations return."""
        if not state.dirty and state.view is not None:
            return state.view
        if state.read_view is None or state.read_at != state.observed:
            state.read_view = _make_view(state.raw, [])
            state.read_at = state.observed
        return state.read_view

    def _rebuild(self, state: _Host, *, commit: bool = True) -> None:
        """Rebuild the view (see :func:`_make_view`), then (``commit``) make in the raw tree the
        folds of many values at once that it decided (they are certain), which keeps the raw
        tree small; corrections do not commit, so the view's sources stay exact for them."""
        commits: list[tuple[list[_Node], list[str]]] = []
        state.view = _make_view(state.raw, commits, link=True)
        state.dirty = False
        state.read_view = None
        if not commit:
            return
        for group, segments in reversed(commits):  # deepest first: parents merge them after
            for raw in group:
                for segment in segments:
                    child = raw.children.get(segment)
                    if child is not None and not raw.is_pinned(segment):
                        self._fold_raw(state, raw, segment, child)

    # --- reading ----------------------------------------------------------------------------

    def endpoints(self, host: str | None = None) -> list[Endpoint]:
        """Every (host, method, template, count) learned or declared, sorted."""
        names = [host] if host is not None else sorted(self._hosts)
        out: list[Endpoint] = []
        for name in names:
            state = self._hosts.get(name)
            if state is None:
                continue
            merged: dict[tuple[str, str], int] = {}
            stack = [self._current_view(state)]
            while stack:
                node = stack.pop()
                for method, n in node.ends.items():
                    key = (method, node.template)
                    merged[key] = merged.get(key, 0) + n
                for method in node.declared or ():
                    merged.setdefault((method, node.template), 0)
                stack += node.children.values()
                stack += node.params.values()
            out += [(name, m, t, n) for (m, t), n in merged.items()]
        return sorted(out)

    # --- corrections ------------------------------------------------------------------------

    def _state(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host()
        return state

    def _view_path(self, state: _Host, segments: list[str]) -> list[_Node]:
        """The view nodes along a template, root first; ValueError when it is not known."""
        self._rebuild(state, commit=False)  # exact sources: raw nodes move when folds commit
        assert state.view is not None
        node = state.view
        nodes = [node]
        for segment in segments:
            spec = _parse_template_segment(segment)
            child = node.children.get(segment) if spec is None else node.params.get(spec[1])
            if child is None and spec is not None:
                child = node.children.get(segment)  # a literal that looks like "{...}"
            if child is None:
                raise ValueError("no such template")
            nodes.append(child)
            node = child
        return nodes

    def _raw_param(self, state: _Host, parent: _Node, suffix: str, name: str) -> _Node:
        param = parent.params.get(suffix)
        if param is None:
            param = parent.params[suffix] = _Node(suffix, is_param=True)
            state.size += 1
        param.accepts_words = True
        param.first = None
        param.name = name
        return param

    def merge(self, host: str, templates: Iterable[str], into: str) -> None:
        """These templates are one endpoint, ``into`` (``/stats/daily`` and ``/stats/weekly``
        into ``/stats/{period}``): their literals at ``into``'s parameters become values of it
        for good, and later words there go to the parameter."""
        state = self._state(host)
        target = _segments(into)
        for template in templates:
            source = _segments(template)
            if len(source) != len(target):
                raise ValueError("merge: a template and the target differ in length")
            nodes = self._view_path(state, source)
            for depth, (have, want) in enumerate(zip(source, target, strict=True)):
                spec = _parse_template_segment(want)
                if spec is None:
                    if have != want:
                        raise ValueError("merge: a literal of the target differs")
                    continue
                name, suffix = spec
                for raw_parent in nodes[depth].sources or ():
                    self._raw_param(state, raw_parent, suffix, name)
                    literal = raw_parent.children.get(have)
                    if literal is not None and _parse_template_segment(have) is None:
                        if raw_parent.pinned is not None:
                            raw_parent.pinned.discard(have)
                        self._fold_raw(state, raw_parent, have, literal)
        state.view = state.read_view = None  # corrections show at once

    def split(
        self, host: str, template: str, literal_values: Iterable[str], *, position: int = -1
    ) -> None:
        """These values of a parameter are constants of their own (``/users/{id}`` split off
        ``me``): from now on they are endpoints of their own. ``position`` picks the parameter
        by its order in the template (default: the last one)."""
        state = self._state(host)
        segments = _segments(template)
        indexes = [i for i, s in enumerate(segments) if _parse_template_segment(s) is not None]
        if not indexes:
            raise ValueError("split: the template has no parameter")
        index = indexes[position]
        spec = _parse_template_segment(segments[index])
        assert spec is not None
        parent = self._view_path(state, segments[:index])[-1]
        for raw_parent in parent.sources or ():
            if raw_parent.pinned is None:
                raw_parent.pinned = set()
            for value in literal_values:
                segment = value + spec[1]
                raw_parent.pinned.add(segment)
                if segment not in raw_parent.children:
                    self._new_literal(state, raw_parent, segment)
        state.view = state.read_view = None  # corrections show at once

    def rename(self, host: str, template: str, new_template: str) -> None:
        """Give the parameters of ``template`` the names in ``new_template`` (same literals)."""
        state = self._state(host)
        old, new = _segments(template), _segments(new_template)
        if len(old) != len(new):
            raise ValueError("rename: the templates differ in length")
        renames: list[tuple[int, str, str]] = []
        for depth, (have, want) in enumerate(zip(old, new, strict=True)):
            spec_have, spec_want = _parse_template_segment(have), _parse_template_segment(want)
            if (spec_have is None) != (spec_want is None):
                raise ValueError("rename: a parameter and a literal differ")
            if spec_have is None or spec_want is None:
                if have != want:
                    raise ValueError("rename: a literal differs")
                continue
            if spec_have[1] != spec_want[1]:
                raise ValueError("rename: a parameter suffix differs")
            renames.append((depth, spec_want[1], spec_want[0]))
        nodes = self._view_path(state, old)
        for depth, suffix, name in renames:
            for raw_parent in nodes[depth].sources or ():
                self._raw_param(state, raw_parent, suffix, name)
        state.view = state.read_view = None  # corrections show at once

    def add_prior(self, host: str, method: str, template: str) -> None:
        """A declared endpoint (from an OpenAPI spec): its literals are constants, its
        parameters take any value, and it is listed even before traffic reaches it."""
        state = self._state(host)
        node = state.raw
        for segment in _segments(template):
            spec = _parse_template_segment(segment)
            if spec is None:
                if node.pinned is None:
                    node.pinned = set()
                node.pinned.add(segment)
                child = node.children.get(segment) or self._new_literal(state, node, segment)
            else:
                param = node.params.get(spec[1])
                child = self._raw_param(state, node, spec[1], (param and param.name) or spec[0])
            node = child
        if node.declared is None:
            node.declared = set()
        node.declared.add(method.upper())
        state.view = state.read_view = None  # corrections show at once

    # --- persistence ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The raw trees as JSON-ready data (views are rebuilt): literals, counts, response
        shape digests and value digests; no identifier value (see the module docstring)."""
        return {
            "version": 1,
            "max_nodes": self._max_nodes,
            "hosts": {
                host: {"observed": s.observed, "tree": _node_to_dict(s.raw)}
                for host, s in self._hosts.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PathTemplater:
        if data.get("version") != 1:
            raise ValueError("unsupported templater state version")
        templater = cls(max_nodes=int(data.get("max_nodes", DEFAULT_MAX_NODES)))
        for host, raw in dict(data.get("hosts", {})).items():
            state = _Host()
            state.raw = _node_from_dict("", dict(raw["tree"]))
            state.observed = int(raw.get("observed", 0))
            state.next_rebuild = state.observed + min(
                max(state.observed, FIRST_REBUILD), MAX_REBUILD_INTERVAL
            )
            state.size = _count_nodes(state.raw)
            templater._hosts[str(host)] = state
        return templater


# --- raw tree helpers ------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _word_shaped(segment: str) -> bool:
    return classify(split_suffix(segment)[0]) in _WORD_SHAPES


def _still_new(words: dict[str, list[_Node]]) -> list[str]:
    """The words seen once, when they say for sure that values keep coming at their place:
    after :data:`CERTAIN_CALLS` calls there, nearly every call (:data:`CERTAIN_NEW`) still
    brought a word never seen before. A set of constants, however large, stops doing that
    (every call of a 240-constant enum finds a known word well before 256 calls)."""
    calls = 0
    once: list[str] = []
    for segment, nodes in words.items():
        n = sum(node.count for node in nodes)
        calls += n
        if n <= 1:
            once.append(segment)
    if calls < CERTAIN_CALLS or len(once) < CERTAIN_NEW * calls:
        return []
    return once


def _recurs(param: _Node, segment: str) -> bool:
    """Count a word value in the parameter's small table of frequent values (Misra-Gries, by
    digest); True once it has come :data:`HOT_PROMOTE` times, while promotions are left."""
    if param.promoted >= HOT_SLOTS:
        return False
    if param.hot is None:
        param.hot = {}
    hot = param.hot
    key = _digest(segment)
    seen = hot.get(key, 0) + 1
    if seen >= HOT_PROMOTE:
        del hot[key]
        param.promoted += 1
        return True
    if seen > 1 or len(hot) < HOT_SLOTS:
        hot[key] = seen
        return False
    for k in list(hot):
        hot[k] -= 1
        if not hot[k]:
            del hot[k]
    return False


def _add_value(param: _Node, value: str, shape: Shape) -> None:
    if param.distinct is None:
        param.distinct = set()
        if shape in LITERAL_CONSTANT_SHAPES and len(value) <= MAX_LITERAL_CONSTANT:
            param.first = value
    if len(param.distinct) < MAX_VALUES:
        param.distinct.add(_digest(value))
        if param.first is not None and len(param.distinct) > 1:
            param.first = None
    elif param.first is not None:
        param.first = None


def _add_response(node: _Node, method: str, shape: str) -> None:
    if node.responses is None:
        node.responses = {}
    shapes = node.responses.setdefault(method, [])
    if shape not in shapes and len(shapes) < MAX_SHAPES:
        shapes.append(shape)


def _absorb(dst: _Node, src: _Node, *, responses: bool = True) -> None:
    """Add ``src``'s own statistics (not its children) to ``dst``."""
    dst.count += src.count
    for method, n in src.ends.items():
        dst.ends[method] = dst.ends.get(method, 0) + n
    if responses and src.responses:
        for method, shapes in src.responses.items():
            for shape in shapes:
                _add_response(dst, method, shape)
    if src.declared:
        dst.declared = (dst.declared or set()) | src.declared
    if src.pinned:
        dst.pinned = (dst.pinned or set()) | src.pinned
    if src.distinct is not None:
        if dst.distinct is None:
            dst.distinct = set()
            dst.first = src.first
        elif dst.first != src.first:
            dst.first = None
        for d in src.distinct:
            if len(dst.distinct) >= MAX_VALUES:
                break
            dst.distinct.add(d)
        if len(dst.distinct) > 1:
            dst.first = None
    dst.accepts_words |= src.accepts_words
    dst.name = dst.name or src.name


def _merge_raw(dst: _Node, src: _Node) -> int:
    """Merge the raw subtree ``src`` into ``dst``; returns how many nodes disappeared."""
    _absorb(dst, src)
    gone = 1
    for segment, child in src.children.items():
        target = dst.children.get(segment)
        if target is None:
            dst.children[segment] = child
        else:
            gone += _merge_raw(target, child)
    for suffix, param in src.params.items():
        target = dst.params.get(suffix)
        if target is None:
            dst.params[suffix] = param
        else:
            gone += _merge_raw(target, param)
    return gone


def _count_nodes(node: _Node) -> int:
    total, stack = 0, [node]
    while stack:
        n = stack.pop()
        total += 1
        stack += n.children.values()
        stack += n.params.values()
    return total


# --- building the view -----------------------------------------------------------------------


def _make_view(
    raw: _Node, commits: list[tuple[list[_Node], list[str]]], *, link: bool = False
) -> _Node:
    """The view of a raw tree. How often a typical endpoint is called is read from the raw
    tree, then again from the view (where folded values have gathered their counts), never
    beyond :data:`REPEATS_GROWTH` times the first reading: wrong folds must not feed themselves.
    Folds to make in the raw tree are added to ``commits``; with ``link`` every raw node points
    to its view node (observe's view only: reading must not change what observe returns)."""
    first = repeats = _typical_repeats(raw)
    found: list[tuple[list[_Node], list[str]]] = []
    view = _build([raw], "", is_param=False, path=[], used=set(), repeats=repeats, commits=found)
    for _ in range(REBUILD_ROUNDS):
        seen = min(_weighted_median(_endpoint_counts(view)), first * REPEATS_GROWTH)
        if seen <= repeats * 1.25:
            break
        repeats = seen
        found = []
        view = _build(
            [raw], "", is_param=False, path=[], used=set(), repeats=repeats, commits=found
        )
    commits += found
    if link:
        stack = [view]
        while stack:
            node = stack.pop()
            for source in node.sources or ():
                source.view_node = node
            stack += node.children.values()
            stack += node.params.values()
    return view


def _typical_repeats(root: _Node) -> float:
    """How many requests a typical endpoint of this host got: the count-weighted median of the
    leaves reached through nodes seen at least twice (values seen once each do not drag it
    down). 1 when next to no place repeats (each endpoint called once: a word seen once says
    little), higher when traffic repeats (then a word seen once, where a constant would have
    been seen that many times, is a value)."""
    leaves: list[int] = []
    calls = repeating = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.ends:
            leaves += node.ends.values()
        for child in (*node.children.values(), *node.params.values()):
            if child.count >= 2:
                stack.append(child)
            else:
                calls += sum(child.ends.values())  # a place seen once: counted, not followed
        for n in node.ends.values():
            calls += n
            if n >= 2:
                repeating += n
    if repeating < REPEATING_CALLS * calls:
        return 1.0
    return _weighted_median(leaves)


def _endpoint_counts(view: _Node) -> list[int]:
    counts: list[int] = []
    stack = [view]
    while stack:
        node = stack.pop()
        counts += node.ends.values()
        stack += node.children.values()
        stack += node.params.values()
    return counts


def _weighted_median(counts: list[int]) -> float:
    """The count of the endpoint that the median request went to."""
    if not counts:
        return 1.0
    counts.sort()
    half, seen = sum(counts) / 2, 0
    for n in counts:
        seen += n
        if seen >= half:
            return float(n)
    return float(counts[-1])


def _build(
    group: list[_Node], segment: str, *, is_param: bool, path: list[str], used: set[str],
    repeats: float, commits: list[tuple[list[_Node], list[str]]],
) -> _Node:  # fmt: skip
    """The view node standing for the raw nodes ``group`` (one place in the API), with the word
    decisions for its children taken on the merged evidence of the whole group."""
    view = _Node(segment, is_param=is_param)
    view.sources = group
    for raw in group:
        _absorb(view, raw, responses=False)  # decisions read responses in the raw tree
    if is_param and len(group) > 1:
        view.first = None
    literals: dict[str, list[_Node]] = {}
    params: dict[str, list[_Node]] = {}
    for raw in group:
        for seg, child in raw.children.items():
            literals.setdefault(seg, []).append(child)
        for suffix, param in raw.params.items():
            params.setdefault(suffix, []).append(param)
    folded = _word_values(view, literals, params, repeats)
    if len(folded) >= COMMIT_FOLDS:
        once = _still_new({seg: literals[seg] for seg in folded})
        if once:
            commits.append((group, once))
    for seg in folded:
        params.setdefault(split_suffix(seg)[1], []).extend(literals.pop(seg))
    extensions = [suffix for suffix in params if suffix.startswith(".")]
    if len(extensions) >= 2:  # file names as values (report.pdf, photo.jpg): one parameter
        for suffix in extensions:
            params.setdefault("", []).extend(params.pop(suffix))
    view.template = "/" + "/".join(path)
    for seg, nodes in literals.items():
        view.children[seg] = _build(
            nodes,
            seg,
            is_param=False,
            path=[*path, seg],
            used=used,
            repeats=repeats,
            commits=commits,
        )
    for suffix, nodes in params.items():
        words = any(split_suffix(s)[1] in (suffix, *extensions) for s in folded)
        shown = _shown_literal(nodes, words)
        if shown is not None:
            part, name = shown + suffix, None
        else:
            name = _unique(_param_name(view, nodes, words), used)
            part = "{" + name + "}" + suffix
        child = _build(
            nodes, suffix, is_param=True, path=[*path, part],
            used=used | {name} if name else used, repeats=repeats, commits=commits,
        )  # fmt: skip
        child.accepts_words |= words
        child.name = name
        if shown is not None:
            child.first = shown
        view.params[suffix] = child
    return view


def _param_name(parent: _Node, nodes: list[_Node], words: bool) -> str:
    for node in nodes:
        if node.name:
            return node.name
    return _derived_name(parent, words or any(n.accepts_words for n in nodes))


def _shown_literal(nodes: list[_Node], words: bool) -> str | None:
    """The one value a parameter ever had, when it looks like a constant seen repeatedly."""
    if words or len(nodes) != 1:
        return None
    node = nodes[0]
    if node.first is None or node.name or node.accepts_words or node.count < 2:
        return None
    if node.distinct is None or len(node.distinct) != 1:
        return None
    return node.first


def _word_values(
    view: _Node,
    literals: dict[str, list[_Node]],
    params: dict[str, list[_Node]],
    repeats: float,
) -> list[str]:
    """The word children of ``view`` that are values of a parameter, on the group's evidence.

    A constant is seen with every call to its endpoints, a value mostly once, so the values are
    the siblings seen less often than a typical endpoint (``repeats``); ``me`` or ``search``,
    seen as often as any endpoint, stay constants. Whether there are values at all:

    * many siblings lead to the same places below (:func:`_sharing_siblings`);
    * a parameter there already takes words;
    * where traffic repeats, at least two rarely seen siblings, half of them or
      :data:`MANY_LOW`;
    * where it does not (each endpoint called about once), a word seen once may be a constant
      called once: values show as calls to different endpoints (``GET`` of one, ``DELETE`` of
      another, ``/orders`` under a third) while constants are called alike (``POST .../cancel``,
      ``POST .../capture``). Under a plural collection (``/projects/alpha``) two such siblings
      are enough, and items read alike count too when their responses have one shape
      (``GET /profiles/alice-tan``).
    """
    counts: dict[str, int] = {}
    for seg, nodes in literals.items():
        if view.is_pinned(seg) or not _word_shaped(seg):
            continue
        counts[seg] = sum(n.count for n in nodes)
    if not counts:
        return []
    limit = max(2.0, repeats)
    rare = [seg for seg, c in counts.items() if c < limit]
    sharing = _sharing_siblings(counts, literals)
    if sharing:
        return [seg for seg in counts if seg in sharing or counts[seg] < limit]
    once = [seg for seg, c in counts.items() if c <= 1]
    if not once and repeats < POOL_REPEATS:
        return []  # nothing seen once and little repetition: no evidence of values
    if any(p.accepts_words for nodes in params.values() for p in nodes):
        return rare
    n = len(counts)
    if repeats >= 2:
        exist = len(rare) >= 2 and (len(rare) * 2 >= n or len(rare) >= MANY_LOW)
    else:
        distinct, same = _calls(once, literals)
        plural = not view.is_param and is_plural(view.segment)
        exist = (len(once) >= ONCE_MIN and distinct and len(once) >= ONCE_SHARE * n) or (
            plural
            and len(once) * 2 >= n
            and ((len(once) >= 2 and distinct) or (len(once) >= SAME_SHAPE_MIN and same))
        )
    return rare if exist else []


def _sharing_siblings(counts: dict[str, int], literals: dict[str, list[_Node]]) -> set[str]:
    """Many word siblings that lead to the same literals, themselves leading further
    (``/projects/alpha/locations/...``, ``/projects/beta/locations/...``), are values of one
    parameter however often each recurs: constants lead to different places (resources that
    share an action name, ``/invoices/list`` and ``/clients/list``, end there). Returns the
    siblings that share, or nothing when fewer than :data:`SHARED_SIBLINGS` do or when the
    places below them overlap less than :data:`SHARED_OVERLAP` times on average."""
    if len(counts) < SHARED_SIBLINGS:
        return set()
    support: dict[str, int] = {}
    deep: dict[str, set[str]] = {}
    for seg in counts:
        keys: set[str] = set()
        for node in literals[seg]:
            for key, child in node.children.items():
                if (child.children or child.params) and _word_shaped(key):
                    keys.add(key)
        if keys:
            deep[seg] = keys
            for key in keys:
                support[key] = support.get(key, 0) + 1
    shared = [n for n in support.values() if n >= 3]
    if not shared or sum(shared) < SHARED_OVERLAP * len(shared):
        return set()
    # a constant among the values leads somewhere of its own (``/users/profiles/...``)
    sharing = {seg for seg, keys in deep.items() if any(support[k] >= 3 for k in keys)}
    return sharing if len(sharing) >= SHARED_SIBLINGS else set()


def _calls(once: list[str], literals: dict[str, list[_Node]]) -> tuple[bool, bool]:
    """How these once-seen siblings were called: (no two alike, all read alike with one
    response shape). Alike is the same method and rest of the path (parameters as ``{}``)."""
    seen: set[tuple[str, ...]] = set()
    shapes: set[str] = set()
    distinct = True
    for seg in once:
        node = next(n for n in literals[seg] if n.count)
        signature: list[str] = []
        while not node.ends:
            if node.children:
                key, node = next(iter(node.children.items()))
                signature.append(key)
            elif node.params:
                key, node = next(iter(node.params.items()))
                signature.append("{}" + key)
            else:
                break
        signature += node.ends
        key_tuple = tuple(signature)
        distinct &= key_tuple not in seen
        seen.add(key_tuple)
        for method_shapes in (node.responses or {}).values():
            shapes.update(method_shapes)
        if not node.responses:
            shapes.add("")
    read = len(seen) == 1 and next(iter(seen))[-1] in (
        "GET",
        "HEAD",
    )  # POST .../hangup is an action
    return distinct, read and len(shapes) == 1 and "" not in shapes


# --- rendering -------------------------------------------------------------------------------


def _render(view: _Node | None, segments: list[str]) -> str:
    """The template of a path: the view's where it knows the path, else shapes alone."""
    node = view
    parts: list[str] = []
    for segment in segments:
        if node is not None:
            child = node.children.get(segment)
            if child is None:
                head, suffix = split_suffix(segment)
                param = node.params.get(suffix)
                if param is None and suffix[:1] == ".":
                    param = node.params.get("")
                if param is not None and (
                    param.accepts_words or classify(head) in IDENTIFIER_SHAPES
                ):
                    child = param
            if child is not None:
                node = child
                parts.append(child.template.rsplit("/", 1)[1] if child.is_param else segment)
                continue
            node = None
        head, suffix = split_suffix(segment)
        if classify(head) in IDENTIFIER_SHAPES:
            previous = parts[-1] if parts else ""
            words = previous and "{" not in previous and classify(previous) is Shape.WORD
            name = _camel(singular(previous)) + "Id" if words else "id"
            used = {m.group(1) for m in _NAME_IN_TEMPLATE.finditer("/".join(parts))}
            parts.append("{" + _unique(name if name[:1].isalpha() else "id", used) + "}" + suffix)
        else:
            parts.append(segment)
    if node is not None:
        return node.template
    return "/" + "/".join(parts)


_NAME_IN_TEMPLATE = re.compile(r"\{([^{}/]*)\}")


# --- persistence helpers ---------------------------------------------------------------------


def _node_to_dict(node: _Node) -> dict[str, Any]:
    out: dict[str, Any] = {"count": node.count}
    if node.ends:
        out["ends"] = dict(node.ends)
    if node.responses:
        out["responses"] = {m: list(s) for m, s in node.responses.items()}
    if node.declared:
        out["declared"] = sorted(node.declared)
    if node.pinned:
        out["pinned"] = sorted(node.pinned)
    if node.distinct is not None:
        out["distinct"] = sorted(node.distinct)
    if node.first is not None:
        out["first"] = node.first
    if node.name is not None:
        out["name"] = node.name
    if node.accepts_words:
        out["accepts_words"] = True
    if node.children:
        out["children"] = {s: _node_to_dict(c) for s, c in node.children.items()}
    if node.params:
        out["params"] = {s: _node_to_dict(p) for s, p in node.params.items()}
    return out


def _node_from_dict(segment: str, data: dict[str, Any], *, is_param: bool = False) -> _Node:
    node = _Node(segment, is_param=is_param)
    node.count = int(data.get("count", 0))
    node.ends = {str(m): int(n) for m, n in dict(data.get("ends", {})).items()}
    if "responses" in data:
        node.responses = {
            str(m): [str(s) for s in list(v)[:MAX_SHAPES]]
            for m, v in dict(data["responses"]).items()
        }
    if "declared" in data:
        node.declared = {str(m) for m in data["declared"]}
    if "pinned" in data:
        node.pinned = {str(s) for s in data["pinned"]}
    if "distinct" in data:
        node.distinct = {int(d) for d in list(data["distinct"])[:MAX_VALUES]}
    if "first" in data:
        node.first = str(data["first"])
    if "name" in data:
        node.name = str(data["name"])
    node.accepts_words = bool(data.get("accepts_words", False))
    for s, child in dict(data.get("children", {})).items():
        node.children[str(s)] = _node_from_dict(str(s), dict(child))
    for s, child in dict(data.get("params", {})).items():
        node.params[str(s)] = _node_from_dict(str(s), dict(child), is_param=True)
    return node
