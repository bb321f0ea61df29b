"""Source specs: the shipped ones load, and a broken one is refused with its file and key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.ingest.specs import SpecError, load_spec, load_specs

MINIMAL = """
source: crm
object: things
description: test
file_pattern: "*.csv"
format: {type: csv}
primary_key: [thing_id]
updated_at: changed_at
columns:
  - {name: thing_id, source: Id, type: varchar, required: true}
  - {name: changed_at, source: Changed, type: timestamp}
"""


def write_spec(tmp_path: Path, text: str, source: str = "crm", name: str = "things") -> Path:
    path = tmp_path / source / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_shipped_specs_cover_the_demo_company() -> None:
    names = [spec.table_name for spec in load_specs()]
    assert names == [
        "crm__accounts", "crm__contacts", "crm__opportunities", "crm__opportunity_history", "crm__quotas",
        "crm__users", "erp__capacity", "erp__customers", "erp__deliveries", "erp__inventory", "erp__products",
        "erp__sales_order_lines", "erp__sales_orders", "feedback__reviews", "feedback__survey_responses",
        "feedback__tickets",
    ]


def test_minimal_spec_gets_defaults(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, MINIMAL))
    assert spec.table_name == "crm__things"
    assert spec.format.delimiter == "," and spec.format.encoding == "utf-8"
    assert [c.name for c in spec.required_columns] == ["thing_id"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("type: varchar, required", "type: text, required"), "columns[0] (thing_id): type 'text' is not supported"),
        (("primary_key: [thing_id]", "primary_key: [nope]"), "primary_key column 'nope' is not among the columns"),
        (("{name: thing_id,", '{name: "Thing; drop table x",'), "columns[0]: name must be lower_snake_case"),
        (("format: {type: csv}", "format: {type: xml}"), "format.type must be one of csv, jsonl, parquet"),
        (("format: {type: csv}", "format: {type: csv, delimiter: ';;'}"), "format.delimiter must be a single character"),
        (("updated_at: changed_at", "updated_at: nope"), "updated_at column 'nope' is not among the columns"),
    ],
)
def test_broken_spec_names_file_and_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write_spec(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(SpecError) as error:
        load_spec(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_spec_must_sit_where_its_names_say(tmp_path: Path) -> None:
    path = write_spec(tmp_path, MINIMAL, source="erp")
    with pytest.raises(SpecError, match=r"must match the file's place \(erp/things.yaml\)"):
        load_spec(path)
