"""SQL fragments ingestion builds from a spec: quoting, typed casts and per-column error messages.

Every name that comes from a spec or an export is quoted here, so no column or file name can
change the statement it is placed in.
"""

from __future__ import annotations

from orchestration.ingest.specs import ColumnSpec, FormatSpec

LINEAGE_COLUMNS = (("_export_date", "date"), ("_source_file", "varchar"), ("_loaded_at", "timestamp"))


def quote_identifier(name: str) -> str:
    """A DuckDB identifier that stands for exactly ``name``."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A DuckDB string literal that stands for exactly ``value``."""
    return "'" + value.replace("'", "''") + "'"


def stage_column(column: ColumnSpec) -> str:
    """Name of the varchar column holding a spec column's raw text in the staging table."""
    return quote_identifier(f"raw__{column.name}")


def typed_expression(column: ColumnSpec, fmt: FormatSpec) -> str:
    """Expression turning the raw text of ``column`` into its spec type, NULL when it does not parse."""
    text = f"nullif(trim({stage_column(column)}), '')"
    kind = column.type
    if kind == "varchar":
        return f"nullif({stage_column(column)}, '')"
    if kind == "date":
        return f"try_strptime({text}, {quote_literal(fmt.date_format)})::date"
    if kind == "timestamp":
        return f"try_strptime({text}, {quote_literal(fmt.timestamp_format)})::timestamp"
    if kind in ("double",) or kind.startswith("decimal"):
        number = text if fmt.decimal_separator == "." else f"replace({text}, {quote_literal(fmt.decimal_separator)}, '.')"
        return f"try_cast({number} as {kind})"
    return f"try_cast({text} as {kind})"


def error_expression(column: ColumnSpec, fmt: FormatSpec) -> str:
    """Expression giving a readable reason when the column's value breaks the spec, else NULL."""
    where = f'column "{column.name}" (export column "{column.source}")'
    raw = stage_column(column)
    missing = f"{raw} is null or trim({raw}) = ''"
    checks = []
    if column.required:
        checks.append(f"when {missing} then {quote_literal(where + ': required value is empty')}")
    else:
        checks.append(f"when {missing} then null")
    if column.type != "varchar":
        expected = _expected(column, fmt)
        checks.append(
            f"when ({typed_expression(column, fmt)}) is null then "
            f"{quote_literal(where + ': expected ' + expected + ', got ')} || '''' || left({raw}, 80) || ''''"
        )
    return "case " + " ".join(checks) + " end"


def _expected(column: ColumnSpec, fmt: FormatSpec) -> str:
    if column.type == "date":
        return f"a date in the format {fmt.date_format}"
    if column.type == "timestamp":
        return f"a timestamp in the format {fmt.timestamp_format}"
    if column.type == "boolean":
        return "true or false"
    if column.type in ("integer", "bigint"):
        return "a whole number"
    return f"a number with '{fmt.decimal_separator}' as decimal separator"


def raw_table_ddl(schema: str, table: str, columns: tuple[ColumnSpec, ...]) -> str:
    """``create table if not exists`` for a raw table: the spec's typed columns plus lineage columns."""
    definitions = [f"{quote_identifier(c.name)} {c.type}" for c in columns]
    definitions += [f"{name} {kind}" for name, kind in LINEAGE_COLUMNS]
    return (
        f"create table if not exists {quote_identifier(schema)}.{quote_identifier(table)} (\n    "
        + ",\n    ".join(definitions)
        + "\n)"
    )
