from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.detect.classifier.lexical import (
    MAX_CHARS,
    N_BITS_DEFAULT,
    LexicalModel,
    char_ngram_hashes,
    featurize,
    normalise,
)

# Computed once with this implementation and pinned: a change here means every shipped model
# silently scores different features, so it must be deliberate (and come with retrained weights).
PINNED_DEFAULT = [
    16688, 223249, 169856, 241280, 221580, 248302, 181852, 61878, 177109,
    110488, 173340, 241649, 57966, 155704, 154771, 9534, 10298, 239151,
]  # fmt: skip
PINNED_TRIGRAMS_24 = [
    15247896, 6938680, 12942375, 8755201, 4126796, 2595913, 7131752, 3265805, 6931060,
]  # fmt: skip

# every code point: BMP and astral, controls, unassigned, and lone surrogates (a str may hold them)
# (st.text all but drops surrogates, so texts are built from a list of characters)
ANY_CHAR = st.characters() | st.characters(categories=["Cs"])
ANY_TEXT = st.lists(ANY_CHAR, max_size=300).map("".join)


def _ngrams(text: str, n_min: int, n_max: int) -> list[str]:
    """Reference n-grams, cut with plain Python slicing."""
    padded = normalise(text)
    return [padded[i : i + n] for n in range(n_min, n_max + 1) for i in range(len(padded) - n + 1)]


def _model(n_bits: int = 10, seed: int = 0, bias: float = 0.25) -> LexicalModel:
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal(1 << n_bits).astype(np.float32)
    return LexicalModel(weights=weights, bias=bias, n_bits=n_bits)


# --- normalisation and hashing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello  World", " hello world "),
        ("\tTabs\nand\r\nNEWLINES ", " tabs and newlines "),
        ("x", " x "),
        ("", ""),
        (" \t\n\u3000 ", ""),
        ("ÀB 日本", " àb 日本 "),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "n_min", "n_max", "expected"),
    [
        ("ab cd", 2, 5, 6 + 5 + 4 + 3),  # " ab cd " has 7 code points
        ("x", 2, 5, 2 + 1),  # " x ": two bigrams, one trigram, nothing longer
        ("abc", 1, 1, 5),
        ("日本🙂", 2, 3, 4 + 3),  # the emoji is one code point, not two UTF-16 units
        ("", 2, 5, 0),
        ("   \n", 1, 5, 0),
        ("a  b", 3, 3, 3),  # whitespace run collapses: " a b "
    ],
)
def test_ngram_count(text: str, n_min: int, n_max: int, expected: int) -> None:
    assert char_ngram_hashes(text, n_min, n_max).size == expected


def test_hashes_are_pinned() -> None:
    assert char_ngram_hashes("Zx 日🙂").tolist() == PINNED_DEFAULT
    assert char_ngram_hashes("Wardgate?", 3, 3, 24).tolist() == PINNED_TRIGRAMS_24


