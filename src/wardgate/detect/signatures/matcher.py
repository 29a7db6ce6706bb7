"""Compiles a rule pack into one Hyperscan database, so every rule costs one linear scan in total.

Scanning hundreds of regexes one by one would be hundreds of passes over a 100 kB document;
Hyperscan matches them all in a single pass with bounded memory and no backtracking, which also
makes catastrophic-regex denial of service impossible by construction.

Flags: caseless, UTF-8, leftmost start-of-match and dot-all (so bounded ``.{0,40}`` gaps cross line
breaks). ``HS_FLAG_UCP`` is deliberately *not* set: Hyperscan rejects ``\\b`` under UCP and
Unicode ``\\w`` classes make start-of-match databases explode in size, while caseless matching of
non-ASCII letters (Cyrillic, accented Latin) works in plain UTF-8 mode. Rules therefore use ``\\b``
only next to ASCII letters and spell out non-Latin scripts literally.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from wardgate.detect.scratch import ScratchPool
from wardgate.detect.signatures.pack import Pack, PackError

try:
    import hyperscan
except ImportError as exc:  # pragma: no cover - hyperscan is a declared dependency
    raise ImportError(
        "the signatures detector needs the 'hyperscan' package (a declared dependency of "
        "wardgate); install it with `pip install hyperscan`"
    ) from exc

FLAGS: int = (
    hyperscan.HS_FLAG_CASELESS
    | hyperscan.HS_FLAG_UTF8
    | hyperscan.HS_FLAG_SOM_LEFTMOST
    | hyperscan.HS_FLAG_DOTALL
)
_FLAGS_WITHOUT_SOM: int = FLAGS & ~hyperscan.HS_FLAG_SOM_LEFTMOST


@dataclass(frozen=True, slots=True)
class Hit:
    """The first match of one rule: its index in the pack and a character range of the text."""

    rule: int
    start: int
    end: int


class Matcher:
    """One compiled database for one pack; ``scan`` is thread-safe (scratch space per thread)."""

    def __init__(self, pack: Pack) -> None:
        self._db = _compile(pack)
        self._scratches = ScratchPool(self._db)

    def scan(self, text: str) -> list[Hit]:
        """Return the first (earliest-ending, leftmost-starting) hit of each matching rule."""
        if not text:
            return []
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: Hyperscan needs valid UTF-8
            data = text.encode("utf-8", "replace")  # one '?' per bad code point keeps positions
        found: dict[int, tuple[int, int]] = {}

        def on_match(rule: int, start: int, end: int, _flags: int, _ctx: object) -> None:
            if rule not in found:
                found[rule] = (start, end)

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratches.get())
        if not found:
            return []
        if len(data) == len(text):  # pure ASCII: byte offsets are character offsets
            return [Hit(rule, s, e) for rule, (s, e) in sorted(found.items())]
        to_char = _byte_to_char(data, {o for pair in found.values() for o in pair})
        return [Hit(rule, to_char[s], to_char[e]) for rule, (s, e) in sorted(found.items())]


def _byte_to_char(data: bytes, offsets: set[int]) -> dict[int, int]:
    """Map UTF-8 byte offsets (on character boundaries) to character offsets in one pass."""
    result: dict[int, int] = {}
    chars = 0
    previous = 0
    for offset in sorted(offsets):
        chars += len(data[previous:offset].decode("utf-8", "replace"))
        result[offset] = chars
        previous = offset
    return result


def _compile(pack: Pack) -> hyperscan.Database:
    """Load the serialised database for this pack from the disk cache, or compile and store it.

    Compiling ~100 start-of-match patterns with bounded gaps takes Hyperscan tens of seconds; the
    serialised database loads in milliseconds, so only the first process after a rule change pays.
    """
    if not pack.rules:
        raise PackError("the signature pack is empty: enable at least one rule family")
    path = _cache_path(pack)
    cached = _load_cached(path) if path is not None else None
    if cached is not None:
        return cached
    db = _compile_fresh(pack)
    if path is not None:
        _store_cached(path, db)
    return db


def _cache_path(pack: Pack) -> Path | None:
    if os.environ.get("WARDGATE_NO_DISK_CACHE"):
        return None
    root = os.environ.get("WARDGATE_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    if not os.environ.get("WARDGATE_CACHE_DIR"):
        base = base / "wardgate"
    version = str(getattr(hyperscan, "__version__", "0")).replace("/", "_")
    return base / f"signatures-{pack.digest[:40]}-hs{version}-f{FLAGS}.hsdb"


def _load_cached(path: Path) -> hyperscan.Database | None:
    """Return the cached database if present and intact; any problem means 'recompile'."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    checksum, payload = blob[:32], blob[32:]
    if len(blob) <= 32 or hashlib.sha256(payload).digest() != checksum:
        return None
    try:
        db: hyperscan.Database = hyperscan.loadb(payload, hyperscan.HS_MODE_BLOCK)
    except (hyperscan.error, TypeError, ValueError):
        return None
    return db


def _store_cached(path: Path, db: hyperscan.Database) -> None:
    """Write atomically (temp file + rename); a read-only cache directory is not an error."""
    try:
        payload = bytes(hyperscan.dumpb(db))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signatures-", suffix=".tmp")
    except (OSError, hyperscan.error):
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return
    _prune_cache(path.parent, keep=path)


CACHE_KEEP = 4


def _prune_cache(directory: Path, keep: Path) -> None:
    """Keep the newest few compiled packs (each tens of MB): old rule versions pile up otherwise."""
    try:
        entries = sorted(
            directory.glob("signatures-*.hsdb"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for stale in [p for p in entries if p != keep][CACHE_KEEP - 1 :]:
            stale.unlink(missing_ok=True)
    except OSError:
        return


def _compile_fresh(pack: Pack) -> hyperscan.Database:
    expressions = [p.rule.pattern.encode("utf-8") for p in pack.rules]
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        db.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=FLAGS,
        )
    except hyperscan.error as exc:
        raise PackError(_culprit(pack) or f"cannot compile the signature pack: {exc}") from None
    return db


def _culprit(pack: Pack) -> str | None:
    """Compile rules one at a time to name the one that broke the database, and why."""
    for packed in pack.rules:
        rule = packed.rule
        expression = rule.pattern.encode("utf-8")
        try:
            check_pattern(expression, FLAGS)
        except hyperscan.error as exc:
            try:
                check_pattern(expression, _FLAGS_WITHOUT_SOM)
            except hyperscan.error:
                return f"rule {rule.id!r} ({packed.family}): invalid pattern: {exc}"
            return (
                f"rule {rule.id!r} ({packed.family}): pattern compiles only without start-of-match "
                f"tracking (HS_FLAG_SOM_LEFTMOST): {exc}; simplify it (shorter bounded gaps, "
                "fewer nested repeats)"
            )
    return None


def check_pattern(expression: bytes, flags: int = FLAGS) -> None:
    """Compile one pattern alone; raise ``hyperscan.error`` if Hyperscan rejects it."""
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=[expression], ids=[0], elements=1, flags=flags)


_CACHE: dict[str, Matcher] = {}
_CACHE_LOCK = threading.Lock()


def matcher_for(pack: Pack) -> Matcher:
    """The compiled matcher for ``pack``, built once per process per pack content."""
    key = pack.digest
    with _CACHE_LOCK:
        matcher = _CACHE.get(key)
        if matcher is None:
            matcher = Matcher(pack)
            _CACHE[key] = matcher
        return matcher
