"""CRM account ↔ ERP customer resolution against the demo company's truth, at full demo scale.

The demo generator spells CRM accounts the way sales reps do (legal forms, case, typos, abbreviated
or missing streets, missing tax ids and websites) and creates duplicate accounts, most of them
merged later in the CRM; ``demo_truth/account_customer_matches.csv`` says which account is which
customer. This test loads the two exports (all ~330 customers of a scale-1 company, two months of
exports), builds the matching models with dbt, and measures precision and recall of
``int_accounts__resolved`` against that truth.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from demo_company import TRUTH_FOLDER, DemoConfig, generate
from orchestration.ingest import load_export_days
from orchestration.ingest.specs import SPECS_DIR, load_specs
from tests.dbt_build import dbt_build

pytestmark = pytest.mark.slow

START, END = date(2025, 1, 1), date(2025, 2, 28)


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    home = tmp_path_factory.mktemp("entity_resolution")
    generate(home, DemoConfig(seed=42, scale=1.0, start=START, end=END, first_export=START))
    specs = {spec.table_name: spec for spec in load_specs(SPECS_DIR)}
    with duckdb.connect(str(home / "warehouse.duckdb")) as conn:
        for table in ("crm__accounts", "erp__customers"):
            load_export_days(conn, specs[table], home / "landing", START, END)
    dbt_build(
        home, "--select", "+int_accounts__resolved", "+int_account_matches__exceptions",
        "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test",
    )
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        mapping = conn.execute("select account_id, customer_id, resolved_by from intermediate.int_accounts__resolved").df()
        exceptions = conn.execute("select record_type, record_id, reason from intermediate.int_account_matches__exceptions").df()
    truth = pd.read_csv(home / TRUTH_FOLDER / "account_customer_matches.csv", dtype=str)
    return mapping, exceptions, truth


def test_every_resolved_pair_is_right(resolved) -> None:
    mapping, _, truth = resolved
    predicted = set(mapping.dropna(subset=["customer_id"])[["account_id", "customer_id"]].itertuples(index=False, name=None))
    right = predicted & set(truth.itertuples(index=False, name=None))
    assert len(predicted) > 250
    assert len(right) / len(predicted) == 1.0  # precision


def test_nearly_every_true_pair_is_found_and_the_rest_go_to_the_steward(resolved) -> None:
    mapping, exceptions, truth = resolved
    predicted = set(mapping.dropna(subset=["customer_id"])[["account_id", "customer_id"]].itertuples(index=False, name=None))
    pairs = set(truth.itertuples(index=False, name=None))
    missed = pairs - predicted
    assert len(pairs - missed) / len(pairs) >= 0.97  # recall
    flagged = set(exceptions.loc[exceptions["record_type"] == "crm_account", "record_id"])
    assert {account for account, _ in missed} <= flagged  # nothing is lost silently


def test_merged_duplicates_resolve_through_their_survivor(resolved) -> None:
    mapping, _, truth = resolved
    merged = mapping[mapping["resolved_by"] == "merged_into_matched"]
    assert len(merged) >= 5
    assert set(merged[["account_id", "customer_id"]].itertuples(index=False, name=None)) <= set(truth.itertuples(index=False, name=None))


def test_typos_and_street_spellings_are_matched_by_address(resolved) -> None:
    mapping, _, _ = resolved
    assert (mapping["resolved_by"] == "address").sum() >= 1