def test_hashes_match_in_a_process_with_another_hash_seed() -> None:
    code = (
        "from wardgate.detect.classifier.lexical import char_ngram_hashes;"
        "print(char_ngram_hashes('Zx 日🙂').tolist())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == str(PINNED_DEFAULT)


def test_ngram_length_is_mixed_into_the_hash() -> None:
    # Without a per-n salt a leading NUL adds nothing to a polynomial hash, so the trigram
    # "\0ab" would collide with the bigram "ab" in every table size.
    bigrams = char_ngram_hashes("\x00ab", 2, 2, 24).tolist()  # " \0", "\0a", "ab", "b "
    trigrams = char_ngram_hashes("\x00ab", 3, 3, 24).tolist()  # " \0a", "\0ab", "ab "
    assert bigrams[2] != trigrams[1]


def test_hashes_depend_on_order_and_case_folds() -> None:
    assert char_ngram_hashes("ab").tolist() != char_ngram_hashes("ba").tolist()
    assert char_ngram_hashes("AbC dEf").tolist() == char_ngram_hashes("abc   def").tolist()


def test_lone_surrogates_are_hashed() -> None:
    hashes = char_ngram_hashes("x\ud800y", 2, 2)
    assert hashes.size == 4
    assert hashes.tolist() != char_ngram_hashes("x\ud801y", 2, 2).tolist()


def test_text_is_cut_at_max_chars() -> None:
    head = "ab " * (MAX_CHARS // 3) + "c" * (MAX_CHARS % 3)
    assert len(head) == MAX_CHARS
    a_idx, a_val = featurize(head + "tail text that is never read")
    b_idx, b_val = featurize(head)
    np.testing.assert_array_equal(a_idx, b_idx)
    np.testing.assert_array_equal(a_val, b_val)


@pytest.mark.parametrize(
    ("n_bits", "n_min", "n_max"),
    [(0, 2, 5), (25, 2, 5), (18, 0, 3), (18, 4, 3), (18, 2, 17)],
)
def test_bad_parameters_are_refused(n_bits: int, n_min: int, n_max: int) -> None:
    with pytest.raises(ValueError, match="n_"):
        char_ngram_hashes("text", n_min, n_max, n_bits)


# --- featurize ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["ab ab ab", "aaaa aaaa b", "to be or not to be"])
def test_featurize_values_are_sublinear_tf_l2_normalised(text: str) -> None:
    counts = Counter(_ngrams(text, 2, 5)).values()
    raw = np.array([1.0 + math.log(c) for c in counts])
    expected = np.sort(raw / np.linalg.norm(raw))
    # 24 bits leaves these few n-grams without bucket collisions
    indices, values = featurize(text, n_bits=24)
    assert indices.size == len(counts)
    np.testing.assert_allclose(np.sort(values), expected, rtol=1e-6)


def test_featurize_empty_text() -> None:
    indices, values = featurize("")
    assert indices.dtype == np.int64
    assert values.dtype == np.float32
    assert indices.size == values.size == 0


@settings(max_examples=150, deadline=None)
@given(
    text=ANY_TEXT,
    n_bits=st.integers(4, N_BITS_DEFAULT),
    n_min=st.integers(1, 4),
    span=st.integers(0, 3),
)
def test_featurize_properties(text: str, n_bits: int, n_min: int, span: int) -> None:
    n_max = n_min + span
    indices, values = featurize(text, n_bits, n_min, n_max)
    assert indices.dtype == np.int64
    assert values.dtype == np.float32
    assert indices.shape == values.shape
    if len(normalise(text)) < n_min:  # blank, or shorter than one n-gram once padded
        assert indices.size == 0
        return
    assert indices.size > 0
    assert indices.min() >= 0
    assert indices.max() < 1 << n_bits
    assert np.all(np.diff(indices) > 0)  # sorted and unique
    assert np.all(values > 0)
    assert float(np.linalg.norm(values)) == pytest.approx(1.0, abs=1e-5)
    again = featurize(text, n_bits, n_min, n_max)
    np.testing.assert_array_equal(indices, again[0])
    np.testing.assert_array_equal(values, again[1])


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_hash_count_matches_reference_ngrams(text: str) -> None:
    assert char_ngram_hashes(text).size == len(_ngrams(text, 2, 5))


# --- LexicalModel ------------------------------------------------------------------------------


def test_logit_is_weights_dot_features_plus_bias() -> None:
    model = _model()
    text = "Summarise this report in two lines."
    indices, values = featurize(text, model.n_bits)
    expected = float(np.dot(model.weights[indices].astype(np.float64), values)) + 0.25
    assert model.logit(text) == pytest.approx(expected, abs=1e-5)
    assert model.logit("") == 0.25
    assert model.logit("   ") == 0.25


def test_logits_match_logit() -> None:
    model = _model()
    texts = ["first text", "", "second, longer text with more words", "日本語"]
    scores = model.logits(texts)
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, [model.logit(t) for t in texts], rtol=1e-6)
    assert model.logits([]).shape == (0,)


def test_weights_are_read_only_and_caller_array_is_not_frozen() -> None:
    weights = np.zeros(1 << 6, dtype=np.float32)
    model = LexicalModel(weights=weights, bias=0.0, n_bits=6)
    with pytest.raises(ValueError, match="read-only"):
        model.weights[0] = 1.0
    weights[0] = 1.0  # the caller's own array stays writable


@pytest.mark.parametrize(
    ("weights", "bias", "match"),
    [
        (np.zeros(1 << 6, dtype=np.float64), 0.0, "float32"),
        (np.zeros(1 << 5, dtype=np.float32), 0.0, "shape"),
        (np.zeros((2, 32), dtype=np.float32), 0.0, "shape"),
        (np.full(1 << 6, np.nan, dtype=np.float32), 0.0, "finite"),
        (np.zeros(1 << 6, dtype=np.float32), math.inf, "finite"),
    ],
)
def test_model_rejects_bad_arrays(weights: np.ndarray, bias: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LexicalModel(weights=weights, bias=bias, n_bits=6)


# --- save / load -------------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path: Path) -> None:
    model = LexicalModel(
        weights=_model(n_bits=12).weights.copy(), bias=-0.75, n_bits=12, n_min=1, n_max=4
    )
    path = tmp_path / "lexical.bin"  # no .npz suffix: the file must land exactly here
    model.save(path)
    assert path.exists()
    assert list(tmp_path.iterdir()) == [path]
    loaded = LexicalModel.load(path)
    assert (loaded.n_bits, loaded.n_min, loaded.n_max) == (12, 1, 4)
    assert loaded.bias == -0.75
    assert loaded.weights.dtype == np.float32
    np.testing.assert_allclose(loaded.weights, model.weights, rtol=1e-3, atol=1e-4)
    with np.load(path, allow_pickle=False) as npz:
        assert npz["weights"].dtype == np.float16
    texts = ["a question about the weather", "some other words", ""]
    np.testing.assert_allclose(loaded.logits(texts), model.logits(texts), atol=5e-3)


def test_save_refuses_weights_beyond_float16(tmp_path: Path) -> None:
    weights = np.zeros(1 << 4, dtype=np.float32)
    weights[3] = 1e6
    with pytest.raises(ValueError, match="float16"):
        LexicalModel(weights=weights, bias=0.0, n_bits=4).save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def _valid_arrays() -> dict[str, np.ndarray]:
    return {
        "format_version": np.int64(1),
        "weights": np.zeros(1 << 6, dtype=np.float16),
        "bias": np.float64(0.5),
        "n_bits": np.int64(6),
        "n_min": np.int64(2),
        "n_max": np.int64(5),
    }


def test_valid_arrays_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.npz"
    np.savez(path, **_valid_arrays())
    assert LexicalModel.load(path).bias == 0.5


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"weights": None}, "missing"),
        ({"n_max": None}, "missing"),
        ({"extra": np.int64(1)}, "unexpected"),
        ({"weights": np.zeros(1 << 7, dtype=np.float16)}, "shape"),
        ({"weights": np.zeros((8, 8), dtype=np.float16)}, "shape"),
        ({"weights": np.zeros(1 << 6, dtype=np.int32)}, "float16 or float32"),
        ({"weights": np.array([{"a": 1}] * 64, dtype=object)}, "pickle"),
        ({"bias": np.array([0.5])}, "bias"),
        ({"bias": np.array("0.5")}, "bias"),
        ({"n_bits": np.float64(6)}, "n_bits"),
        ({"n_bits": np.array([6])}, "n_bits"),
        ({"n_min": np.int64(6)}, "n_min"),
        ({"format_version": np.int64(2)}, "format_version"),
    ],
)
def test_load_rejects_malformed_npz(
    tmp_path: Path, change: dict[str, np.ndarray | None], match: str
) -> None:
    arrays = _valid_arrays()
    for key, value in change.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=match):
        LexicalModel.load(path)


@pytest.mark.parametrize(
    "payload", [b"", b"not a zip archive at all", b"PK\x03\x04truncated", b"\x80\x04N."]
)
def test_load_rejects_files_that_are_not_npz(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "junk.npz"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="not a valid lexical model"):
        LexicalModel.load(path)


def test_load_rejects_a_bare_npy(tmp_path: Path) -> None:
    path = tmp_path / "weights.npy"
    np.save(path, np.zeros(1 << 6, dtype=np.float16))
    with pytest.raises(ValueError, match=r"not an \.npz"):
        LexicalModel.load(path)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        LexicalModel.load(tmp_path / "absent.npz")
