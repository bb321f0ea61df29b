"""Hierarchies of series and forecast reconciliation: every level adds up.

A :class:`Hierarchy` is built from the bottom series' keys (for example product × region) and the
groupings to sum them by (family, region, the total). Its summing matrix ``S`` (nodes × bottom
series) turns bottom values into every node's value. Reconciliation maps base forecasts of all
nodes, which need not add up, to coherent ones ``ỹ = S·G·ŷ``:

* **bottom-up**: ``G`` picks the bottom forecasts; aggregates are their sums.
* **MinT with shrinkage** (Wickramasuriya, Athanasopoulos & Hyndman, 2019):
  ``G = (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹`` with ``W`` the covariance of the base forecasts' errors, shrunk
  towards its diagonal by the Schäfer–Strimmer intensity ``λ`` (as R's ``hts``/``fabletools``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.panel import DS, ID, Y

BOTTOM = "bottom"
TOTAL = "total"
METHODS = ("bottom_up", "mint_shrink")
LEVEL_COLUMN = "hierarchy_level"


@dataclass(frozen=True)
class Hierarchy:
    """Nodes (aggregates first, then the bottom series) and the summing matrix that links them.

    ``node_ids[k]`` is summed from the bottom series where ``summing[k]`` is 1; ``node_levels[k]``
    names its grouping: ``total``, the grouping columns joined by ``×`` (``family``), or ``bottom``.
    """

    bottom_ids: np.ndarray
    node_ids: np.ndarray
    node_levels: np.ndarray
    summing: np.ndarray

    @classmethod
    def from_keys(cls, keys: pd.DataFrame, groupings: Sequence[Sequence[str]]) -> Hierarchy:
        """A hierarchy from one row per bottom series (``unique_id`` plus attribute columns).

        ``groupings``: the aggregates, each a list of attribute columns; ``[]`` is the total. An
        aggregate's id is its attribute values joined by `` | `` (``total`` for the total).
        """
        if ID not in keys.columns:
            raise ValueError(f"hierarchy keys need a {ID!r} column; found {list(keys.columns)}")
        duplicated = keys[ID].duplicated()
        if duplicated.any():
            raise ValueError(f"hierarchy keys list {ID!r} {keys.loc[duplicated, ID].iloc[0]!r} more than once; one row per bottom series")
        keys = keys.sort_values(ID, ignore_index=True)
        ids, levels, rows = [], [], []
        for columns in groupings:
            columns = list(columns)
            missing = [c for c in columns if c not in keys.columns]
            if missing:
                raise ValueError(f"hierarchy grouping {columns} names column(s) {missing} the keys do not have; found {list(keys.columns)}")
            labels = keys[columns].astype(str).agg(" | ".join, axis=1) if columns else pd.Series(TOTAL, index=keys.index)
            for label in sorted(labels.unique()):
                ids.append(label)
                levels.append(" × ".join(columns) if columns else TOTAL)
                rows.append((labels == label).to_numpy(dtype=float))
        bottom = keys[ID].astype(str).to_numpy()
        node_ids = np.array(ids + list(bottom), dtype=object)
        clash = pd.Series(node_ids).duplicated()
        if clash.any():
            raise ValueError(f"hierarchy node id {node_ids[clash.to_numpy()][0]!r} names two nodes; make the bottom ids or attribute values distinct")
        summing = np.vstack(rows + [np.eye(len(bottom))]) if rows else np.eye(len(bottom))
        return cls(bottom, node_ids, np.array(levels + [BOTTOM] * len(bottom), dtype=object), summing)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def level_of(self) -> pd.Series:
        """Each node's level, indexed by node id."""
        return pd.Series(self.node_levels, index=self.node_ids, name=LEVEL_COLUMN)

    def aggregate(self, df: pd.DataFrame) -> pd.DataFrame:
        """A long frame of bottom series summed to every node (``unique_id``, ``ds``, ``y``).

        Every bottom series must be in the hierarchy; a bottom series' months outside its own span
        count as 0 in the sums. Bottom rows come back as given.
        """
        unknown = sorted(set(df[ID].astype(str)) - set(self.bottom_ids))
        if unknown:
            raise ValueError(f"series {unknown[:5]} of column {ID!r} are not bottom series of the hierarchy")
        wide = df.assign(**{ID: df[ID].astype(str)}).pivot(index=ID, columns=DS, values=Y)
        wide = wide.reindex(self.bottom_ids)
        sums = self.summing[: self.n_nodes - len(self.bottom_ids)] @ np.nan_to_num(wide.to_numpy())
        aggregates = pd.DataFrame(sums, index=self.node_ids[: len(sums)], columns=wide.columns)
        aggregates = aggregates.rename_axis(index=ID, columns=DS).stack().rename(Y).reset_index()
        return pd.concat([aggregates, df[[ID, DS, Y]].assign(**{ID: df[ID].astype(str)})], ignore_index=True)


