"""SQL fragments ingestion builds from a spec: quoting, typed casts and per-column error messages.

Every name that comes from a spec or an export is quoted here, so no column or file name can
change the statement it is placed in. Values are parsed strictly: a number that would be
rounded, a date that does not exist or a value outside the spec's rules gives a reason, never a
silently different value.
"""

from __future__ import annotations

import re

from orchestration.ingest.specs import ColumnSpec, FormatSpec

LINEAGE_COLUMNS = (("_export_date", "date"), ("_source_file", "varchar"), ("_loaded_at", "timestamp"))
MAX_VALUES_IN_MESSAGE = 12


def quote_identifier(name: str) -> str:
    """A DuckDB identifier that stands for exactly ``name``."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A DuckDB string literal that stands for exactly ``value``."""
    return "'" + value.replace("'", "''") + "'"


def stage_column(column: ColumnSpec) -> str:
    """Name of the varchar column holding a spec column's raw text in the staging table."""
    return quote_identifier(f"raw__{column.name}")


def _list_literal(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(quote_literal(v) for v in values) + "]"


def _value(column: ColumnSpec, fmt: FormatSpec) -> str:
    """The raw text with the format's null markers turned into NULL, then empty text into the column's default."""
    raw = stage_column(column)
    if fmt.null_values:
        raw = f"(case when trim({raw}) in ({', '.join(quote_literal(v) for v in fmt.null_values)}) then null else {raw} end)"
    if column.default is not None:
        raw = f"(case when {raw} is null or trim({raw}) = '' then {quote_literal(column.default)} else {raw} end)"
    return raw


def _missing(column: ColumnSpec, fmt: FormatSpec) -> str:
    value = _value(column, fmt)
    if column.type == "boolean" and "" in (fmt.true_values or ()) + (fmt.false_values or ()):
        return "false"  # an empty flag is a value here (e.g. SAP's 'X' or '')
    return f"({value} is null or trim({value}) = '')"


def _number_text(column: ColumnSpec, fmt: FormatSpec) -> str:
    """Trimmed text of a number with the thousands separator removed (decimal separator unchanged)."""
    text = f"nullif(trim({_value(column, fmt)}), '')"
    if fmt.thousands_separator:
        text = f"replace({text}, {quote_literal(fmt.thousands_separator)}, '')"
    return text


def _number_pattern(column: ColumnSpec, fmt: FormatSpec) -> str:
    """Regular expression the number text must match fully for the column's type."""
    point = re.escape(fmt.decimal_separator)
    if column.type in ("integer", "bigint"):
        return rf"[+-]?[0-9]+({point}0*)?"
    if column.type.startswith("decimal"):
        return rf"[+-]?([0-9]+({point}[0-9]*)?|{point}[0-9]+)"
    return rf"[+-]?([0-9]+({point}[0-9]*)?|{point}[0-9]+)([eE][+-]?[0-9]+)?"


def _kept_decimal_pattern(column: ColumnSpec, fmt: FormatSpec) -> str:
    """The decimal form of :func:`_number_pattern` with at most the type's scale of decimal places
    before trailing zeros: what it matches is what the form matches less :func:`_too_many_decimals`."""
    point, scale = re.escape(fmt.decimal_separator), _decimal_scale(column)
    fraction_only = rf"{point}[0-9]{{1,{scale}}}0*" if scale else rf"{point}0+"
    return rf"[+-]?([0-9]+({point}[0-9]{{0,{scale}}}0*)?|{fraction_only})"


def _decimal_scale(column: ColumnSpec) -> int | None:
    match = re.match(r"decimal\((\d+),(\d+)\)", column.type)
    return int(match.group(2)) if match else None


def _formats_of(column: ColumnSpec, fmt: FormatSpec) -> tuple[str, ...]:
    if column.formats:
        return column.formats
    return fmt.date_formats if column.type == "date" else fmt.timestamp_formats


def typed_expression(column: ColumnSpec, fmt: FormatSpec) -> str:
    """Expression turning the raw text of ``column`` into its spec type, NULL when it does not parse."""
    kind = column.type
    value = _value(column, fmt)
    if kind == "varchar":
        return f"nullif({value}, '')"
    text = f"nullif(trim({value}), '')"
    if kind == "boolean":
        if fmt.true_values is not None:
            flag = f"coalesce(trim({value}), '')"
            return (
                f"(case when {flag} in ({', '.join(quote_literal(v) for v in fmt.true_values)}) then true "
                f"when {flag} in ({', '.join(quote_literal(v) for v in (fmt.false_values or ()))}) then false end)"
            )
        return f"try_cast({text} as boolean)"
    if kind in ("date", "timestamp"):
        # Formats with a UTC offset are parsed apart from those without: DuckDB's try_strptime with a
        # list of formats carries one row's offset over to the next row parsed without one.
        formats = _formats_of(column, fmt)
        zoned = tuple(f for f in formats if "%z" in f or "%Z" in f)
        plain = tuple(f for f in formats if f not in zoned)
        parts = []
        if plain:
            parts.append(f"cast(try_strptime({text}, {_list_literal(plain)}) as {kind})")
        if zoned:
            parts.append(f"cast(timezone('UTC', try_strptime({text}, {_list_literal(zoned)})) as {kind})")
        if zoned and formats[0] in zoned:
            parts.reverse()
        typed = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        if fmt.native_types:  # Parquet and Excel deliver typed values, written as ISO text when staged
            typed = f"coalesce({typed}, try_cast({text} as {kind}))"
        return typed
    # A decimal parses when its text has the number's form and no more significant decimal places
    # than the type keeps, one pattern for both (the error expression tells the two apart): at 10M
    # order lines the form's pattern, then extracting and trimming the decimals, took 2.5 s per 17.5M
    # amounts against 1.5 s.
    valid = _number_valid(column, fmt, _kept_decimal_pattern(column, fmt) if _decimal_scale(column) is not None else None)
    return f"(case when {valid} then try_cast({_number_normalized(column, fmt)} as {kind}) end)"


def _number_normalized(column: ColumnSpec, fmt: FormatSpec) -> str:
    number = _number_text(column, fmt)
    return number if fmt.decimal_separator == "." else f"replace({number}, {quote_literal(fmt.decimal_separator)}, '.')"


def _number_valid(column: ColumnSpec, fmt: FormatSpec, pattern: str | None = None) -> str:
    """True when the number text matches ``pattern`` (default: the form of :func:`_number_pattern`) fully."""
    return f"regexp_full_match({_number_text(column, fmt)}, {quote_literal(pattern or _number_pattern(column, fmt))})"


def _too_many_decimals(column: ColumnSpec, fmt: FormatSpec) -> str:
    """True when a decimal's text has more significant decimal places than the type keeps (it would be rounded)."""
    fraction = f"rtrim(regexp_extract({_number_normalized(column, fmt)}, '\\.([0-9]*)$', 1), '0')"
    return f"(length({fraction}) > {_decimal_scale(column)})"


def _where(column: ColumnSpec) -> str:
    return f'column "{column.name}" (export column "{column.source}")'


def _got(column: ColumnSpec, fmt: FormatSpec) -> str:
    return f"'''' || left({_value(column, fmt)}, 80) || ''''"


def error_expression(column: ColumnSpec, fmt: FormatSpec, with_rules: bool | None = None, typed: str | None = None) -> str:
    """Expression giving a readable reason when the column's value breaks the spec, else NULL.

    ``with_rules`` adds the range and allowed-values rules (default: when the column's
    ``on_rule_violation`` is ``reject``); ``typed`` names a column already holding the typed value.
    """
    typed = typed or f"({typed_expression(column, fmt)})"
    if with_rules is None:
        with_rules = column.on_rule_violation == "reject"
    where = _where(column)
    checks = []
    if column.type != "varchar":  # a parsed value is present and well-formed: only its rules are left to check
        rules = _rule_checks(column, fmt, typed) if with_rules else []
        checks.append(f"when {typed} is not null then " + (f"case {' '.join(rules)} end" if rules else "null"))
    if column.required:
        checks.append(f"when {_missing(column, fmt)} then {quote_literal(where + ': required value is empty')}")
    else:
        checks.append(f"when {_missing(column, fmt)} then null")
    if _decimal_scale(column) is not None:
        checks.append(
            f"when {_number_valid(column, fmt)} and {_too_many_decimals(column, fmt)} then "
            f"{quote_literal(where + f': expected at most {_decimal_scale(column)} decimal places ({column.type}), got ')} || {_got(column, fmt)}"
        )
    if column.type != "varchar":
        checks.append(
            f"when {typed} is null then "
            f"{quote_literal(where + ': expected ' + _expected(column, fmt) + ', got ')} || {_got(column, fmt)}"
        )
    if with_rules:
        checks += _rule_checks(column, fmt, typed)
    return "case " + " ".join(checks) + " end"


def rule_expression(column: ColumnSpec, fmt: FormatSpec, typed: str | None = None) -> str | None:
    """Expression giving the broken rule (range, allowed values) of a parsed value, else NULL; None without rules."""
    typed = typed or f"({typed_expression(column, fmt)})"
    checks = _rule_checks(column, fmt, typed)
    if not checks:
        return None
    return f"case when {_missing(column, fmt)} or {typed} is null then null " + " ".join(checks) + " end"


def _rule_checks(column: ColumnSpec, fmt: FormatSpec, typed: str) -> list[str]:
    where = _where(column)
    checks = []
    if column.value_range:
        low, high = column.value_range
        conditions = []
        if low is not None:
            conditions.append(f"{typed} < {_number_literal(low)}")
        if high is not None:
            conditions.append(f"{typed} > {_number_literal(high)}")
        expected = _range_words("a value", low, high)
        checks.append(
            f"when {' or '.join(conditions)} then {quote_literal(where + ': expected ' + expected + ', got ')} || {_got(column, fmt)}"
        )
    if column.date_range:
        low, high = column.date_range
        conditions = []
        if low is not None:
            conditions.append(f"{typed} < {column.type} {quote_literal(low)}")
        if high is not None:
            conditions.append(f"{typed} > {column.type} {quote_literal(high)}")
        expected = _range_words(f"a {column.type}", low, high)
        checks.append(
            f"when {' or '.join(conditions)} then {quote_literal(where + ': expected ' + expected + ', got ')} || {_got(column, fmt)}"
        )
    if column.allowed_values:
        values = column.allowed_values
        shown = ", ".join(values[:MAX_VALUES_IN_MESSAGE]) + (", ..." if len(values) > MAX_VALUES_IN_MESSAGE else "")
        compared = typed if column.type == "varchar" else f"{typed}::varchar"
        checks.append(
            f"when not list_contains({_list_literal(values)}, {compared}) then "
            f"{quote_literal(where + ': expected one of ' + shown + ', got ')} || {_got(column, fmt)}"
        )
    return checks


def _number_literal(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def _range_words(what: str, low: object, high: object) -> str:
    show = lambda v: _number_literal(v) if isinstance(v, (int, float)) else str(v)  # noqa: E731
    if low is not None and high is not None:
        return f"{what} from {show(low)} to {show(high)}"
    if low is not None:
        return f"{what} of at least {show(low)}"
    return f"{what} of at most {show(high)}"


def _expected(column: ColumnSpec, fmt: FormatSpec) -> str:
    if column.type in ("date", "timestamp"):
        formats = _formats_of(column, fmt)
        return f"a {column.type} in the format {' or '.join(formats)}"
    if column.type == "boolean":
        if fmt.true_values is not None:
            shown = lambda values: ", ".join(f"'{v}'" for v in values)  # noqa: E731
            return f"{shown(fmt.true_values)} (true) or {shown(fmt.false_values or ())} (false)"
        return "true or false"
    thousands = f" and '{fmt.thousands_separator}' between thousands" if fmt.thousands_separator else ""
    if column.type in ("integer", "bigint"):
        return f"a whole number{thousands}" if thousands else "a whole number"
    return f"a number with '{fmt.decimal_separator}' as decimal separator{thousands}"


def raw_table_ddl(schema: str, table: str, columns: tuple[ColumnSpec, ...]) -> str:
    """``create table if not exists`` for a raw table: the spec's typed columns plus lineage columns."""
    definitions = [f"{quote_identifier(c.name)} {c.type}" for c in columns]
    definitions += [f"{name} {kind}" for name, kind in LINEAGE_COLUMNS]
    return (
        f"create table if not exists {quote_identifier(schema)}.{quote_identifier(table)} (\n    "
        + ",\n    ".join(definitions)
        + "\n)"
    )
