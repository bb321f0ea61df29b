"""What the win-probability assets read from a PostgreSQL warehouse: only the history the model uses,
the deals' ids passed to the query as a temporary table."""

from __future__ import annotations

import pytest

from orchestration.postgres import PostgresWarehouse
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

pytestmark = pytest.mark.postgres


def test_only_the_sampled_and_the_open_deals_history_is_read(postgres_database) -> None:
    warehouse = PostgresWarehouse(postgres_database)
    write_crm(warehouse)
    assert_reads_only_the_needed_history(warehouse)


def test_scoring_with_a_stored_fit_reads_only_the_open_deals(postgres_database) -> None:
    warehouse = PostgresWarehouse(postgres_database)
    write_crm(warehouse)
    assert_scoring_reads_only_the_open_deals(warehouse)


def test_scoring_when_every_deal_is_closed_gives_no_scores(postgres_database) -> None:
    assert_scoring_with_nothing_open_gives_no_scores(PostgresWarehouse(postgres_database))


def test_a_crm_without_closes_reads_only_its_open_deals(postgres_database) -> None:
    assert_a_crm_without_closes_reads_its_open_deals(PostgresWarehouse(postgres_database))


def test_a_frame_passed_with_the_query_is_a_table_of_it(postgres_database) -> None:
    warehouse = PostgresWarehouse(postgres_database)
    write_crm(warehouse)
    assert_frames_passed_with_a_query_are_its_tables(warehouse)


def test_text_read_sharing_one_string_per_value_is_the_same_frame(postgres_database) -> None:
    warehouse = PostgresWarehouse(postgres_database)
    write_crm(warehouse)
    assert_shared_text_reads_the_same_frame(warehouse)


def test_the_pipeline_is_scored_at_the_start_of_the_day_after_the_latest_crm_change(postgres_database) -> None:
    assert_the_scoring_moment_is_the_start_of_the_day_after_the_latest_change(PostgresWarehouse(postgres_database))
