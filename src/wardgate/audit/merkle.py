"""RFC 6962 Merkle tree hashing, proof generation and proof verification.

Hashing is RFC 6962 §2.1 (SHA-256, ``0x00`` leaf prefix, ``0x01`` node prefix, the largest power
of two *smaller* than ``n`` as the split), so roots and proofs interoperate with Certificate
Transparency and transparency-dev tooling. Verification follows the algorithms of RFC 9162
§2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

Proofs are generated from a :class:`NodeReader`: anything that returns the hash of a *perfect*
subtree (``2**level`` leaves starting at ``index * 2**level``). Perfect subtrees never change in an
append-only log, so a store can persist them once (see :mod:`wardgate.audit.log`); an inclusion or
consistency proof then costs O(log n) reads, and so does the root of any past size. Appends keep a
:class:`Frontier`, the O(log n) perfect-subtree roots along the right edge of the tree.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string (RFC 6962 §2.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the leaf hash of one entry."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (RFC 6962's ``k``); ``n >= 2``."""
    if n < 2:
        raise ValueError("split_point needs n >= 2")
    return 1 << ((n - 1).bit_length() - 1)


class Node(NamedTuple):
    """A perfect subtree: ``2**level`` leaves starting at leaf ``idx * 2**level``."""

    level: int
    idx: int
    hash: bytes


