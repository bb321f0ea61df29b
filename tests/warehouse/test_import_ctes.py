"""Every import CTE of a dbt model (``name as not materialized (select * from {{ ref(...) }})``, with or
without a ``where`` filter) is declared ``not materialized``.

DuckDB materializes a CTE that a query reads more than once: for an import CTE that is a full copy
of the table it names, spilled to disk beyond dbt's memory bound, before any filter or projection
is pushed into the scan. At 10M order lines that copy took 4-6 s of fct_pipeline_daily's 19 s and
3-4 s of int_order_lines__fulfilment's 15 s (docs/benchmarks.md, "Evening of 7 December"); a filtered
import read three times, 3 s of int_order_lines__backlog_movements' 10 s.
PostgreSQL (12 and later) reads the same keyword the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
# a CTE whose whole body is one `select * from {{ ref(...) }}` or `{{ source(...) }}`, filtered or not
IMPORT_CTE = re.compile(
    r"^(?P<name>\w+) as (?P<hint>(?:not )?materialized )?\(\s*select \* from \{\{\s*(?:ref|source)\([^)]*\)\s*\}\}"
    r"(?:\s*where [^()]*(?:\([^()]*\)[^()]*)*)?\s*\)",
    re.MULTILINE | re.IGNORECASE,
)


def import_ctes(sql: str) -> list[tuple[str, str]]:
    """(name, hint) of every import CTE of a model's SQL; hint is '' when the CTE has none."""
    return [(m["name"], (m["hint"] or "").strip().lower()) for m in IMPORT_CTE.finditer(sql)]


def test_import_ctes_are_found_with_their_hints():
    sql = (DBT_PROJECT / "models/marts/facts/fct_pipeline_daily.sql").read_text()
    assert import_ctes(sql) == [
        ("opportunities", "not materialized"),
        ("stage_history", "not materialized"),
        ("reps", "not materialized"),
    ]
    assert import_ctes("with\n\nsource as (\n    select * from {{ source('crm', 'users') }}\n),\n") == [("source", "")]
    filtered = "with\n\nlines as (\n    select * from {{ ref('fct_order_lines') }}\n    where order_date is not null\n),\n"
    assert import_ctes(filtered) == [("lines", "")]
    sql = (DBT_PROJECT / "models/intermediate/int_order_lines__backlog_movements.sql").read_text()
    assert import_ctes(sql) == [("order_lines", "not materialized"), ("shipments", "not materialized")]


def test_every_import_cte_of_every_model_is_not_materialized():
    models = sorted((DBT_PROJECT / "models").rglob("*.sql"))
    found = {path.relative_to(DBT_PROJECT).as_posix(): import_ctes(path.read_text()) for path in models}
    missing = [f"{path}: {name}" for path, ctes in found.items() for name, hint in ctes if hint != "not materialized"]
    assert missing == []
    assert sum(map(len, found.values())) >= len([p for p in found if p.startswith("models/staging/")])  # one per staging model at least
