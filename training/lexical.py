"""Training the cascade's lexical first stage (see :mod:`wardgate.detect.classifier.lexical`).

Texts become the runtime's own hashed n-gram features (the same ``featurize``, so training and
serving cannot drift), stacked into a sparse matrix, and a binary logistic regression is fitted
with scikit-learn's SGD: a few passes over ~45k texts take seconds on one core, and averaged SGD
on unit-norm features is as accurate here as an exact solver. The result is a runtime
``LexicalModel``; nothing from scikit-learn ships.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.linear_model import SGDClassifier

from wardgate.detect.classifier.lexical import (
    N_BITS_DEFAULT,
    N_MAX_DEFAULT,
    N_MIN_DEFAULT,
    LexicalModel,
    featurize,
)

ClassWeight = Mapping[int, float] | Literal["balanced"] | None


def feature_matrix(
    texts: Sequence[str],
    *,
    n_bits: int = N_BITS_DEFAULT,
    n_min: int = N_MIN_DEFAULT,
    n_max: int = N_MAX_DEFAULT,
) -> sparse.csr_matrix:
    """CSR matrix ``[len(texts), 2**n_bits]`` whose rows are the runtime feature vectors."""
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    all_indices: list[npt.NDArray[np.int64]] = []
    all_values: list[npt.NDArray[np.float32]] = []
    for row, text in enumerate(texts):
        indices, values = featurize(text, n_bits, n_min, n_max)
        all_indices.append(indices)
        all_values.append(values)
        indptr[row + 1] = indptr[row] + indices.size
    indices_flat = np.concatenate(all_indices) if all_indices else np.empty(0, np.int64)
    values_flat = np.concatenate(all_values) if all_values else np.empty(0, np.float32)
    return sparse.csr_matrix(
        (values_flat, indices_flat, indptr), shape=(len(texts), 1 << n_bits), dtype=np.float32
    )


def fit_logistic(
    features: sparse.csr_matrix,
    labels: Sequence[int] | npt.NDArray[np.integer],
    *,
    l2: float = 1e-4,
    epochs: int = 8,
    seed: int = 0,
    sample_weight: Sequence[float] | npt.NDArray[np.floating] | None = None,
    class_weight: ClassWeight = None,
) -> SGDClassifier:
    """Averaged-SGD logistic regression: ``l2`` is the per-sample L2 penalty (sklearn's
    ``alpha``) and ``epochs`` the exact number of passes (no early stop, so runs are
    reproducible for a given ``seed``)."""
    y = np.asarray(labels, dtype=np.int64)
    if y.shape != (features.shape[0],):
        raise ValueError(f"need one label per text: {features.shape[0]} texts, {y.shape} labels")
    if not np.isin(y, (0, 1)).all() or np.unique(y).size != 2:
        raise ValueError("labels must be 0 (benign) and 1 (attack), with both present")
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if weights is not None and weights.shape != y.shape:
        raise ValueError(f"need one sample weight per text, got {weights.shape}")
    classifier = SGDClassifier(
        loss="log_loss",
        penalty="l2",
        alpha=l2,
        max_iter=epochs,
        tol=None,
        shuffle=True,
        random_state=seed,
        average=True,
        class_weight=dict(class_weight) if isinstance(class_weight, Mapping) else class_weight,
    )
    classifier.fit(features, y, sample_weight=weights)
    return classifier


def to_lexical_model(
    classifier: SGDClassifier,
    *,
    n_bits: int = N_BITS_DEFAULT,
    n_min: int = N_MIN_DEFAULT,
    n_max: int = N_MAX_DEFAULT,
) -> LexicalModel:
    """The runtime model with the fitted weights (float32)."""
    coef = np.asarray(classifier.coef_, dtype=np.float32).reshape(-1)
    return LexicalModel(
        weights=np.ascontiguousarray(coef),
        bias=float(np.asarray(classifier.intercept_).reshape(-1)[0]),
        n_bits=n_bits,
        n_min=n_min,
        n_max=n_max,
    )


def train_lexical(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    n_bits: int = N_BITS_DEFAULT,
    l2: float = 1e-4,
    epochs: int = 8,
    seed: int = 0,
    sample_weight: Sequence[float] | None = None,
    class_weight: ClassWeight = None,
    n_min: int = N_MIN_DEFAULT,
    n_max: int = N_MAX_DEFAULT,
) -> LexicalModel:
    """Fit the lexical model on ``texts`` with labels 0 (benign) / 1 (attack).

    ``sample_weight`` (per text) and ``class_weight`` (a ``{label: weight}`` map or
    ``"balanced"``) multiply each other, as in scikit-learn.
    """
    if len(texts) != len(labels):
        raise ValueError(f"need one label per text: {len(texts)} texts, {len(labels)} labels")
    features = feature_matrix(texts, n_bits=n_bits, n_min=n_min, n_max=n_max)
    classifier = fit_logistic(
        features,
        labels,
        l2=l2,
        epochs=epochs,
        seed=seed,
        sample_weight=sample_weight,
        class_weight=class_weight,
    )
    return to_lexical_model(classifier, n_bits=n_bits, n_min=n_min, n_max=n_max)
