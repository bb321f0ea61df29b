"""Win probability of open opportunities: a calibrated gradient-boosting classifier on features as
of a moment (``ml.win_features``), validated on time against the CRM's own stage probability.

Training rows are snapshots: every opportunity open at the start of each month, labelled with how
it ended; beyond MAX_SNAPSHOT_ROWS, the snapshots of a sample of the closed deals chosen by a hash
of their id (see :func:`deal_sample`). ``validate_snapshots`` trains on deals that closed before a
cutoff and tests on snapshots taken after it (deals that closed later), so neither the features nor
the labels of the test rows were available to the model. ``score_and_validate`` validates, then
trains on every (sampled) closed deal and scores the opportunities open at the last moment the data
knows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression

from ml.calibration import brier_score, calibration_curve
from ml.deal_ids import deal_hashes
from ml.threads import boosting_threads
from ml.win_features import (
    CATEGORICAL_FEATURES, FEATURES, closings, features_as_of, month_starts, open_at, open_moment_counts, track_record_summary,
)

MODEL_NAME = "gbm_isotonic"
CRM_NAME = "crm_stage_probability"
TEST_SHARE = 0.25  # the latest quarter of the closed deals is the validation period
CALIBRATION_SHARE = 0.25  # the latest quarter of the training rows calibrates the booster's scores
MIN_TRAINING_ROWS = 50
# Labelled snapshots kept at most (validation's training and test rows together; the final fit's
# training rows), so the fits cost the same at 10M order lines as at 1M. Demo scale 1 has 83k,
# scale 10 (1M order lines) 821k: Brier on its full test set 0.1107 capped, 0.1100 not.
MAX_SNAPSHOT_ROWS = 400_000
SEED = 0


class WinProbabilityModel:
    """Gradient boosting on FEATURES, fitted on the earlier snapshots of the training rows; its
    scores calibrated by isotonic regression on the later CALIBRATION_SHARE (time order, so the
    calibration sees the model the way the future will)."""

    def __init__(self) -> None:
        self.categories: dict[str, list[str]] = {}
        self.booster: HistGradientBoostingClassifier | None = None
        self.isotonic: IsotonicRegression | None = None

    def fit(self, rows: pd.DataFrame) -> WinProbabilityModel:
        # In time order, ties (the deals of one snapshot) in an order fixed by a hash of their id: the
        # same model whatever order the rows came in (the fit/calibration split and the booster's
        # early-stopping split follow the row order), and no bias towards older or newer ids.
        rows = rows.assign(_tie=deal_hashes(rows["opportunity_id"])).sort_values(["as_of", "_tie"], kind="stable").drop(columns="_tie")
        self.categories = {c: sorted(rows[c].dropna().astype(str).unique()) for c in CATEGORICAL_FEATURES}
        split = int(len(rows) * (1 - CALIBRATION_SHARE))
        fit_rows, calibration_rows = rows.iloc[:split], rows.iloc[split:]
        self.booster = HistGradientBoostingClassifier(
            learning_rate=0.1, max_iter=120, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
            categorical_features=[f in CATEGORICAL_FEATURES for f in FEATURES], random_state=SEED,
        )
        with boosting_threads():
            self.booster.fit(self._matrix(fit_rows), fit_rows["is_won"].astype(int).to_numpy())
        self.isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        self.isotonic.fit(self._raw(calibration_rows), calibration_rows["is_won"].astype(float).to_numpy())
        return self

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """The calibrated probability that each row's opportunity is won."""
        if self.isotonic is None:
            raise ValueError("WinProbabilityModel.predict called before fit")
        return self.isotonic.predict(self._raw(rows))

    def _raw(self, rows: pd.DataFrame) -> np.ndarray:
        with boosting_threads():
            return self.booster.predict_proba(self._matrix(rows))[:, 1]

    def _matrix(self, rows: pd.DataFrame) -> np.ndarray:
        matrix = rows[FEATURES].copy()
        for column, values in self.categories.items():
            codes = {value: code for code, value in enumerate(values)}
            matrix[column] = matrix[column].astype(str).map(codes).astype(float)  # unseen → NaN
        return matrix.to_numpy(dtype=float)


@dataclass(frozen=True)
class Validation:
    """The time-split validation: where it cut, how many rows, the Brier scores and both calibration curves."""

    cutoff: pd.Timestamp
    train_rows: int
    test_rows: int
    test_opportunities: int
    brier_model: float
    brier_crm: float
    base_rate: float
    curves: pd.DataFrame  # CURVE_COLUMNS + ``forecaster`` (MODEL_NAME or CRM_NAME)

    def summary(self) -> pd.DataFrame:
        """One row per forecaster: Brier score on the test period, rows, cutoff."""
        return pd.DataFrame(
            {
                "forecaster": [MODEL_NAME, CRM_NAME],
                "brier_score": [self.brier_model, self.brier_crm],
                "test_rows": self.test_rows,
                "test_opportunities": self.test_opportunities,
                "train_rows": self.train_rows,
                "base_rate": self.base_rate,
                "cutoff": self.cutoff,
            }
        )


