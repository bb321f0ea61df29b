"""The win_probability asset fits, stores the fit under $SALESOPS_HOME/models and scores with it on later
runs until it is refit_after_days old (by the CRM's scoring moment): materialized by Dagster on the
hand-made CRM (tests/orchestration/win_probability_crm.py) in a real DuckDB warehouse."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from ml.stored_fit import load_fit
from orchestration.assets.sales_forecast import FIT_FILE, SCORES_KEY, win_probability
from orchestration.resources import SalesopsHome
from orchestration.warehouse import FrameWrite
from tests.orchestration.win_probability_crm import AS_OF, OPEN_AT_SCORING, history_frame, write_crm


def run(home, refit_after_days: int | None = None) -> tuple[dg.ExecuteInProcessResult, dict]:
    config = {} if refit_after_days is None else {"refit_after_days": refit_after_days}
    result = dg.materialize(
        [win_probability], resources={"salesops": SalesopsHome(home=str(home))},
        run_config={"ops": {"win_probability": {"config": config}}},
    )
    scores = next(m for m in result.asset_materializations_for_node("win_probability") if m.asset_key == SCORES_KEY)
    return result, {key: value.value for key, value in scores.metadata.items()}


def scores_table(salesops: SalesopsHome) -> pd.DataFrame:
    return salesops.warehouse.read_frame("select * exclude (created_at) from ml.ml_win_probability order by opportunity_id")


def test_later_runs_score_with_the_stored_fit_until_it_is_too_old(tmp_path) -> None:
    salesops = SalesopsHome(home=str(tmp_path))
    write_crm(salesops.warehouse)
    model_file = tmp_path / "models" / FIT_FILE

    first, fitted = run(tmp_path)
    assert fitted["fitted_this_run"] is True and fitted["refit_reason"] == f"no fitted model at {model_file}"
    assert fitted["model_fitted_in_run"] == first.run_id and fitted["model_fitted_as_of"] == str(AS_OF)
    stored, _ = load_fit(model_file)
    assert (stored.run_id, stored.fitted.as_of, stored.fitted.closed_deals) == (first.run_id, AS_OF, 7)
    first_scores = scores_table(salesops)
    assert set(first_scores["opportunity_id"]) == OPEN_AT_SCORING

    second, reused = run(tmp_path)
    assert reused["fitted_this_run"] is False and reused["refit_reason"] == ""
    assert reused["model_fitted_in_run"] == first.run_id
    second_scores = scores_table(salesops)
    assert (second_scores["run_id"] == second.run_id).all()
    pd.testing.assert_frame_equal(second_scores.drop(columns="run_id"), first_scores.drop(columns="run_id"))

    forced, refit = run(tmp_path, refit_after_days=0)
    assert refit["fitted_this_run"] is True and refit["refit_reason"] == "refit_after_days is 0: every run fits"
    assert load_fit(model_file)[0].run_id == forced.run_id

    # a week later in the CRM: O1 moves on; the fit of AS_OF is 7 days old by the new scoring moment
    history = history_frame()
    later = history[history["opportunity_id"] == "O1"].assign(stage_name="Proposal", probability=60, valid_from=pd.Timestamp("2025-04-27 09:00"), change_number=2)
    salesops.warehouse.write_frames([FrameWrite("intermediate", "int_opportunities__stage_history", pd.concat([history, later]))])
    week_later, aged = run(tmp_path)
    assert aged["fitted_this_run"] is True and aged["refit_reason"] == "the model is 7 days old (refit_after_days: 7)"
    assert aged["model_fitted_as_of"] == str(AS_OF + pd.Timedelta(days=7))
    assert load_fit(model_file)[0].run_id == week_later.run_id
