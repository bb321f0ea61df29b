"""Personal data stays in raw and staging: the bi schema (and the marts) see pseudonyms and redacted text.

Feedback records carrying e-mail addresses, phone numbers and a name go through the real dbt models
(staging → fct_feedback → bi.feedback) into a temporary warehouse. The expected pseudonyms are
computed here with hashlib, the expected redacted texts written out by hand.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.specs import SPECS_DIR, load_specs
from orchestration.ingest.sql import raw_table_ddl
from tests.dbt_build import run_dbt

pytestmark = pytest.mark.security

SALT = "test salt with a 'quote"
EMAIL = "anna.berg@example.com"
PHONES = ("+44 20 7946 0958", "(555) 123-4567", "555-123-4567", "0049 30 1234567")
NAME = "Anna Berg"

SURVEYS = [
    # response_id, survey_type, customer_id, order_id, score, comment, respondent_email, submitted_at
    ("S1", "NPS", "C1", "SO-1", 9, f"Great bikes! Call me at {PHONES[0]} or mail {EMAIL.upper()}", f" {EMAIL.title()} ", datetime(2024, 3, 1, 9)),
    ("S2", "CSAT", "C2", None, 4, None, None, datetime(2024, 3, 1, 10)),
]
REVIEWS = [
    # review_id, product_id, customer_id, rating, title, body, created_at
    ("R1", "P1", "C1", 2, "Broken", f"Contact me: {PHONES[1]}. Paid 1,234.50 EUR on 01.03.2024 at 10:00:00", datetime(2024, 3, 1, 11)),
]
TICKETS = [
    # ticket_id, customer_id, order_id, requester_email, subject, description, ticket_type, priority, status, channel,
    # created_at, updated_at, solved_at
    ("100001", "C1", "SO-10023", EMAIL, "Where is my order?",
     f"Order SO-10023 was promised for 2024-03-01; {NAME} here, reach me on {PHONES[2]} or {PHONES[3]}, {EMAIL}",
     "incident", "high", "new", "email", datetime(2024, 3, 1, 12), datetime(2024, 3, 1, 12), None),
]
RAW = {"survey_responses": SURVEYS, "reviews": REVIEWS, "tickets": TICKETS}


def pseudonym(email: str) -> str:
    return hashlib.sha256(f"{SALT}|{email.strip().lower()}".encode()).hexdigest()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("pii_home")
    specs = {spec.object: spec for spec in load_specs(SPECS_DIR) if spec.source == "feedback"}
    with duckdb.connect(str(home / "warehouse.duckdb")) as conn:
        conn.execute("create schema raw")
        for obj, rows in RAW.items():
            spec = specs[obj]
            conn.execute(raw_table_ddl("raw", spec.table_name, spec.columns))
            names = ", ".join(c.name for c in spec.columns)
            marks = ", ".join("?" for _ in spec.columns)
            for row in rows:
                conn.execute(
                    f"insert into raw.{spec.table_name} ({names}, _export_date, _source_file, _loaded_at) values ({marks}, ?, ?, ?)",
                    [*row, date(2024, 3, 1), f"{obj}.csv", datetime(2024, 3, 2)],
                )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SALESOPS_PII_SALT", SALT)
        run_dbt(home, "run", "--select", "+bi_feedback")  # the models only: their data tests run in the e2e build
    return home / "warehouse.duckdb"


def test_bi_feedback_holds_pseudonyms_and_redacted_text(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute("select feedback_id, respondent_key, feedback_text from bi.feedback order by feedback_id").fetchall()
    assert rows == [
        ("csat:S2", None, None),
        ("nps:S1", pseudonym(EMAIL), "Great bikes! Call me at [phone] or mail [email]"),
        ("review:R1", None, "Broken: Contact me: [phone]. Paid 1,234.50 EUR on 01.03.2024 at 10:00:00"),
        ("ticket:100001", pseudonym(EMAIL),
         f"Where is my order?: Order SO-10023 was promised for 2024-03-01; {NAME} here, reach me on [phone] or [phone], [email]"),
    ]


def test_no_email_or_phone_outside_raw_and_staging_and_no_salt_in_view_definitions(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        relations = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema not in ('raw', 'staging') order by all"
        ).fetchall()
        assert {schema for schema, _, _ in relations} == {"marts", "bi"}
        leaks = []
        for schema, table, column in relations:
            values = [v for (v,) in conn.execute(f'select "{column}" from {schema}.{table} where "{column}" is not null').fetchall()]
            leaks += [(schema, table, column, v) for v in values for secret in (EMAIL, *PHONES) if secret.lower() in v.lower()]
        assert leaks == []
        staged = conn.execute("select respondent_email from staging.stg_feedback__survey_responses where response_id = 'S1'").fetchone()
        assert staged == (EMAIL,)  # the restricted schema keeps the address
        definitions = [sql for (sql,) in conn.execute("select sql from duckdb_views() where not internal").fetchall()]
        assert definitions and not any("test salt" in sql for sql in definitions)


def test_the_bi_contracts_name_no_personal_column() -> None:
    import yaml

    personal = {"email", "phone", "first_name", "last_name", "contact_name", "respondent_email", "requester_email", "comment", "description"}
    folder = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "bi"
    columns = {c["name"] for f in folder.glob("*.yml") for m in yaml.safe_load(f.read_text())["models"] for c in m["columns"]}
    assert "respondent_key" in columns and not columns & personal
