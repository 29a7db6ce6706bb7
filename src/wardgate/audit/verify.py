"""Offline verification of an audit log or bundle, naming exactly what was tampered with.

The only trusted input is the public key. Everything else is evidence, weighed in this order:

1. **Signed checkpoints** whose signature verifies: each commits to (tree size, root).
2. **The records' own bytes**: each record's leaf hash is recomputed, and the ``seq`` inside the
   record (it is hashed, so it cannot be changed without changing the record) says where the
   record belongs in the tree.
3. **Stored derived data** (the leaf hash recorded at append time, the stored subtree hashes,
   the position a record is stored at): untrusted, used only to *locate* a difference once a
   checkpoint has authenticated it.

From these the verifier reconstructs the tree the records claim to be (each record at the slot
its own ``seq`` names), then reports:

* ``record-removed``: a slot no record claims (a gap, or fewer records than a checkpoint signed);
* ``record-inserted``: a record claiming a slot another record already holds in order, or far
  beyond the log;
* ``records-reordered``: a record stored out of order (it still matches its leaf hash; only its
  position changed);
* ``record-changed``: a record whose content no longer matches what was committed: found
  exactly when its stored leaf hash differs from its recomputed one, or by descending the
  checkpoint's tree along authenticated stored subtree hashes; when an attacker rewrote all
  derived data too, the change is bracketed between the last checkpoint that still matches and
  the first that does not;
* ``checkpoint-fork``: two validly signed checkpoints that cannot both be true (same size,
  different roots; or a smaller one that is not a prefix of a larger one the records match);
* ``bad-signature`` / ``unknown-key`` / ``malformed``: checkpoints that are altered, signed by
  another key, or unreadable.

Records after the last verified checkpoint are only as trustworthy as the store: the report
counts them (``unverified_records``). Checkpoints should be exported off the machine regularly.

Memory: about 150 bytes per record (recomputed, stored and claimed leaf hashes, slot indexes, in
packed arrays); localising a change builds two in-memory trees (another ~130 bytes per record)
only when a checkpoint fails. Time is linear in the number of records.
"""

from __future__ import annotations

import contextlib
import heapq
import sqlite3
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wardgate.audit import merkle
from wardgate.audit.records import CanonicalJSONError, decode_record
from wardgate.audit.signing import (
    BadSignature,
    Checkpoint,
    MalformedCheckpoint,
    UnknownKey,
    parse_checkpoint,
    verify_checkpoint,
)

MAX_REPORTED = 200
"""Problems of one kind listed individually; the rest are summarised in one line."""
_MAX_INSERT_CHECKS = 16


