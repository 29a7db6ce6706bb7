"""Bounded summaries of unbounded streams: distinct counts, frequencies, set similarity.

Behaviour analytics must remember "how many different prompts did this caller send today"
without remembering the prompts: memory per caller has to stay fixed however hard it pushes.
Everything here is a fixed-size sketch over 64-bit hashes, deterministic across processes (no
per-process salting, unlike ``hash()``), so that two gateway replicas hash alike.

* :class:`DistinctCounter`: exact up to :data:`SMALL_LIMIT` items, then a HyperLogLog.
* :class:`CountMinSketch`: frequency estimates that never undercount.
* :class:`MinHash`: Jaccard similarity of two texts' character shingles (near-duplicates).
* :func:`signed_sketch`: a signed hashed n-gram vector whose cosine approximates text
  similarity; averaged over a window it measures how dispersed a caller's prompts are.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
F32 = npt.NDArray[np.float32]

SMALL_LIMIT: Final = 16
"""Items a :class:`DistinctCounter` keeps exactly (as hashes) before switching to registers."""
SHINGLE: Final = 4
"""Bytes per shingle: long enough to carry words, short enough to survive small edits."""
MAX_SKETCH_BYTES: Final = 384
"""Bytes of (normalised) text a sketch reads: bounds the cost of a 64 KiB prompt."""
SKETCH_DIM: Final = 64

_MASK64: Final = (1 << 64) - 1
_M1: Final = np.uint64(0x9E3779B97F4A7C15)
_M2: Final = np.uint64(0xBF58476D1CE4E5B9)
_M3: Final = np.uint64(0x94D049BB133111EB)


def hash64(data: bytes | str) -> int:
    """A stable 64-bit hash (BLAKE2b): equal inputs hash alike in every process and replica."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "little")


