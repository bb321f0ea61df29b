"""Source specs: the shipped ones load, and a broken one is refused with its file and key named."""

from __future__ import annotations

import os
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


def test_specs_directory_comes_from_the_environment_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.ingest.specs import CATALOG_DIR

    write_spec(tmp_path, MINIMAL)
    monkeypatch.setenv("SALESOPS_SOURCE_SPECS", f"{tmp_path}{os.pathsep}{CATALOG_DIR}")
    names = [spec.table_name for spec in load_specs()]
    assert "crm__things" in names and "sap__sales_orders" in names and "crm__accounts" not in names
    monkeypatch.delenv("SALESOPS_SOURCE_SPECS")
    assert len(load_specs()) == 16


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("description: test", "descripton: test"), "unknown key(s) descripton"),
        (("{type: csv}", "{type: csv, true_values: [Yes], false_values: [No]}"), "format.true_values holds a YAML boolean; quote the texts"),
        (("{type: csv}", "{type: csv, encoding: klingon}"), "format.encoding 'klingon' is not a known encoding"),
        (('file_pattern: "*.csv"', 'file_pattern: "../*.csv"'), "file_pattern must name files inside the export-day folder"),
        (("type: timestamp}", "type: timestamp, range: [0, 10]}"), "range bounds of a timestamp column must be ISO dates"),
        (("type: varchar, required: true}", "type: varchar, required: true, range: [1, 2]}"), "range applies to number, date and timestamp columns"),
        (("type: varchar, required: true}", "type: varchar, required: 1}"), "required must be true or false"),
        (("type: varchar, required: true}", "type: varchar, required: true, nullable: true}"), "columns[0] (thing_id): unknown key(s) nullable"),
        (("type: varchar, required", "type: 'decimal(40,2)', required"), "decimal(p,s) needs 1 <= p <= 38"),
        (("columns:", "on_schema_drift: maybe\ncolumns:"), "on_schema_drift must be one of ignore, add, fail"),
        (("{name: changed_at, source: Changed,", "{name: changed_at, source: Id,"), "export column(s) mapped twice: Id"),
    ],
)
def test_more_broken_specs_name_file_and_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    assert change[0] in MINIMAL
    path = write_spec(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(SpecError) as error:
        load_spec(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_every_key_of_a_full_spec_is_read(tmp_path: Path) -> None:
    text = MINIMAL.replace("format: {type: csv}", (
        'format: {type: csv, delimiter: ";", decimal_separator: ",", thousands_separator: ".", encoding: cp1252, '
        'date_format: ["%d.%m.%Y", "%Y-%m-%d"], null_values: ["NULL"], true_values: ["X"], false_values: [""], max_line_size: 4096}'
    )).replace("columns:", "on_bad_row: reject_file\non_rule_violation: warn\non_key_conflict: keep\non_schema_drift: add\n"
                           "day_files: latest\nsettle_seconds: 30\ncolumns:")
    text += '  - {name: qty, source: Menge, aliases: [Qty], type: integer, range: [1, null], on_rule_violation: reject}\n'
    text += '  - {name: due, source: Due, type: date, format: "%Y%m%d", range: ["2000-01-01", null]}\n'
    spec = load_spec(write_spec(tmp_path, text))
    assert (spec.on_bad_row, spec.on_rule_violation, spec.on_key_conflict, spec.on_schema_drift, spec.day_files, spec.settle_seconds) == (
        "reject_file", "warn", "keep", "add", "latest", 30
    )
    assert spec.format.date_formats == ("%d.%m.%Y", "%Y-%m-%d") and spec.format.false_values == ("",)
    qty, due = spec.column("qty"), spec.column("due")
    assert (qty.export_names, qty.value_range, qty.on_rule_violation) == (("Menge", "Qty"), (1, None), "reject")
    assert (due.formats, due.date_range, due.on_rule_violation) == (("%Y%m%d",), ("2000-01-01", None), "warn")


def test_a_varchar_column_may_have_a_default(tmp_path: Path) -> None:
    text = MINIMAL + '  - {name: region, source: Region, type: varchar, default: "Unassigned"}\n'
    spec = load_spec(write_spec(tmp_path, text))
    assert spec.column("region").default == "Unassigned"
    assert spec.column("thing_id").default is None


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("{name: qty, source: Qty, type: integer, default: '0'}", "columns[2] (qty): default applies to varchar columns only, not integer"),
        ("{name: region, source: Region, type: varchar, required: true, default: x}", "a column with a default is never empty; drop required"),
        ("{name: region, source: Region, type: varchar, default: 3}", "default must be a non-empty text (quote it), got 3"),
        ("{name: region, source: Region, type: varchar, default: ' '}", "default must be a non-empty text"),
    ],
)
def test_a_default_is_refused_where_it_cannot_apply(tmp_path: Path, column: str, message: str) -> None:
    path = write_spec(tmp_path, MINIMAL + f"  - {column}\n")
    with pytest.raises(SpecError) as error:
        load_spec(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)