class ProblemKind(StrEnum):
    RECORD_CHANGED = "record-changed"
    RECORD_REMOVED = "record-removed"
    RECORD_INSERTED = "record-inserted"
    RECORDS_REORDERED = "records-reordered"
    BAD_SIGNATURE = "bad-signature"
    CHECKPOINT_FORK = "checkpoint-fork"
    UNKNOWN_KEY = "unknown-key"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong. ``seq``..``seq_end`` (exclusive) are record seqs (slots in the tree);
    ``position`` is where a record is stored; ``checkpoint`` is a checkpoint's id."""

    kind: ProblemKind
    message: str
    seq: int | None = None
    seq_end: int | None = None
    position: int | None = None
    checkpoint: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "message": self.message}
        for name in ("seq", "seq_end", "position", "checkpoint"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass(slots=True)
class VerificationReport:
    """The verdict: ``ok`` is True only if no problem was found."""

    origin: str
    records: int = 0
    checkpoints: int = 0
    valid_checkpoints: int = 0
    verified_size: int = 0
    """Records covered by the largest checkpoint that verifies and that the records match."""
    verified_root: bytes | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unverified_records(self) -> int:
        return max(0, self.records - self.verified_size)

    def kinds(self) -> set[str]:
        return {p.kind.value for p in self.problems}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "origin": self.origin,
            "records": self.records,
            "checkpoints": self.checkpoints,
            "valid_checkpoints": self.valid_checkpoints,
            "verified_size": self.verified_size,
            "verified_root": self.verified_root.hex() if self.verified_root else None,
            "unverified_records": self.unverified_records,
            "problems": [p.to_dict() for p in self.problems],
        }

    def format_text(self) -> str:
        """Readable report for an auditor, one problem per line."""
        head = "OK" if self.ok else f"FAILED: {len(self.problems)} problem(s)"
        lines = [
            f"{head}  log {self.origin}",
            f"  {self.records} records, {self.checkpoints} checkpoints "
            f"({self.valid_checkpoints} validly signed)",
            (
                f"  verified: records 0..{self.verified_size - 1}, placed by their own seq, match "
                f"a signed checkpoint (root {self.verified_root.hex()})"
                if self.verified_size and self.verified_root
                else "  verified: no records are covered by a matching signed checkpoint"
            ),
        ]
        if self.ok and self.unverified_records:
            lines.append(
                f"  note: {self.unverified_records} newer records are not yet covered by a "
                "signed checkpoint"
            )
        lines += [f"  [{p.kind.value}] {p.message}" for p in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class RowEvidence:
    """One stored record: where it is stored, its bytes, and the leaf hash stored beside it."""

    position: int
    data: bytes
    stored_leaf: bytes | None


StoredNodes = Callable[[int, int], bytes | None]
"""Stored perfect-subtree hash at (level >= 1, index), or None if absent."""


def _short(h: bytes) -> str:
    return h.hex()[:16]


def _span(a: int, b: int) -> str:
    return f"record {a}" if b == a + 1 else f"records {a}..{b - 1}"


class _Verifier:
    """One verification run; see the module docstring for the method."""

    def __init__(self, origin: str, keys: Sequence[Ed25519PublicKey]) -> None:
        self.report = VerificationReport(origin=origin)
        self.keys = keys
        self.valid: list[tuple[int, Checkpoint]] = []
        self.forked: set[int] = set()
        self.counts: dict[ProblemKind, int] = {}
        # per stored row (storage order)
        self.leaf = bytearray()
        self.stored = bytearray()
        self.has_stored = bytearray()
        self.claim = array("q")  # the seq inside the record, -1 if unreadable
        self.position = array("q")  # ascending: rows arrive sorted by where they are stored
        self.bad_reason: dict[int, str] = {}
        # set by align(): where each row belongs
        self.run_slots = array("q")  # slots of the rows stored in order (ascending)...
        self.run_rows = array("q")  # ...and those rows
        self.placed: dict[int, int] = {}  # slot -> row, for the few rows stored out of order
        self.inserted: list[tuple[int, int]] = []  # (row, row whose slot it duplicates or -1)
        self.moved: list[int] = []
        self.holes: list[tuple[int, int]] = []  # [start, end) of slots no record claims
        self.first_hole = 0
        self.order = array("q")  # rows of slots [0, first_hole), in slot order
        # set by claimed_leaves()
        self.claimed = bytearray()
        self.changed: dict[int, str] = {}

    def problem(self, kind: ProblemKind, message: str, **where: int | None) -> None:
        count = self.counts.get(kind, 0) + 1
        self.counts[kind] = count
        if count <= MAX_REPORTED:
            self.report.problems.append(Problem(kind, message, **where))

    # -- checkpoints ---------------------------------------------------------------------------

    def read_checkpoints(self, notes: Iterable[tuple[int, str]]) -> None:
        for cid, note in notes:
            self.report.checkpoints += 1
            label = f"checkpoint #{cid}"
            with contextlib.suppress(MalformedCheckpoint):
                label += f" (size {parse_checkpoint(note).size})"
            try:
                cp = verify_checkpoint(note, self.keys, origin=self.report.origin)
            except BadSignature:
                self.problem(
                    ProblemKind.BAD_SIGNATURE,
                    f"{label}: signature does not verify; the checkpoint was altered or forged",
                    checkpoint=cid,
                )
                continue
            except UnknownKey:
                self.problem(
                    ProblemKind.UNKNOWN_KEY,
                    f"{label}: not signed by the given public key",
                    checkpoint=cid,
                )
                continue
            except MalformedCheckpoint as exc:
                self.problem(ProblemKind.MALFORMED, f"{label}: {exc}", checkpoint=cid)
                continue
            self.valid.append((cid, cp))
        self.report.valid_checkpoints = len(self.valid)
        self.valid.sort(key=lambda item: (item[1].size, item[0]))
        first_at: dict[int, tuple[int, Checkpoint]] = {}
        for cid, cp in self.valid:
            seen = first_at.setdefault(cp.size, (cid, cp))
            if seen[1].root != cp.root:
                self.forked.update((cid, seen[0]))
                self.problem(
                    ProblemKind.CHECKPOINT_FORK,
                    f"checkpoints #{seen[0]} and #{cid} both sign tree size {cp.size} with "
                    f"different roots ({_short(seen[1].root)}… vs {_short(cp.root)}…): "
                    "two different histories were signed",
                    checkpoint=cid,
                )

    # -- records -------------------------------------------------------------------------------

    def read_rows(self, rows: Iterable[RowEvidence]) -> None:
        for row in rows:
            i = len(self.claim)
            self.leaf += merkle.leaf_hash(row.data)
            ok_stored = row.stored_leaf is not None and len(row.stored_leaf) == merkle.HASH_SIZE
            self.stored += row.stored_leaf if ok_stored and row.stored_leaf else bytes(32)
            self.has_stored.append(1 if ok_stored else 0)
            self.position.append(row.position)
            try:
                self.claim.append(decode_record(row.data).seq)
            except CanonicalJSONError as exc:
                self.claim.append(-1)
                self.bad_reason[i] = str(exc)
        self.report.records = len(self.claim)

    def _leaf(self, i: int) -> bytes:
        return bytes(self.leaf[32 * i : 32 * i + 32])

    def _stored(self, i: int) -> bytes | None:
        return bytes(self.stored[32 * i : 32 * i + 32]) if self.has_stored[i] else None

    def _longest_in_order(self) -> bytearray:
        """Rows on a longest strictly increasing run of claimed seqs (ties: the later row)."""
        n = len(self.claim)
        tails_seq: list[int] = []
        tails_row: list[int] = []
        prev = array("q", [-1]) * n
        for i in range(n):
            s = self.claim[i]
            if s < 0:
                continue
            j = bisect_left(tails_seq, s)
            prev[i] = tails_row[j - 1] if j else -1
            if j == len(tails_seq):
                tails_seq.append(s)
                tails_row.append(i)
            else:
                tails_seq[j] = s
                tails_row[j] = i
        chosen = bytearray(n)
        i = tails_row[-1] if tails_row else -1
        while i >= 0:
            chosen[i] = 1
            i = prev[i]
        return chosen

    def align(self) -> None:
        """Give every row the slot its own seq claims; find removed, inserted, moved records."""
        n = len(self.claim)
        top = max((cp.size for _, cp in self.valid), default=0)
        limit = max(top, 2 * n + 1024)  # a claim this far out is not a record that went missing
        in_order = self._longest_in_order()
        for i in range(n):
            if in_order[i]:
                self.run_slots.append(self.claim[i])
                self.run_rows.append(i)
        last_slot = -1
        for i in range(n):
            s = self.claim[i]
            if in_order[i]:
                last_slot = s
                continue
            if s < 0:  # unreadable: assume it sits where its neighbours say
                s = last_slot + 1
                if s < limit and self._holder(s) < 0:
                    self.placed[s] = i
                    last_slot = s
                else:
                    self.inserted.append((i, -1))
                continue
            holder = self._holder(s) if s < limit else -1
            if s >= limit:
                self.inserted.append((i, -1))
            elif holder >= 0:
                self.inserted.append((i, holder))
            else:
                self.placed[s] = i
                self.moved.append(i)
        self._resolve_duplicates()
        expected = 0
        first_hole: int | None = None
        for s, row in self._assigned():
            if s > expected:
                self.holes.append((expected, s))
                first_hole = expected if first_hole is None else first_hole
            if first_hole is None:
                self.order.append(row)
            expected = s + 1
        if top > expected:
            self.holes.append((expected, top))
            first_hole = expected if first_hole is None else first_hole
        self.first_hole = expected if first_hole is None else first_hole

    def _holder(self, s: int) -> int:
        """The row assigned to slot ``s`` so far, or -1."""
        j = bisect_left(self.run_slots, s)
        if j < len(self.run_slots) and self.run_slots[j] == s:
            return self.run_rows[j]
        return self.placed.get(s, -1)

    def _assigned(self) -> Iterator[tuple[int, int]]:
        """(slot, row) for every placed row, in slot order."""
        return heapq.merge(
            zip(self.run_slots, self.run_rows, strict=True), sorted(self.placed.items())
        )

    def _slot_leaf(self, s: int) -> bytes:
        return self._leaf(self.order[s])

    def _prefix_root(self, size: int) -> bytes | None:
        """Root of slots [0, size) as currently assigned; None if one of them is empty."""
        frontier = merkle.Frontier()
        for s, row in self._assigned():
            if s >= size:
                break
            if s != frontier.size:
                return None
            frontier.append(self._leaf(row))
        return frontier.root() if frontier.size == size else None

    def _reassign(self, s: int, row: int) -> None:
        j = bisect_left(self.run_slots, s)
        if j < len(self.run_slots) and self.run_slots[j] == s:
            self.run_rows[j] = row
        else:
            self.placed[s] = row

    def _resolve_duplicates(self) -> None:
        """Two records claim one slot: keep the one the earliest covering checkpoint signed."""
        for k, (extra, kept) in enumerate(self.inserted[:_MAX_INSERT_CHECKS]):
            if kept < 0:
                continue
            s = self.claim[extra]
            cover = next(
                (cp for cid, cp in self.valid if cp.size > s and cid not in self.forked), None
            )
            if cover is None or self._prefix_root(cover.size) in (None, cover.root):
                continue
            self._reassign(s, extra)
            if self._prefix_root(cover.size) == cover.root:
                self.inserted[k] = (kept, extra)
            else:
                self._reassign(s, kept)

    def report_structure(self) -> None:
        for s0, s1 in self.holes:
            covered = any(cp.size > s0 for _, cp in self.valid)
            self.problem(
                ProblemKind.RECORD_REMOVED,
                f"{_span(s0, s1)} {'is' if s1 == s0 + 1 else 'are'} missing"
                + (" (signed in a checkpoint)" if covered else " (seq gap)"),
                seq=s0,
                seq_end=s1,
            )
        for row, dup in self.inserted:
            pos = self.position[row]
            s = self.claim[row]
            if s < 0:
                why = "an unreadable record with no missing slot to fill"
            elif dup >= 0:
                why = f"it claims seq {s}, which the record at position {self.position[dup]} holds"
            else:
                why = f"it claims seq {s}, beyond the end of the log"
            self.problem(
                ProblemKind.RECORD_INSERTED,
                f"extra record stored at position {pos}: {why}",
                seq=s if s >= 0 else None,
                position=pos,
            )
        for row in self.moved:
            pos = self.position[row]
            s = self.claim[row]
            self.problem(
                ProblemKind.RECORDS_REORDERED,
                f"record {s} is stored at position {pos}, out of order "
                "(its content is intact; the log order was changed)",
                seq=s,
                seq_end=s + 1,
                position=pos,
            )

    def claimed_leaves(self) -> None:
        """The leaf hash recorded for each slot, and the slots whose content is known changed."""
        for s, row in self._assigned():
            leaf, stored = self._leaf(row), self._stored(row)
            at_pos = bisect_left(self.position, s)
            stored_here = (
                self._stored(at_pos)
                if at_pos < len(self.position) and self.position[at_pos] == s
                else None
            )
            intact = leaf in (stored, stored_here)  # or moved without its hash column
            if s < self.first_hole:
                self.claimed += leaf if intact or stored is None else stored
            if intact:
                continue
            pos = self.position[row]
            if row in self.bad_reason:
                self.changed[s] = (
                    f"record {s} (position {pos}) is not a valid audit record "
                    f"({self.bad_reason[row]}): it was modified"
                )
            elif stored is not None:
                self.changed[s] = (
                    f"record {s} (position {pos}) was modified: its content no longer "
                    "matches the leaf hash recorded when it was appended"
                )

    # -- checking against checkpoints -------------------------------------------------------------

    def check(self, stored_nodes: StoredNodes | None) -> None:
        checkable = [
            (cid, cp) for cid, cp in self.valid if cp.size <= self.first_hole and cp.size > 0
        ]
        sizes = sorted({cp.size for _, cp in checkable})
        roots_leaf = self._roots(sizes, self._slot_leaf)
        roots_claimed = self._roots(sizes, self._claimed_leaf)
        for cid, cp in self.valid:
            if cp.size == 0 and cp.root == merkle.EMPTY_ROOT and cid not in self.forked:
                self._verified(cp)
        matched = {cid for cid, cp in checkable if roots_leaf[cp.size] == cp.root}
        matched_claimed = {cid for cid, cp in checkable if roots_claimed[cp.size] == cp.root}
        reported = _Reported()
        trees: tuple[merkle.MemoryTree, merkle.MemoryTree] | None = None
        for cid, cp in checkable:
            if cid in matched:
                if cid not in self.forked:
                    self._verified(cp)
                continue
            if cid in self.forked:
                continue
            witness = next(
                (
                    (cid2, cp2)
                    for cid2, cp2 in checkable
                    if cp2.size > cp.size
                    and (
                        cid2 in matched or (cid2 in matched_claimed and cid not in matched_claimed)
                    )
                ),
                None,
            )
            if witness is not None:
                self.problem(
                    ProblemKind.CHECKPOINT_FORK,
                    f"checkpoint #{cid} (size {cp.size}, root {_short(cp.root)}…) is not a "
                    f"prefix of checkpoint #{witness[0]} (size {witness[1].size}), which the "
                    "records match: two different histories were signed",
                    checkpoint=cid,
                )
                continue
            if trees is None:
                trees = self._trees()
            self._localise(
                cid=cid,
                cp=cp,
                trees=trees,
                stored_nodes=stored_nodes,
                matched=matched,
                reported=reported,
            )
        for s, message in sorted(self.changed.items()):
            if reported.covers(s, s + 1):
                continue
            if s < self.report.verified_size:
                self.problem(
                    ProblemKind.MALFORMED,
                    f"the stored leaf hash of record {s} was altered; the record itself matches "
                    f"the signed checkpoint of size {self.report.verified_size}",
                    seq=s,
                    seq_end=s + 1,
                )
                continue
            covered = any(cp.size > s for _, cp in self.valid)
            suffix = "" if covered else " (not yet covered by a checkpoint)"
            self.problem(ProblemKind.RECORD_CHANGED, message + suffix, seq=s, seq_end=s + 1)

    def _verified(self, cp: Checkpoint) -> None:
        if cp.size >= self.report.verified_size:
            self.report.verified_size = cp.size
            self.report.verified_root = cp.root

    def _claimed_leaf(self, s: int) -> bytes:
        return bytes(self.claimed[32 * s : 32 * s + 32])

    @staticmethod
    def _roots(sizes: Sequence[int], leaf_at: Callable[[int], bytes]) -> dict[int, bytes]:
        """Roots at each of ``sizes`` (ascending) in one pass over the leaves."""
        out: dict[int, bytes] = {}
        frontier = merkle.Frontier()
        for size in sizes:
            while frontier.size < size:
                frontier.append(leaf_at(frontier.size))
            out[size] = frontier.root()
        return out

    def _trees(self) -> tuple[merkle.MemoryTree, merkle.MemoryTree]:
        limit = self.first_hole
        recomputed = merkle.MemoryTree(self._slot_leaf(s) for s in range(limit))
        claimed = merkle.MemoryTree(self._claimed_leaf(s) for s in range(limit))
        return recomputed, claimed

    def _localise(
        self,
        *,
        cid: int,
        cp: Checkpoint,
        trees: tuple[merkle.MemoryTree, merkle.MemoryTree],
        stored_nodes: StoredNodes | None,
        matched: set[int],
        reported: _Reported,
    ) -> None:
        """Find which records differ from what ``cp`` signed."""
        recomputed, claimed_tree = trees

        def claimed(level: int, index: int) -> bytes:
            if level and stored_nodes is not None:
                node = stored_nodes(level, index)
                if node is not None and len(node) == merkle.HASH_SIZE:
                    return node
            return claimed_tree.perfect(level, index)

        where = f"checkpoint #{cid} (size {cp.size})"
        tops = merkle.perfect_subtrees(cp.size)
        top_hashes = [claimed(lv, ix) for lv, ix in tops]
        if merkle.fold_right(top_hashes) == cp.root:
            exact: list[int] = []
            spans: list[tuple[int, int]] = []
            stack = [
                (lv, ix)
                for (lv, ix), h in zip(tops, top_hashes, strict=True)
                if recomputed.perfect(lv, ix) != h
            ]
            while stack and len(exact) + len(spans) < MAX_REPORTED:
                lv, ix = stack.pop()
                if lv == 0:
                    exact.append(ix)
                    continue
                left, right = claimed(lv - 1, 2 * ix), claimed(lv - 1, 2 * ix + 1)
                if merkle.node_hash(left, right) != claimed(lv, ix):
                    spans.append((ix << lv, (ix + 1) << lv))
                    continue
                for child, h in ((2 * ix + 1, right), (2 * ix, left)):
                    if recomputed.perfect(lv - 1, child) != h:
                        stack.append((lv - 1, child))
            for s in sorted(exact):
                if reported.add(s, s + 1):
                    self.problem(
                        ProblemKind.RECORD_CHANGED,
                        self.changed.get(s)
                        or f"record {s} was modified: its hash differs from the one {where} "
                        "commits to",
                        seq=s,
                        seq_end=s + 1,
                    )
            for a, b in sorted(spans):
                if reported.add(a, b):
                    self.problem(
                        ProblemKind.RECORD_CHANGED,
                        f"one of {_span(a, b)} was modified (their stored hashes were rewritten "
                        f"too); {where} commits to different content",
                        seq=a,
                        seq_end=b,
                    )
            if exact or spans:
                return
        start = max((c.size for i, c in self.valid if i in matched and c.size < cp.size), default=0)
        known = sorted(s for s in self.changed if start <= s < cp.size)
        if known:  # the stored hashes are not authentic, but these records are known changed
            for s in known:
                if reported.add(s, s + 1):
                    self.problem(ProblemKind.RECORD_CHANGED, self.changed[s], seq=s, seq_end=s + 1)
            return
        if not reported.add(start, cp.size):
            return
        self.problem(
            ProblemKind.RECORD_CHANGED,
            f"one of {_span(start, cp.size)} was modified: the records no longer match {where}, "
            "and the stored hashes were rewritten, so the change cannot be narrowed further",
            seq=start,
            seq_end=cp.size,
            checkpoint=cid,
        )


class _Reported:
    """Record ranges already reported as changed, so one change is named once."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []

    def covers(self, a: int, b: int) -> bool:
        return any(x < b and a < y for x, y in self._spans)

    def add(self, a: int, b: int) -> bool:
        """Remember [a, b); False if it overlaps something already reported."""
        if self.covers(a, b):
            return False
        self._spans.append((a, b))
        return True


def _keys(public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey]) -> list[Ed25519PublicKey]:
    if isinstance(public_keys, Ed25519PublicKey):
        return [public_keys]
    return list(public_keys)


def verify_evidence(
    origin: str,
    public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey],
    rows: Iterable[RowEvidence],
    checkpoints: Iterable[tuple[int, str]],
    *,
    stored_nodes: StoredNodes | None = None,
) -> VerificationReport:
    """Verify records (in storage order) and checkpoints (id, signed note) of the log ``origin``."""
    verifier = _Verifier(origin, _keys(public_keys))
    verifier.read_checkpoints(checkpoints)
    verifier.read_rows(rows)
    verifier.align()
    verifier.report_structure()
    verifier.claimed_leaves()
    verifier.check(stored_nodes)
    omitted = {k: c - MAX_REPORTED for k, c in verifier.counts.items() if c > MAX_REPORTED}
    for kind, extra in omitted.items():
        verifier.report.problems.append(
            Problem(kind, f"... and {extra} more {kind.value} problems")
        )
    return verifier.report


def verify_log(
    db_path: str | Path, public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey]
) -> VerificationReport:
    """Verify the audit log in the SQLite file ``db_path``, opened read-only.

    Raises ``ValueError`` if the file is not a Wardgate audit log.
    """
    path = Path(db_path)
    if not path.is_file():
        raise ValueError(f"no database at {path}")
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    try:
        try:
            row = conn.execute("SELECT value FROM audit_meta WHERE key = 'origin'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"not a Wardgate audit log: {exc}") from None
        if row is None:
            raise ValueError("not a Wardgate audit log: no origin recorded")
        notes = [
            (int(r[0]), str(r[1]))
            for r in conn.execute("SELECT id, note FROM audit_checkpoints ORDER BY id")
        ]

        def rows() -> Iterable[RowEvidence]:
            cursor = conn.execute("SELECT seq, record, leaf_hash FROM audit_records ORDER BY seq")
            for seq, data, leaf in cursor:
                blob = data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")
                yield RowEvidence(int(seq), blob, bytes(leaf) if isinstance(leaf, bytes) else None)

        def nodes(level: int, index: int) -> bytes | None:
            found = conn.execute(
                "SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?", (level, index)
            ).fetchone()
            return bytes(found[0]) if found is not None and isinstance(found[0], bytes) else None

        return verify_evidence(str(row[0]), public_keys, rows(), notes, stored_nodes=nodes)
    finally:
        conn.close()


def verify_bundle(
    bundle: Mapping[str, Any], public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey]
) -> VerificationReport:
    """Verify an exported bundle (see :mod:`wardgate.audit.bundle`) against ``public_keys``."""
    from wardgate.audit.bundle import read_bundle  # noqa: PLC0415 - bundle imports this module

    keys = _keys(public_keys)
    contents = read_bundle(bundle)
    report = verify_evidence(contents.origin, keys, contents.rows, contents.checkpoints)
    extra: list[Problem] = [Problem(ProblemKind.MALFORMED, msg) for msg in contents.errors]
    if contents.public_key is not None and not any(
        k.public_bytes_raw() == contents.public_key for k in keys
    ):
        extra.append(
            Problem(
                ProblemKind.UNKNOWN_KEY,
                "the bundle names a different signing key than the one given; only the given "
                "key is trusted",
            )
        )
    report.problems[:0] = extra
    return report
