"""What the win-probability assets read from a real DuckDB warehouse: only the history the model uses."""

from __future__ import annotations

from orchestration.warehouse import DuckDBWarehouse
from tests.orchestration.win_probability_crm import (
    assert_a_crm_without_closes_reads_its_open_deals,
    assert_frames_passed_with_a_query_are_its_tables,
    assert_reads_only_the_needed_history,
    assert_scoring_reads_only_the_open_deals,
    assert_scoring_with_nothing_open_gives_no_scores,
    assert_shared_text_reads_the_same_frame,
    assert_the_scoring_moment_is_the_start_of_the_day_after_the_latest_change,
    write_crm,
)


def test_only_the_sampled_and_the_open_deals_history_is_read(tmp_path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    write_crm(warehouse)
    assert_reads_only_the_needed_history(warehouse)


def test_scoring_with_a_stored_fit_reads_only_the_open_deals(tmp_path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    write_crm(warehouse)
    assert_scoring_reads_only_the_open_deals(warehouse)


def test_scoring_when_every_deal_is_closed_gives_no_scores(tmp_path) -> None:
    assert_scoring_with_nothing_open_gives_no_scores(DuckDBWarehouse(tmp_path / "warehouse.duckdb"))


def test_a_crm_without_closes_reads_only_its_open_deals(tmp_path) -> None:
    assert_a_crm_without_closes_reads_its_open_deals(DuckDBWarehouse(tmp_path / "warehouse.duckdb"))


def test_a_frame_passed_with_the_query_is_a_table_of_it(tmp_path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    write_crm(warehouse)
    assert_frames_passed_with_a_query_are_its_tables(warehouse)


def test_text_read_sharing_one_string_per_value_is_the_same_frame(tmp_path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    write_crm(warehouse)
    assert_shared_text_reads_the_same_frame(warehouse)


def test_the_pipeline_is_scored_at_the_start_of_the_day_after_the_latest_crm_change(tmp_path) -> None:
    assert_the_scoring_moment_is_the_start_of_the_day_after_the_latest_change(DuckDBWarehouse(tmp_path / "warehouse.duckdb"))
