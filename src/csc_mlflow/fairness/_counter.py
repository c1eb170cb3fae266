"""Confusion counts for any set of features in one ``numpy.bincount`` pass."""

from __future__ import annotations

import dataclasses
from typing import Any, Final

import numpy as np

from csc_mlflow.fairness._engine import GroupCounts
from csc_mlflow.fairness._groups import EncodedFeature

__all__ = ["Counter"]

# Above this many cells in the product of every feature's groups, count each table in its own
# pass instead of marginalising one product table.
_MAX_PRODUCT_CELLS: Final = 1_000_000


class Counter:
    """Confusion counts for any set of features: one ``bincount`` over the product of all
    features' groups, marginalised per table (or one pass per table if the product is huge)."""

    def __init__(
        self,
        features: list[EncodedFeature],
        y_true: np.ndarray,
        y_pred: np.ndarray,
        weights: np.ndarray | None,
        frequency: np.ndarray | None = None,
    ) -> None:
        self.features = {f.name: f for f in features}
        self.order = [f.name for f in features]
        self.sizes = [len(f.labels) for f in features]
        self.y_true = y_true
        self.y_pred = y_pred
        self.weights = weights
        self.frequency = frequency
        """How many rows each row stands for (cells counted in Spark or SQL), or None."""
        self._cells: np.ndarray | None = None
        self.rows: np.ndarray | None = None
        self.weighted: np.ndarray | None = None
        if int(np.prod(self.sizes)) <= _MAX_PRODUCT_CELLS:
            self.rows, self.weighted = self._count(features)
            shape = (*self.sizes, 4)
            self.rows = self.rows.reshape(shape)
            self.weighted = self.weighted.reshape(shape)

    def pool_small(self, name: str, min_size: int, label: str, keep: str) -> int:
        """Merge the groups of raw feature ``name`` held by fewer than ``min_size`` rows into
        one group called ``label`` (``keep`` is never pooled); how many values were pooled."""
        feature = self.features[name]
        rows, _ = self._full((name,))
        sizes = rows.sum(axis=1)
        small = [
            i
            for i, (n, lab) in enumerate(zip(sizes, feature.labels, strict=True))
            if 0 < n < min_size and lab != keep
        ]
        if not small:
            return 0
        kept = [i for i in range(len(feature.labels)) if i not in small]
        labels = [feature.labels[i] for i in kept] + [label]
        mapping = np.full(len(feature.labels), len(labels) - 1, dtype=np.int64)
        mapping[kept] = np.arange(len(kept))
        self.features[name] = dataclasses.replace(
            feature, codes=mapping[feature.codes], labels=tuple(labels)
        )
        axis = self.order.index(name)
        self.sizes[axis] = len(labels)
        if self.rows is not None and self.weighted is not None:
            merge = np.zeros((len(mapping), len(labels)))
            merge[np.arange(len(mapping)), mapping] = 1.0
            self.rows = np.moveaxis(np.tensordot(self.rows, merge, axes=([axis], [0])), -1, axis)
            self.weighted = np.moveaxis(
                np.tensordot(self.weighted, merge, axes=([axis], [0])), -1, axis
            )
        return len(small)

    def encoded(self, name: str) -> EncodedFeature:
        """The feature as counted (after any pooling)."""
        return self.features[name]

    def _count(self, members: list[EncodedFeature]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, weighted) per cell of the members' product, each with its 4 confusion cells.

        One index per row, ``((code_1 * n_2 + code_2) * n_3 + ...) * 4 + 2 * y_true + y_pred``,
        built in place in one buffer of the narrowest integer type that holds it (the two
        labels folded into one byte per row once, for every table).
        """
        size = int(np.prod([len(m.labels) for m in members])) * 4
        if self._cells is None:
            self._cells = self.y_true.astype(np.int8)
            self._cells <<= 1
            self._cells |= self.y_pred.astype(np.int8)
        dtype = np.dtype(np.int16 if size <= 2**15 else np.int32 if size <= 2**31 else np.int64)
        index: np.ndarray[Any, np.dtype[np.signedinteger[Any]]] = members[0].codes.astype(dtype)
        for member in members[1:]:
            index *= len(member.labels)
            index += member.codes
        index <<= 2
        index += self._cells
        rows = np.bincount(index, weights=self.frequency, minlength=size).astype(float)
        if self.weights is None:
            return rows, rows
        # With frequencies, each cell's weight is already the sum of its rows' weights.
        return rows, np.bincount(index, weights=self.weights, minlength=size)

    def _full(self, members: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, weighted) of shape (product of members' groups, 4), in member order."""
        if self.rows is not None and self.weighted is not None:
            keep = [self.order.index(m) for m in members]
            drop = tuple(i for i in range(len(self.order)) if i not in keep)
            rows, weighted = self.rows.sum(axis=drop), self.weighted.sum(axis=drop)
            kept_order = sorted(keep)
            perm = [kept_order.index(k) for k in keep] + [len(keep)]
            rows, weighted = rows.transpose(perm), weighted.transpose(perm)
        else:
            rows, weighted = self._count([self.features[m] for m in members])
        return rows.reshape(-1, 4), weighted.reshape(-1, 4)

    def present(self, members: tuple[str, ...]) -> np.ndarray:
        """Which cells of the members' product have any rows."""
        rows, _ = self._full(members)
        occurs: np.ndarray = rows.sum(axis=1) > 0
        return occurs

    def table(self, members: tuple[str, ...]) -> GroupCounts:
        """Counts for the groups (or intersections) of ``members`` that occur in the data."""
        rows, weighted = self._full(members)
        keep = rows.sum(axis=1) > 0
        label_lists = [self.features[m].labels for m in members]
        labels = tuple(
            " / ".join(label_lists[i][j] for i, j in enumerate(cell))
            for cell, k in zip(np.ndindex(*[len(x) for x in label_lists]), keep, strict=True)
            if k
        )
        return GroupCounts(labels=labels, weighted=weighted[keep], rows=rows[keep])

    def overall(self) -> GroupCounts:
        """Counts over everyone."""
        rows, weighted = self._full((self.order[0],))
        return GroupCounts(
            ("all",), weighted.sum(axis=0, keepdims=True), rows.sum(axis=0, keepdims=True)
        )
