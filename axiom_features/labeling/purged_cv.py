"""Cross-validation that cannot leak label outcomes: purged K-fold and combinatorial purged
CV with an embargo, as scikit-learn splitters driven by each label's ``t0``/``t1``.

A training label is dropped when its span ``[t0, t1]`` meets any test label's span extended
by the embargo, ``[t0, t1 + embargo]``. Folds are contiguous blocks in ``t0`` order.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator


def _as_numbers(values) -> np.ndarray:  # noqa: ANN001 - times, timestamps or numbers
    array = np.asarray(values)
    if (
        np.issubdtype(array.dtype, np.datetime64)
        or isinstance(values, pd.Series)
        and (isinstance(values.dtype, pd.DatetimeTZDtype))
    ):
        return pd.to_datetime(pd.Series(values), utc=True).astype("int64").to_numpy()
    return array.astype(np.float64)


def _embargo_units(embargo, t0) -> float:  # noqa: ANN001
    if isinstance(embargo, pd.Timedelta | np.timedelta64) or hasattr(embargo, "total_seconds"):
        return float(pd.Timedelta(embargo).value)
    return float(embargo)


def purge(
    train: np.ndarray, test: np.ndarray, t0: np.ndarray, t1: np.ndarray, embargo: float
) -> np.ndarray:
    """``train`` without the labels whose span meets a test label's span plus embargo."""
    order = np.argsort(t0[test], kind="stable")
    test_t0 = t0[test][order]
    reach = np.maximum.accumulate((t1[test] + embargo)[order])
    # test labels starting no later than each train label ends; the furthest one's reach
    last = np.searchsorted(test_t0, t1[train], side="right") - 1
    meets = (last >= 0) & (reach[np.maximum(last, 0)] >= t0[train])
    return train[~meets]


class _PurgedSplitter(BaseCrossValidator):
    def __init__(self, t0, t1, embargo=0.0) -> None:  # noqa: ANN001
        self.t0 = _as_numbers(t0)
        self.t1 = _as_numbers(t1)
        if len(self.t0) != len(self.t1):
            raise ValueError("t1: must have one end per label start (t0)")
        if np.any(self.t1 < self.t0):
            row = int(np.argmax(self.t1 < self.t0))
            raise ValueError(f"t1: row {row} ends before it starts")
        self.embargo = _embargo_units(embargo, t0)

    def _blocks(self, n: int, count: int) -> list[np.ndarray]:
        if n != len(self.t0):
            raise ValueError(f"X has {n} rows but t0/t1 describe {len(self.t0)} labels")
        order = np.argsort(self.t0, kind="stable")
        return np.array_split(order, count)

    def _split_with(self, n: int, tests: list[np.ndarray]) -> Iterator[tuple[np.ndarray, ...]]:
        everything = np.arange(n)
        for test in tests:
            train = np.setdiff1d(everything, test, assume_unique=True)
            yield purge(train, np.sort(test), self.t0, self.t1, self.embargo), np.sort(test)


class PurgedKFold(_PurgedSplitter):
    """K contiguous test folds in ``t0`` order; training labels purged and embargoed."""

    def __init__(self, n_splits: int = 5, *, t0, t1, embargo=0.0) -> None:  # noqa: ANN001
        super().__init__(t0, t1, embargo)
        self.n_splits = n_splits

    def get_n_splits(self, X=None, y=None, groups=None) -> int:  # noqa: ANN001, N803
        return self.n_splits

    def split(self, X, y=None, groups=None):  # noqa: ANN001, ANN201, N803
        yield from self._split_with(len(X), self._blocks(len(X), self.n_splits))


class CombinatorialPurgedCV(_PurgedSplitter):
    """Combinatorial purged CV: ``n_groups`` contiguous groups, every choice of
    ``n_test_groups`` of them as the test set, C(n_groups, n_test_groups) splits."""

    def __init__(self, n_groups: int = 6, n_test_groups: int = 2, *, t0, t1, embargo=0.0) -> None:  # noqa: ANN001, E501
        super().__init__(t0, t1, embargo)
        if not 0 < n_test_groups < n_groups:
            raise ValueError("n_test_groups: must be between 1 and n_groups - 1")
        self.n_groups = n_groups
        self.n_test_groups = n_test_groups

    def get_n_splits(self, X=None, y=None, groups=None) -> int:  # noqa: ANN001, N803
        return comb(self.n_groups, self.n_test_groups)

    @property
    def n_paths(self) -> int:
        """Backtest paths the splits assemble: C(N, k) · k / N."""
        return comb(self.n_groups, self.n_test_groups) * self.n_test_groups // self.n_groups

    def split(self, X, y=None, groups=None):  # noqa: ANN001, ANN201, N803
        blocks = self._blocks(len(X), self.n_groups)
        tests = [
            np.concatenate([blocks[g] for g in chosen])
            for chosen in combinations(range(self.n_groups), self.n_test_groups)
        ]
        yield from self._split_with(len(X), tests)