def bottom_up(hierarchy: Hierarchy) -> np.ndarray:
    """``G`` of bottom-up reconciliation: ``(n_bottom, n_nodes)``, the bottom rows of the identity."""
    n_bottom = len(hierarchy.bottom_ids)
    return np.hstack([np.zeros((n_bottom, hierarchy.n_nodes - n_bottom)), np.eye(n_bottom)])


def mint(summing: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``G = (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹`` for a positive definite error covariance ``W``."""
    w_inv_s = np.linalg.solve(covariance, summing)
    return np.linalg.solve(summing.T @ w_inv_s, w_inv_s.T)


def shrunk_covariance(residuals: np.ndarray) -> tuple[np.ndarray, float]:
    """The Schäfer–Strimmer shrinkage of the residual covariance towards its diagonal, and ``λ``.

    ``residuals``: ``(n_observations, n_nodes)``, no NaN. As R's ``hts::MinT``: the covariance is
    ``RᵀR/n`` (not centred); ``λ = Σ_{i≠j} Var(r̂_ij) / Σ_{i≠j} r_ij²`` on the correlations,
    clipped to [0, 1]. A node whose errors are all zero gets a small variance (1e-6 of the mean).
    """
    n = residuals.shape[0]
    covariance = residuals.T @ residuals / n
    variance = np.diag(covariance).copy()
    floor = 1e-6 * max(variance.mean(), 1e-12)
    variance = np.maximum(variance, floor)
    np.fill_diagonal(covariance, variance)
    sd = np.sqrt(variance)
    correlation = covariance / np.outer(sd, sd)
    standardised = residuals / sd
    if n > 1:
        v = (standardised**2).T @ (standardised**2) - (standardised.T @ standardised) ** 2 / n
        v = v / (n * (n - 1))
        np.fill_diagonal(v, 0.0)
        off = correlation**2
        np.fill_diagonal(off, 0.0)
        shrinkage = float(np.clip(v.sum() / off.sum(), 0.0, 1.0)) if off.sum() > 0 else 1.0
    else:
        shrinkage = 1.0
    shrunk = shrinkage * np.diag(variance) + (1 - shrinkage) * covariance
    return shrunk, shrinkage


def reconciler(hierarchy: Hierarchy, method: str, residuals: np.ndarray | None = None) -> np.ndarray:
    """The ``(n_nodes, n_nodes)`` matrix ``S·G`` that maps base forecasts to coherent ones.

    ``residuals`` (``(n_observations, n_nodes)`` base forecast errors) are needed by ``mint_shrink``;
    with fewer than two observations it falls back to bottom-up, with a singular shrunk covariance
    (``λ = 0``, fewer observations than nodes) to the covariance's diagonal.
    """
    if method not in METHODS:
        raise ValueError(f"reconciliation method must be one of {METHODS}; got {method!r}")
    if method == "bottom_up" or residuals is None or residuals.shape[0] < 2:
        return hierarchy.summing @ bottom_up(hierarchy)
    covariance, _ = shrunk_covariance(residuals)
    try:
        return hierarchy.summing @ mint(hierarchy.summing, covariance)
    except np.linalg.LinAlgError:  # no shrinkage and fewer error rows than nodes: the diagonal alone (WLS)
        return hierarchy.summing @ mint(hierarchy.summing, np.diag(np.diag(covariance)))


def coherent_non_negative(hierarchy: Hierarchy, reconciled: np.ndarray) -> np.ndarray:
    """Reconciled node forecasts (``(n_nodes, …)``) with negative bottom values cut to 0 and re-summed."""
    n_bottom = len(hierarchy.bottom_ids)
    bottom = np.maximum(reconciled[-n_bottom:], 0.0)
    return np.tensordot(hierarchy.summing, bottom, axes=1)
