"""The cascade's first stage: a logistic model on hashed character n-grams.

It scores a text in tens of microseconds with numpy alone, so the gateway can settle the clear
cases (plain questions, blatant overrides) and send only the uncertain ones to the transformer.

Features are the character n-grams (``n_min``..``n_max``) of the lowercased text with whitespace
runs collapsed to one space and a space added at both ends, so word starts and ends are n-grams of
their own. Each n-gram is hashed into ``2**n_bits`` buckets with a polynomial rolling hash over
code points and a 64-bit finaliser, computed with numpy in unsigned wrap-around arithmetic. The
hash never touches Python's salted ``hash()``, so bucket ids are identical in every process and on
every platform, which a model trained on one machine and served on another depends on.

Work per call is bounded: only the first :data:`MAX_CHARS` characters of a text are read. Callers
that must look at longer text score it in windows.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

N_BITS_DEFAULT = 18
N_MIN_DEFAULT = 2
N_MAX_DEFAULT = 5
MAX_CHARS = 20_000  # characters read per call; longer texts are cut, callers window them
MAX_BITS = 24  # 2**24 float32 weights = 64 MiB: far past any useful table, still loadable
MAX_N = 16
FORMAT_VERSION = 1

IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
_HashArray = npt.NDArray[np.uint64]

_MASK64 = (1 << 64) - 1
_MULTIPLIER = np.uint64(
    0x100000001B3
)  # FNV-1 64-bit prime: odd, so the rolling step is a bijection
_N_SALT = 0x9E3779B97F4A7C15  # golden-ratio constant, times n, keeps each n in its own hash space
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)  # MurmurHash3 fmix64 constants
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT = np.uint64(33)
_KEYS = frozenset({"format_version", "weights", "bias", "n_bits", "n_min", "n_max"})


def _check_params(n_bits: int, n_min: int, n_max: int) -> None:
    if not 1 <= n_bits <= MAX_BITS:
        raise ValueError(f"n_bits must be in 1..{MAX_BITS}, got {n_bits}")
    if not 1 <= n_min <= n_max <= MAX_N:
        raise ValueError(f"need 1 <= n_min <= n_max <= {MAX_N}, got n_min={n_min} n_max={n_max}")


def normalise(text: str) -> str:
    """The string n-grams are cut from: the first :data:`MAX_CHARS` characters, lowercased,
    whitespace runs collapsed to one space, one space at each end; ``""`` if nothing but
    whitespace is left (so blank text has no features rather than one bucket of spaces)."""
    words = text[:MAX_CHARS].lower().split()
    if not words:
        return ""
    return " " + " ".join(words) + " "


def char_ngram_hashes(
    text: str,
    n_min: int = N_MIN_DEFAULT,
    n_max: int = N_MAX_DEFAULT,
    n_bits: int = N_BITS_DEFAULT,
) -> IndexArray:
    """Bucket id in ``[0, 2**n_bits)`` of every n-gram occurrence of the normalised text, all
    n-grams of one length before the next (so a string of ``L`` code points gives
    ``sum(max(0, L - n + 1))`` ids)."""
    _check_params(n_bits, n_min, n_max)
    padded = normalise(text)
    # surrogatepass: a str may hold lone surrogates (e.g. from decoding with errors="surrogateescape")
    points = np.frombuffer(padded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.uint64
    )
    length = int(points.size)
    parts: list[_HashArray] = []
    rolling = points  # rolling[i] = hash of the n-gram starting at i, for the current n
    for n in range(1, min(n_max, length) + 1):
        if n > 1:
            rolling = rolling[:-1] * _MULTIPLIER + points[n - 1 :]
        if n >= n_min:
            parts.append(rolling + np.uint64((n * _N_SALT) & _MASK64))
    if not parts:
        return np.empty(0, dtype=np.int64)
    mixed = np.concatenate(parts)
    mixed ^= mixed >> _SHIFT
    mixed *= _FMIX_1
    mixed ^= mixed >> _SHIFT
    mixed *= _FMIX_2
    mixed ^= mixed >> _SHIFT
    mixed &= np.uint64((1 << n_bits) - 1)
    return mixed.astype(np.int64)


def featurize(
    text: str,
    n_bits: int = N_BITS_DEFAULT,
    n_min: int = N_MIN_DEFAULT,
    n_max: int = N_MAX_DEFAULT,
) -> tuple[IndexArray, FloatArray]:
    """Sparse feature vector of ``text``: sorted unique bucket ids and their values, sublinear
    term frequency ``1 + log(tf)`` scaled to unit L2 norm (so long and short texts score on the
    same scale). Both arrays are empty for blank text."""
    hashes = char_ngram_hashes(text, n_min, n_max, n_bits)
    if hashes.size == 0:
        return hashes, np.empty(0, dtype=np.float32)
    indices, counts = np.unique(hashes, return_counts=True)
    values = np.log(counts.astype(np.float32))
    values += np.float32(1.0)
    values /= np.sqrt(np.dot(values, values))
    return indices, values


@dataclass(frozen=True, slots=True, eq=False)
class LexicalModel:
    """Logistic weights over the hashed n-gram buckets; ``logit > 0`` leans attack.

    Immutable (the weights are a read-only view), so one instance is safe to share between threads.
    """

    weights: FloatArray
    bias: float
    n_bits: int = N_BITS_DEFAULT
    n_min: int = N_MIN_DEFAULT
    n_max: int = N_MAX_DEFAULT

    def __post_init__(self) -> None:
        _check_params(self.n_bits, self.n_min, self.n_max)
        weights = self.weights
        if not isinstance(weights, np.ndarray) or weights.dtype != np.float32:
            raise ValueError("weights must be a float32 numpy array")
        if weights.shape != (1 << self.n_bits,):
            raise ValueError(
                f"weights must have shape ({1 << self.n_bits},) for n_bits={self.n_bits}, "
                f"got {weights.shape}"
            )
        if not np.isfinite(weights).all() or not np.isfinite(self.bias):
            raise ValueError("weights and bias must be finite")
        view = weights.view()
        view.flags.writeable = False
        object.__setattr__(self, "weights", view)
        object.__setattr__(self, "bias", float(self.bias))

    def logit(self, text: str) -> float:
        """Raw score of one text: ``w . x + b``."""
        indices, values = featurize(text, self.n_bits, self.n_min, self.n_max)
        return float(np.dot(self.weights[indices], values)) + self.bias

    def logits(self, texts: Sequence[str]) -> FloatArray:
        """``logit`` of each text, in order."""
        return np.fromiter((self.logit(t) for t in texts), dtype=np.float32, count=len(texts))

    def save(self, path: Path) -> None:
        """Write an ``.npz`` (no pickle) with float16 weights, which keeps the file a quarter of
        the float32 size and loses nothing a logistic score notices. Written to a temporary file
        and renamed, so a crash never leaves half a model at ``path``."""
        limit = float(np.finfo(np.float16).max)
        if float(np.abs(self.weights).max(initial=0.0)) > limit:
            raise ValueError(f"weights beyond float16 range (|w| > {limit}) cannot be saved")
        path = Path(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez_compressed(
                    fh,
                    format_version=np.int64(FORMAT_VERSION),
                    weights=self.weights.astype(np.float16),
                    bias=np.float64(self.bias),
                    n_bits=np.int64(self.n_bits),
                    n_min=np.int64(self.n_min),
                    n_max=np.int64(self.n_max),
                )
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> LexicalModel:
        """Read a file written by :meth:`save`. Anything else (not an npz, missing or extra
        arrays, object arrays, wrong shapes, dtypes or versions) raises ``ValueError``; a missing
        file raises ``FileNotFoundError``."""
        path = Path(path)
        with path.open("rb") as fh:
            try:
                loaded = np.load(fh, allow_pickle=False)
                if not isinstance(loaded, np.lib.npyio.NpzFile):
                    raise ValueError("not an .npz archive")
                with loaded as npz:
                    keys = set(npz.files)
                    if keys != _KEYS:
                        missing = sorted(_KEYS - keys)
                        extra = sorted(keys - _KEYS)
                        raise ValueError(f"arrays missing {missing}, unexpected {extra}")
                    arrays = {key: npz[key] for key in _KEYS}
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
                raise ValueError(f"{path}: not a valid lexical model file: {exc}") from exc
        try:
            return cls._from_arrays(arrays)
        except ValueError as exc:
            raise ValueError(f"{path}: not a valid lexical model file: {exc}") from exc

    @classmethod
    def _from_arrays(cls, arrays: dict[str, np.ndarray]) -> LexicalModel:
        def scalar_int(key: str) -> int:
            value = arrays[key]
            if value.shape != () or value.dtype.kind not in "iu":
                raise ValueError(f"{key} must be an integer scalar, got {value.dtype}{value.shape}")
            return int(value)

        version = scalar_int("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(f"format_version {version} is not supported (want {FORMAT_VERSION})")
        bias = arrays["bias"]
        if bias.shape != () or bias.dtype.kind != "f":
            raise ValueError(f"bias must be a float scalar, got {bias.dtype}{bias.shape}")
        weights = arrays["weights"]
        if weights.dtype not in (np.float16, np.float32):
            raise ValueError(f"weights must be float16 or float32, got {weights.dtype}")
        return cls(
            weights=weights.astype(np.float32),
            bias=float(bias),
            n_bits=scalar_int("n_bits"),
            n_min=scalar_int("n_min"),
            n_max=scalar_int("n_max"),
        )