class NodeReader(Protocol):
    """Source of perfect-subtree hashes; level 0 is the leaf hashes themselves."""

    def perfect(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree at (level, index); it must already be complete."""
        ...


def perfect_subtrees(size: int) -> list[tuple[int, int]]:
    """The (level, index) of the perfect subtrees that make up a tree of ``size`` leaves.

    Listed left to right, largest first: one per set bit of ``size``. Folding their hashes from
    the right with :func:`node_hash` gives the root (see :func:`fold_right`).
    """
    out: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Root of a tree whose right-edge perfect subtrees are ``hashes`` (left to right)."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


def _check_range(start: int, end: int) -> None:
    if not 0 <= start < end:
        raise ValueError("empty or negative leaf range")
    span = end - start
    if start % (1 << (span - 1).bit_length()):
        raise ValueError("range is not aligned as an RFC 6962 subtree")


def subtree_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the RFC 6962 recursion produces (``start`` aligned).

    The range splits into at most log2(end - start) + 1 perfect subtrees, each one read.
    """
    _check_range(start, end)
    pieces: list[bytes] = []
    while start < end:
        level = (end - start).bit_length() - 1
        pieces.append(reader.perfect(level, start >> level))
        start += 1 << level
    return fold_right(pieces)


def root_hash(reader: NodeReader, size: int) -> bytes:
    """MTH of the first ``size`` leaves (``EMPTY_ROOT`` for 0)."""
    if size < 0:
        raise ValueError("size must be >= 0")
    return EMPTY_ROOT if size == 0 else subtree_hash(reader, 0, size)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 6962 §2.1.1: the audit path of leaf ``index``."""
    if not 0 <= index < size:
        raise ValueError("leaf index out of range for tree size")
    out: list[bytes] = []
    start, n, m = 0, size, index
    while n > 1:  # descend, collecting siblings top-down; reversed at the end
        k = split_point(n)
        if m < k:
            out.append(subtree_hash(reader, start + k, start + n))
            n = k
        else:
            out.append(subtree_hash(reader, start, start + k))
            start, n, m = start + k, n - k, m - k
    out.reverse()
    return out


def consistency_proof(reader: NodeReader, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[size2]) of RFC 6962 §2.1.2; empty when ``size1`` is 0 or ``size2``."""
    if not 0 <= size1 <= size2:
        raise ValueError("consistency proof needs 0 <= size1 <= size2")
    if size1 in (0, size2):
        return []
    out: list[bytes] = []
    start, n, m, complete = 0, size2, size1, True
    while m != n:
        k = split_point(n)
        if m <= k:
            out.append(subtree_hash(reader, start + k, start + n))
            n = k
        else:
            out.append(subtree_hash(reader, start, start + k))
            start, n, m, complete = start + k, n - k, m - k, False
    if not complete:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
        out.append(subtree_hash(reader, start, start + n))
    out.reverse()
    return out


def _sizes_ok(*hashes: bytes) -> bool:
    return all(len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows that ``leaf`` (a leaf hash) is at ``index`` in the tree ``root``.

    RFC 9162 §2.1.3.2. Any malformed input (wrong hash length, index out of range, proof of the
    wrong length) is simply not a valid proof.
    """
    if not 0 <= index < size or not _sizes_ok(leaf, root, *proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """True if ``proof`` shows that tree ``root1`` (``size1``) is a prefix of ``root2`` (``size2``).

    RFC 9162 §2.1.4.2, plus its trivial cases: the empty tree is a prefix of every tree (empty
    proof), and a tree is consistent with itself (empty proof, equal roots).
    """
    if not 0 <= size1 <= size2:
        return False
    if size1 == size2:
        return not proof and hmac.compare_digest(root1, root2)
    if size1 == 0:
        return not proof
    if not proof or not _sizes_ok(root1, root2, *proof):
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, root1) and hmac.compare_digest(sr, root2)


class Frontier:
    """The right edge of an append-only tree: one perfect-subtree root per set bit of ``size``.

    Appending is O(log n) (amortised O(1)) and reports the perfect subtrees it completed, which a
    store persists so that later proofs never rehash leaves.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError("a frontier holds exactly one hash per set bit of its size")
        self._size = size
        self._hashes = list(hashes)

    @classmethod
    def from_reader(cls, reader: NodeReader, size: int) -> Frontier:
        """The frontier of the first ``size`` leaves of ``reader``: O(log n) reads."""
        return cls(size, [reader.perfect(lv, ix) for lv, ix in perfect_subtrees(size)])

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def copy(self) -> Frontier:
        return Frontier(self._size, self._hashes)

    def append(self, leaf: bytes) -> list[Node]:
        """Add one leaf hash; returns the perfect subtrees of level >= 1 this completed."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("leaf hash must be 32 bytes")
        completed: list[Node] = []
        h, level, index = leaf, 0, self._size
        while index & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            index >>= 1
            completed.append(Node(level, index, h))
        self._hashes.append(h)
        self._size += 1
        return completed

    def root(self) -> bytes:
        return fold_right(self._hashes)


class MemoryTree:
    """An in-memory tree over leaf hashes, compactly stored (one bytearray per level).

    Used to recompute a log during verification and as the reference store in tests; memory is
    about 64 bytes per leaf.
    """

    __slots__ = ("_levels", "_size")

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash, completing parent nodes as their right child arrives."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("leaf hash must be 32 bytes")
        self._levels[0] += leaf
        index, level, h = self._size, 0, leaf
        while index & 1:
            start = (index - 1) * HASH_SIZE
            h = node_hash(bytes(self._levels[level][start : start + HASH_SIZE]), h)
            level += 1
            index >>= 1
            if len(self._levels) == level:
                self._levels.append(bytearray())
            self._levels[level] += h
        self._size += 1

    def append_data(self, data: bytes) -> bytes:
        """Hash ``data`` as a leaf, append it, and return its leaf hash."""
        h = leaf_hash(data)
        self.append(h)
        return h

    def perfect(self, level: int, index: int) -> bytes:
        if level >= len(self._levels) or not 0 <= index < len(self._levels[level]) // HASH_SIZE:
            raise IndexError("perfect subtree not complete")
        start = index * HASH_SIZE
        return bytes(self._levels[level][start : start + HASH_SIZE])

    def leaf(self, index: int) -> bytes:
        return self.perfect(0, index)

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self, self._size if size is None else self._check_size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self, index, self._size if size is None else self._check_size(size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        size2 = self._size if size2 is None else self._check_size(size2)
        return consistency_proof(self, size1, size2)

    def _check_size(self, size: int) -> int:
        if not 0 <= size <= self._size:
            raise ValueError("size beyond the tree")
        return size