def mix64(value: int) -> int:
    """SplitMix64 finaliser: spreads a small integer (a temperature, an id) over 64 bits."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


# -- distinct counting --------------------------------------------------------------------------


class DistinctCounter:
    """How many distinct 64-bit hashes were added: exact while small, HyperLogLog after.

    Most callers add a handful of items per window, and for them a few 32-bit fingerprints
    (the hash's top half) are smaller and exact; a busy caller costs ``2**precision`` bytes of
    registers, never more. The standard error of the estimate is ``1.04 / sqrt(2**precision)``
    (6.5 % at precision 8). Fingerprints of 32 bits keep the estimate sound to ~10**8 items.
    """

    __slots__ = ("_precision", "_registers", "_small")

    def __init__(self, precision: int = 8) -> None:
        if not 4 <= precision <= 16:
            raise ValueError("precision must be 4..16")
        self._precision = precision
        self._small: array[int] | None = array("L")
        self._registers: bytearray | None = None

    @property
    def precision(self) -> int:
        return self._precision

    @property
    def exact(self) -> bool:
        """True while the count is exact (no register has been used yet)."""
        return self._registers is None

    def add(self, item: int) -> bool:
        """Add a 64-bit hash; True when the counter's state changed (the item may be new)."""
        return self.add_fingerprint(item >> 32)

    def add_fingerprint(self, fp: int) -> bool:
        """Add a 32-bit fingerprint (the top half of a 64-bit hash)."""
        small = self._small
        if small is not None:
            if fp in small:
                return False
            if len(small) < SMALL_LIMIT:
                small.append(fp)
                return True
            self._registers = registers_of(small, self._precision)
            self._small = None
        return _set_register(self._registers, fp, self._precision)

    def estimate(self) -> float:
        if self._small is not None:
            return float(len(self._small))
        return hll_estimate(self.registers())

    def registers(self) -> npt.NDArray[np.uint8]:
        """The HyperLogLog registers this counter stands for (built from fingerprints when small)."""
        regs = self._registers
        if regs is None:
            regs = registers_of(self._small or (), self._precision)
        return np.frombuffer(bytes(regs), dtype=np.uint8)

    def fingerprints(self) -> tuple[int, ...] | None:
        """The exact fingerprints while small, else None."""
        return None if self._small is None else tuple(self._small)

    def nbytes(self) -> int:
        """Payload bytes held (for memory accounting)."""
        if self._registers is not None:
            return len(self._registers)
        return 4 * len(self._small or ())


def _set_register(registers: bytearray | None, fp: int, precision: int) -> bool:
    assert registers is not None
    width = 32 - precision
    index = fp >> width
    rank = width - (fp & ((1 << width) - 1)).bit_length() + 1
    if rank > registers[index]:
        registers[index] = rank
        return True
    return False


def registers_of(fingerprints: Iterable[int], precision: int) -> bytearray:
    """HyperLogLog registers of 32-bit fingerprints."""
    registers = bytearray(1 << precision)
    for fp in fingerprints:
        _set_register(registers, fp, precision)
    return registers


def hll_estimate(registers: npt.NDArray[np.uint8]) -> float:
    """The HyperLogLog cardinality estimate with the small-range (linear counting) correction."""
    m = registers.shape[0]
    alpha = 0.7213 / (1 + 1.079 / m) if m >= 128 else {16: 0.673, 32: 0.697, 64: 0.709}[m]
    raw = alpha * m * m / float(np.sum(np.ldexp(1.0, -registers.astype(np.int32))))
    zeros = int(np.count_nonzero(registers == 0))
    if raw <= 2.5 * m and zeros:
        return float(m * math.log(m / zeros))
    return float(raw)


def union_estimate(
    fingerprints: Iterable[int],
    registers: Sequence[npt.NDArray[np.uint8]] = (),
    precision: int = 8,
) -> float:
    """Distinct items across exact ``fingerprints`` and HyperLogLog ``registers`` (a union,
    not a sum): exact while there are no registers."""
    fps = set(fingerprints)
    if not registers:
        return float(len(fps))
    merged = np.frombuffer(bytes(registers_of(fps, precision)), dtype=np.uint8)
    for regs in registers:
        if regs.shape[0] != merged.shape[0]:
            raise ValueError("cannot merge registers of different precision")
        merged = np.maximum(merged, regs)
    return hll_estimate(merged)


def counters_union(counters: Iterable[DistinctCounter]) -> float:
    """Distinct items across ``counters``."""
    fps: list[int] = []
    regs: list[npt.NDArray[np.uint8]] = []
    precision = 8
    for c in counters:
        precision = c.precision
        small = c.fingerprints()
        if small is None:
            regs.append(c.registers())
        else:
            fps.extend(small)
    return union_estimate(fps, regs, precision)


# -- frequencies --------------------------------------------------------------------------------


def count_min_columns(key: int, width: int, depth: int) -> list[int]:
    """The column of a 64-bit ``key`` in each row (Kirsch-Mitzenmacher double hashing)."""
    h1 = key & 0xFFFFFFFF
    h2 = (key >> 32) | 1
    return [(h1 + i * h2) % width for i in range(depth)]


def count_min_cells(key: int, width: int, depth: int) -> list[int]:
    """Where ``key`` is counted in a flat ``depth x width`` table, row after row."""
    return [row * width + col for row, col in enumerate(count_min_columns(key, width, depth))]


class CountMinSketch:
    """Frequency of each key, over-estimated by at most ``e/width * total`` with probability
    ``1 - exp(-depth)``; never under-estimated. Fixed ``depth * width`` counters."""

    __slots__ = ("_table", "depth", "total", "width")

    def __init__(self, width: int = 64, depth: int = 3) -> None:
        if width < 1 or depth < 1:
            raise ValueError("width and depth must be positive")
        self.width = width
        self.depth = depth
        self.total = 0
        # One flat array, row after row: reading and bumping a counter is a plain index (a
        # numpy scalar access costs several times more, and this runs on every chat call).
        self._table = array("q", bytes(8 * depth * width))

    def columns(self, key: int) -> list[int]:
        return count_min_columns(key, self.width, self.depth)

    def _cells(self, key: int) -> list[int]:
        return count_min_cells(key, self.width, self.depth)

    def add(self, key: int, count: int = 1) -> None:
        """Count ``key`` ``count`` more times."""
        if count < 0:
            raise ValueError("count-min counts only go up")
        self.add_cells(self._cells(key), count)

    def add_cells(self, cells: Sequence[int], count: int = 1) -> None:
        """Count a key whose :func:`count_min_cells` the caller already has (an exchange
        updates several keys' sketches with one key)."""
        table = self._table
        for cell in cells:
            table[cell] += count
        self.total += count

    def estimate(self, key: int) -> int:
        return min(self.row_values(key))

    def row_values(self, key: int) -> list[int]:
        """The counter of ``key`` in each row (to sum sketches of several windows)."""
        table = self._table
        return [table[cell] for cell in self._cells(key)]

    def nbytes(self) -> int:
        return len(self._table) * self._table.itemsize


# -- text similarity ----------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Lower case, whitespace collapsed: what similarity should not depend on."""
    return " ".join(text.lower().split())


def shingle_hashes(text: str, limit: int = MAX_SKETCH_BYTES) -> U64:
    """64-bit hashes of the byte 4-grams of the first ``limit`` bytes of ``text``'s UTF-8.

    Vectorised: a 512-byte prompt costs a few microseconds. Texts shorter than a shingle
    yield one hash of the whole text, so that every non-empty text has a sketch.
    """
    raw = text.encode("utf-8", "surrogatepass")[:limit]
    if not raw:
        return np.zeros(0, dtype=np.uint64)
    if len(raw) < SHINGLE:
        raw = raw + b"\0" * (SHINGLE - len(raw))
    # Every 4-gram as a big-endian 32-bit integer, read in place: a view with a stride of one
    # byte (unaligned reads numpy handles), one copy to widen it.
    code = np.ndarray((len(raw) - 3,), dtype=">u4", buffer=raw, strides=(1,)).astype(np.uint64)
    h = (code + _M1) * _M2
    h ^= h >> np.uint64(29)
    h *= _M3
    h ^= h >> np.uint64(32)
    out: U64 = h
    return out


def signed_sketch(hashes: U64, dim: int = SKETCH_DIM) -> F32:
    """Unit vector of signed hashed shingle counts (feature hashing with a sign bit).

    The cosine of two sketches estimates the cosine of the texts' shingle-count vectors, so
    unrelated texts score near 0 and a text with itself 1; the sign bit keeps common shingles
    from pulling every pair towards 1. Empty input gives the zero vector.
    """
    if hashes.shape[0] == 0:
        return np.zeros(dim, dtype=np.float32)
    index = (hashes % np.uint64(dim)).astype(np.intp)
    sign = ((hashes >> np.uint64(63)).astype(np.float32) * 2.0) - 1.0
    vec = np.bincount(index, weights=sign, minlength=dim).astype(np.float32)
    norm = float(np.linalg.norm(vec))
    if norm == 0.0:
        return vec
    out: F32 = vec / np.float32(norm)
    return out


def simhash(vec: Sequence[float] | F32) -> int:
    """The sign bits of a sketch as an integer: a coarse locality-sensitive bucket."""
    bits = 0
    for i, v in enumerate(vec):
        if v > 0:
            bits |= 1 << i
    return bits


class MinHash:
    """Jaccard similarity of shingle sets from ``k`` 32-bit minima (k independent hashes).

    With ``k = 32`` two signatures estimate Jaccard within about ±0.18 (two standard errors),
    enough to tell a retry that rewords a blocked prompt (J > 0.5) from an unrelated prompt.
    The permutations come from a fixed seed so every replica computes the same signature.
    """

    __slots__ = ("_a", "_b", "k")

    def __init__(self, k: int = 32, seed: int = 0x5EED) -> None:
        if not 1 <= k <= 256:
            raise ValueError("k must be 1..256")
        rng = np.random.Generator(np.random.PCG64(seed))
        self.k = k
        self._a = (rng.integers(1, 2**63, size=k, dtype=np.uint64) * np.uint64(2)) + np.uint64(1)
        self._b = rng.integers(0, 2**63, size=k, dtype=np.uint64)

    def signature(self, hashes: U64) -> bytes:
        """``4 * k`` bytes; the empty set has the all-ones signature."""
        if hashes.shape[0] == 0:
            return b"\xff" * (4 * self.k)
        mixed = (hashes[None, :] * self._a[:, None]) + self._b[:, None]
        mins = (mixed >> np.uint64(32)).min(axis=1).astype("<u4")
        return bytes(mins.tobytes())

    @staticmethod
    def similarity(a: bytes, b: bytes) -> float:
        """Estimated Jaccard similarity of two signatures of the same ``k``."""
        if len(a) != len(b) or not a:
            return 0.0
        va = np.frombuffer(a, dtype="<u4")
        vb = np.frombuffer(b, dtype="<u4")
        return float(np.count_nonzero(va == vb)) / float(va.shape[0])


__all__ = [
    "SKETCH_DIM",
    "SMALL_LIMIT",
    "CountMinSketch",
    "DistinctCounter",
    "MinHash",
    "count_min_cells",
    "count_min_columns",
    "counters_union",
    "hash64",
    "hll_estimate",
    "mix64",
    "normalise_text",
    "registers_of",
    "shingle_hashes",
    "signed_sketch",
    "simhash",
    "union_estimate",
]
