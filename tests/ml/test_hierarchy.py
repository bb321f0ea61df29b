"""ml.hierarchy: the summing matrix, bottom-up and MinT reconciliation and the shrinkage, worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.forecasting import GlobalForecaster, SharedFitReconciliations, forecast
from ml.hierarchy import Hierarchy, bottom_up, mint, reconciler, shrunk_covariance
from ml.synthetic import make_panel

# Two bottom series a and b under one total: S = [[1, 1], [1, 0], [0, 1]] (nodes: total, a, b).
TWO = Hierarchy.from_keys(pd.DataFrame({"unique_id": ["b", "a"]}), [[]])
BASE = np.array([10.0, 3.0, 5.0])  # total forecast 10, but a + b = 8


def test_summing_matrix_and_node_order():
    assert TWO.node_ids.tolist() == ["total", "a", "b"]
    assert TWO.node_levels.tolist() == ["total", "bottom", "bottom"]
    assert TWO.summing.tolist() == [[1, 1], [1, 0], [0, 1]]


def test_groupings_by_two_attributes():
    keys = pd.DataFrame({"unique_id": ["p1@E", "p2@E", "p1@A"], "family": ["F", "G", "F"], "region": ["E", "E", "A"]})
    h = Hierarchy.from_keys(keys, [[], ["family"], ["region"]])
    assert h.node_ids.tolist() == ["total", "F", "G", "A", "E", "p1@A", "p1@E", "p2@E"]
    assert h.summing[:5].tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 1]]
    frame = pd.DataFrame({"unique_id": ["p1@E", "p2@E", "p1@A"], "ds": pd.Timestamp("2024-01-01"), "y": [1.0, 2.0, 4.0]})
    sums = h.aggregate(frame).set_index("unique_id")["y"]
    assert sums.to_dict() == {"total": 7.0, "F": 5.0, "G": 2.0, "A": 4.0, "E": 3.0, "p1@E": 1.0, "p2@E": 2.0, "p1@A": 4.0}


def test_bottom_up_sums_the_bottom_forecasts():
    assert (TWO.summing @ bottom_up(TWO) @ BASE).tolist() == [8.0, 3.0, 5.0]


def test_mint_with_identity_covariance_splits_the_gap_equally():
    # OLS: the gap of 2 is shared by the three nodes, 2/3 each: total 28/3, a 11/3, b 17/3
    coherent = TWO.summing @ mint(TWO.summing, np.eye(3)) @ BASE
    assert coherent == pytest.approx([28 / 3, 11 / 3, 17 / 3])


def test_mint_with_a_noisy_total_moves_the_total_most():
    # W = diag(4, 1, 1): (SᵀW⁻¹S)⁻¹ = [[5/6, -1/6], [-1/6, 5/6]], SᵀW⁻¹ŷ = [5.5, 7.5] → a 10/3, b 16/3
    coherent = TWO.summing @ mint(TWO.summing, np.diag([4.0, 1.0, 1.0])) @ BASE
    assert coherent == pytest.approx([26 / 3, 10 / 3, 16 / 3])


def test_shrinkage_intensity_and_covariance():
    residuals = np.array([[1.0, 2.0], [-1.0, 0.0], [2.0, 1.0], [0.0, -1.0]])
    n = len(residuals)
    # by hand: uncentred covariance, standardised products w_k = x_k1·x_k2, their mean r and variance
    c11, c22, c12 = (1 + 1 + 4 + 0) / n, (4 + 0 + 1 + 1) / n, (2 + 0 + 2 + 0) / n
    w = [(r[0] / c11**0.5) * (r[1] / c22**0.5) for r in residuals]
    r12 = sum(w) / n
    var_r12 = sum((x - r12) ** 2 for x in w) / (n * (n - 1))
    expected_lambda = (2 * var_r12) / (2 * r12**2)
    shrunk, lam = shrunk_covariance(residuals)
    assert lam == pytest.approx(expected_lambda)
    assert shrunk == pytest.approx(np.array([[c11, (1 - lam) * c12], [(1 - lam) * c12, c22]]))


def test_reconciler_rejects_an_unknown_method_and_falls_back_without_residuals():
    with pytest.raises(ValueError, match="bottom_up"):
        reconciler(TWO, "top_down")
    assert reconciler(TWO, "mint_shrink", None) @ BASE == pytest.approx([8.0, 3.0, 5.0])


def test_clashing_node_ids_are_refused():
    keys = pd.DataFrame({"unique_id": ["total", "x"]})
    with pytest.raises(ValueError, match="'total' names two nodes"):
        Hierarchy.from_keys(keys, [[]])


@pytest.mark.parametrize("method", ["bottom_up", "mint_shrink"])
def test_forecast_with_a_hierarchy_adds_up_at_every_level(method):
    df = make_panel(6, 36, seed=3)
    keys = pd.DataFrame({"unique_id": sorted(df["unique_id"].unique())})
    keys["family"] = ["F", "F", "F", "G", "G", "G"]
    keys["region"] = ["E", "A", "E", "A", "E", "A"]
    h = Hierarchy.from_keys(keys, [[], ["family"], ["region"]])
    out = forecast(df, 4, level=[80, 95], hierarchy=h, reconciliation=method)
    assert sorted(out["hierarchy_level"].unique()) == ["bottom", "family", "region", "total"]
    wide = out.pivot(index="unique_id", columns="ds", values="yhat").reindex(h.node_ids).to_numpy()
    bottom = wide[-6:]
    assert wide == pytest.approx(h.summing @ bottom)
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"]).all() and (out["yhat_hi_80"] <= out["yhat_hi_95"]).all()
    assert (out["yhat_lo_80"] < out["yhat_hi_80"]).all()
    assert (out["yhat_lo"] == out["yhat_lo_80"]).all()


def test_the_reconciliations_share_one_fit_per_training_frame_with_the_same_forecasts(monkeypatch):
    df = make_panel(4, 30, seed=5)
    keys = pd.DataFrame({"unique_id": sorted(df["unique_id"].unique()), "region": ["E", "E", "A", "A"]})
    h = Hierarchy.from_keys(keys, [[], ["region"]])
    alone = {method: forecast(df, 3, level=[80, 95], hierarchy=h, reconciliation=method) for method in ("bottom_up", "mint_shrink")}
    fits = []
    base = GlobalForecaster._base
    monkeypatch.setattr(GlobalForecaster, "_base", lambda self, panel: fits.append(panel.width) or base(self, panel))
    shared = SharedFitReconciliations(["bottom_up", "mint_shrink"])
    for method in ("bottom_up", "mint_shrink"):
        pd.testing.assert_frame_equal(shared.model(method)(df, 3, level=[80, 95], hierarchy=h), alone[method], check_exact=True)
    assert fits == [30]  # one fit for both
    shorter = df[df["ds"] < df["ds"].max()]
    shared.model("mint_shrink")(shorter, 3, level=[80, 95], hierarchy=h)
    shared.model("bottom_up")(df.copy(), 3, level=[80, 95], hierarchy=h)  # the same content again: refitted, the last frame was another
    assert fits == [30, 29, 30]
    with pytest.raises(ValueError, match="reconciliation must be one of"):
        shared.model("top_down")


def test_a_bottom_series_without_rows_is_forecast_zero_and_the_sums_still_hold():
    df = make_panel(3, 30, seed=4)
    keys = pd.DataFrame({"unique_id": [*sorted(df["unique_id"].unique()), "new"], "region": ["E", "E", "A", "A"]})
    h = Hierarchy.from_keys(keys, [["region"]])
    out = forecast(df, 2, hierarchy=h).set_index(["unique_id", "ds"])["yhat"]
    assert (out.loc["new"] == 0).all()
    assert out.loc["A"].to_numpy() == pytest.approx(out.loc["s2"].to_numpy())


def test_bad_reconciliation_or_level_is_refused_before_any_fit():
    df = make_panel(2, 24, seed=4)
    with pytest.raises(ValueError, match="reconciliation must be one of"):
        forecast(df, 2, reconciliation="top_down")
    with pytest.raises(ValueError, match="level must be a percentage"):
        forecast(df, 2, level=[80, 100])


def test_mint_with_a_singular_covariance_falls_back_to_its_diagonal():
    # two identical error rows: perfectly correlated nodes, λ = 0, W singular (rank 1 of 3)
    residuals = np.array([[1.0, 2.0, -1.0], [1.0, 2.0, -1.0]])
    _, lam = shrunk_covariance(residuals)
    assert lam == 0.0
    coherent = reconciler(TWO, "mint_shrink", residuals) @ BASE
    expected = TWO.summing @ mint(TWO.summing, np.diag([1.0, 4.0, 1.0])) @ BASE  # the variances: 1, 4, 1
    assert coherent == pytest.approx(expected)


def test_mint_calibration_forecasts_are_reconciled_without_their_own_errors():
    """Cross-fitting: a held-out pair's reconciled forecast depends on the other half's errors only."""
    from ml.forecasting import _cross_fitted

    rng = np.random.default_rng(3)
    pairs = np.array([(t, h) for t in range(4) for h in (1, 2)])  # target months 1 .. 5; median 3
    later = pairs.sum(axis=1) > 3
    cal_pred = rng.normal(10, 1, (3, len(pairs)))
    cal_y = rng.normal(10, 2, (3, len(pairs)))
    identity = lambda mapping, a: mapping @ a  # noqa: E731
    first = _cross_fitted(TWO, "mint_shrink", pairs, cal_pred, cal_y, identity)
    moved = cal_y.copy()
    moved[:, later] += rng.normal(0, 5, (3, later.sum()))  # other errors for the later half
    second = _cross_fitted(TWO, "mint_shrink", pairs, cal_pred, moved, identity)
    assert second[:, later] == pytest.approx(first[:, later])  # the later half's own errors do not count
    assert not np.allclose(second[:, ~later], first[:, ~later])  # they reconcile the earlier half
    expected = reconciler(TWO, "mint_shrink", (cal_y[:, ~later] - cal_pred[:, ~later]).T) @ cal_pred[:, later]
    assert first[:, later] == pytest.approx(expected)
    assert first[0] == pytest.approx(first[1] + first[2])  # still coherent
    bottom = _cross_fitted(TWO, "bottom_up", pairs, cal_pred, cal_y, identity)
    assert bottom[0] == pytest.approx(cal_pred[1] + cal_pred[2]) and bottom[1:] == pytest.approx(cal_pred[1:])