def deal_sample(snapshots: pd.DataFrame, max_rows: int = MAX_SNAPSHOT_ROWS) -> pd.DataFrame:
    """The snapshots of whole deals, taken in the order of a hash of their id while they fit in ``max_rows``.

    All of them when they fit. The same rows whatever order they come in and on every run; a deal's
    snapshots stay together (it is in or out), and no age of id is favoured. As the CRM grows the
    sample only loses deals at the end of the hash order, so consecutive runs train on nearly the
    same deals.
    """
    if len(snapshots) <= max_rows:
        return snapshots
    kept = sampled_deals(snapshots["opportunity_id"].value_counts(), max_rows)
    return snapshots[snapshots["opportunity_id"].isin(kept)]


def sampled_deals(rows_per_deal: pd.Series, max_rows: int = MAX_SNAPSHOT_ROWS) -> pd.Index:
    """The deals :func:`deal_sample` keeps, from their numbers of snapshots (``opportunity_id`` → rows;
    deals without any are left out)."""
    if rows_per_deal.sum() <= max_rows:
        return rows_per_deal.index[rows_per_deal.to_numpy() > 0]
    deals = rows_per_deal[rows_per_deal > 0].rename("rows").rename_axis("opportunity_id").reset_index()
    deals["hash"] = deal_hashes(deals["opportunity_id"])
    # The id breaks ties of the hash; sorting by strings costs seconds at millions of deals, so only when there is one.
    order = ["hash", "opportunity_id"] if deals["hash"].duplicated().any() else ["hash"]
    deals = deals.sort_values(order, kind="stable")
    return pd.Index(deals.loc[deals["rows"].cumsum().to_numpy() <= max_rows, "opportunity_id"])


def training_moments(opportunities: pd.DataFrame, closed: pd.DataFrame) -> list[pd.Timestamp]:
    """The snapshot moments: the month starts from the first opportunity's to the last close."""
    return [] if closed.empty else month_starts(pd.to_datetime(opportunities["created_at"]).min(), closed["closed_at"].max())


def training_deals(opportunities: pd.DataFrame, closed: pd.DataFrame, max_rows: int = MAX_SNAPSHOT_ROWS) -> pd.DataFrame:
    """The closed deals whose snapshots :func:`labelled_snapshots` takes (their rows of ``opportunities``):
    the :func:`deal_sample` of every closed deal's snapshots, chosen from their numbers alone."""
    ended = opportunities[opportunities["opportunity_id"].isin(closed["opportunity_id"])]
    counts = open_moment_counts(ended, closed, training_moments(opportunities, closed))
    return ended[ended["opportunity_id"].isin(sampled_deals(counts, max_rows))]


def labelled_snapshots(
    history: pd.DataFrame, opportunities: pd.DataFrame, closed: pd.DataFrame | None = None, max_rows: int = MAX_SNAPSHOT_ROWS,
    training: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every closed deal open at each month start (at most ``max_rows`` rows: see :func:`deal_sample`),
    with its features then and its outcome; only moments with a recorded state (the current record
    would leak). ``training``: the deals :func:`training_deals` picks, when the caller has them already."""
    closed = closings(history, opportunities) if closed is None else closed
    training = training_deals(opportunities, closed, max_rows) if training is None else training
    snapshots = open_at(training, closed, training_moments(opportunities, closed))
    rows = features_as_of(history, opportunities, snapshots, closed)
    return rows[rows["has_recorded_state"]].reset_index(drop=True)


def deals_needing_history(
    opportunities: pd.DataFrame, closed: pd.DataFrame, as_of: pd.Timestamp, training: pd.DataFrame
) -> pd.Index:
    """The opportunities whose stage history :func:`score_and_validate` reads, given every deal's close
    (``closed``) and the training deals (:func:`training_deals`): those and the deals open at ``as_of``.
    Sorted ids."""
    sampled = training["opportunity_id"]
    scored = open_at(opportunities, closed, [as_of])["opportunity_id"]
    return pd.Index(pd.concat([sampled, scored]).unique()).sort_values()


def validation_cutoff(closed: pd.DataFrame, test_share: float = TEST_SHARE) -> pd.Timestamp:
    """The month start before which (1 − test_share) of the closed deals closed."""
    moment = closed["closed_at"].quantile(1 - test_share)
    return moment.to_period("M").to_timestamp()


def validate_on_time(history: pd.DataFrame, opportunities: pd.DataFrame, test_share: float = TEST_SHARE) -> Validation | None:
    """:func:`validate_snapshots` on the labelled snapshots of a stage history and its opportunities."""
    closed = closings(history, opportunities)
    return validate_snapshots(labelled_snapshots(history, opportunities, closed), closed, test_share)


def validate_snapshots(snapshots: pd.DataFrame, closed: pd.DataFrame, test_share: float = TEST_SHARE) -> Validation | None:
    """Train on snapshots of deals closed before the cutoff, test on snapshots at or after it.

    ``closed`` (every closed deal, :func:`closings`) sets the cutoff. None when either side is too
    small to say anything (a young CRM).
    """
    if snapshots.empty:
        return None
    cutoff = validation_cutoff(closed, test_share)
    train = snapshots[snapshots["closed_at"] < cutoff]
    test = snapshots[snapshots["as_of"] >= cutoff]
    if len(train) < MIN_TRAINING_ROWS or train["is_won"].nunique() < 2 or test.empty:
        return None
    predicted = WinProbabilityModel().fit(train).predict(test)
    outcome = test["is_won"].astype(float).to_numpy()
    crm = test["crm_probability"].fillna(0).to_numpy()
    curves = pd.concat(
        [calibration_curve(outcome, predicted).assign(forecaster=MODEL_NAME), calibration_curve(outcome, crm).assign(forecaster=CRM_NAME)],
        ignore_index=True,
    )
    return Validation(
        cutoff=cutoff, train_rows=len(train), test_rows=len(test), test_opportunities=int(test["opportunity_id"].nunique()),
        brier_model=brier_score(outcome, predicted), brier_crm=brier_score(outcome, crm),
        base_rate=float(outcome.mean()), curves=curves,
    )


def open_opportunity_scores(
    history: pd.DataFrame, opportunities: pd.DataFrame, closed: pd.DataFrame, as_of: pd.Timestamp, model: WinProbabilityModel | None
) -> pd.DataFrame:
    """Every opportunity open at ``as_of`` with its features then, the CRM probability and the
    model's (``win_probability``; the CRM's where there is no model). ``closed``: every deal's close,
    or their summary at ``as_of`` (``ml.win_features.track_record_summary``, what the features at one
    moment need; the scores' outcome columns are empty either way)."""
    rows = features_as_of(history, opportunities, open_at(opportunities, closed, [as_of]), track_record_summary(closed, as_of))
    rows["win_probability"] = model.predict(rows) if model is not None and len(rows) else rows["crm_probability"]
    return rows


@dataclass(frozen=True)
class FittedWinProbability:
    """What a fit leaves for scoring later: the model (None when there were too few closed deals of
    both outcomes: the scores are then the CRM's stage probability), its name, the validation on time
    beside it, the moment its training snapshots end and how many closed deals it knew."""

    model: WinProbabilityModel | None
    name: str
    validation: Validation | None
    as_of: pd.Timestamp
    closed_deals: int


def fit_and_validate(
    history: pd.DataFrame, opportunities: pd.DataFrame, as_of: pd.Timestamp, closed: pd.DataFrame | None = None,
    max_rows: int = MAX_SNAPSHOT_ROWS, training: pd.DataFrame | None = None,
) -> FittedWinProbability:
    """Validate on time, then train on every (sampled) closed deal's snapshots up to ``as_of``. One
    set of labelled snapshots serves both fits. ``history``, ``closed`` and ``training``: as for
    :func:`score_and_validate`."""
    closed = closings(history, opportunities) if closed is None else closed
    snapshots = labelled_snapshots(history, opportunities, closed, max_rows, training)
    validation = validate_snapshots(snapshots, closed)
    snapshots = snapshots[snapshots["as_of"] <= as_of]
    trainable = len(snapshots) >= MIN_TRAINING_ROWS and snapshots["is_won"].nunique() == 2
    model = WinProbabilityModel().fit(snapshots) if trainable else None
    return FittedWinProbability(model, MODEL_NAME if trainable else CRM_NAME, validation, as_of, len(closed))


def score_and_validate(
    history: pd.DataFrame, opportunities: pd.DataFrame, as_of: pd.Timestamp, closed: pd.DataFrame | None = None,
    max_rows: int = MAX_SNAPSHOT_ROWS, training: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, str, Validation | None]:
    """Validate on time, train on every closed deal (snapshots up to ``as_of``), score what is open at
    ``as_of``; returns the scores, the model's name (CRM_NAME when there are too few closed deals of
    both outcomes to train on) and the validation (:func:`fit_and_validate`, then
    :func:`open_opportunity_scores`).

    ``history`` needs only the rows of :func:`deals_needing_history` (of the same training deals) when
    ``closed`` (every deal's close, :func:`closings`) is given; without it, every row. ``training``:
    the deals :func:`training_deals` picks with ``max_rows``, when the caller has chosen them already."""
    closed = closings(history, opportunities) if closed is None else closed
    fitted = fit_and_validate(history, opportunities, as_of, closed, max_rows, training)
    scores = open_opportunity_scores(history, opportunities, closed, as_of, fitted.model)
    return scores, fitted.name, fitted.validation
