"""A short, human-readable KPI summary of the last complete months, printed by `make run`."""

from __future__ import annotations

from datetime import date, timedelta

from orchestration.warehouse import Warehouse

MONTHS = 3

# Plain SQL that DuckDB and PostgreSQL both run; {first} / {after} are date literals.
_LAST_EXPORT_DAY = "select max(export_date) as last_day from raw._load_manifest where status = 'loaded'"
_SALES = """
    select month, sum(bookings_amount) as bookings,
           cast(sum(won_count) as double precision) / nullif(sum(won_count + lost_count), 0) as win_rate,
           sum(bookings_amount) / nullif(sum(quota_amount), 0) as attainment
    from marts.kpi_sales_monthly where month >= {first} and month < {after} group by month
"""
_OPERATIONS = """
    select month, cast(sum(lines_otif) as double precision) / nullif(sum(lines_due), 0) as otif,
           sum(backlog_units) as backlog, sum(shipped_units) as shipped
    from marts.kpi_operations_monthly where month >= {first} and month < {after} group by month
"""
_CUSTOMERS = """
    select month, sum(nps * nps_responses) / nullif(sum(nps_responses), 0) as nps,
           sum(csat * csat_responses) / nullif(sum(csat_responses), 0) as csat, sum(tickets_opened) as tickets
    from marts.kpi_customer_monthly where month >= {first} and month < {after} group by month
"""


def summary_window(last_export_day: date, months: int = MONTHS) -> tuple[date, date]:
    """The ``months`` calendar months before the first one the exports do not yet cover to its last
    day (the month of the day after the latest export day loaded): [first month, first month not complete)."""
    after = (last_export_day + timedelta(days=1)).replace(day=1)
    index = after.year * 12 + after.month - 1 - months
    return date(index // 12, index % 12 + 1, 1), after


def kpi_summary(warehouse: Warehouse, months: int = MONTHS) -> str:
    """Company-wide bookings, win rate, quota attainment, OTIF, backlog, NPS and CSAT per recent month."""
    last_day = warehouse.read_frame(_LAST_EXPORT_DAY)["last_day"].iloc[0]
    first, after = summary_window(last_day.date() if hasattr(last_day, "date") else last_day, months)
    bounds = {"first": f"date '{first}'", "after": f"date '{after}'"}
    sales, operations, customers = (
        {row[0].date(): tuple(row[1:]) for row in warehouse.read_frame(sql.format(**bounds)).itertuples(index=False)}
        for sql in (_SALES, _OPERATIONS, _CUSTOMERS)
    )
    lines = [
        f"{'month':<10} {'bookings':>14} {'win rate':>9} {'quota att.':>10} {'OTIF':>7} {'backlog':>9} {'NPS':>6} {'CSAT':>6}"
    ]
    for month in sorted(set(sales) | set(operations) | set(customers)):  # every month of the window
        bookings, win_rate, attainment = sales.get(month, (None, None, None))
        otif, backlog, _shipped = operations.get(month, (None, None, None))
        nps, csat, _tickets = customers.get(month, (None, None, None))
        lines.append(
            f"{str(month)[:7]:<10} {_money(bookings):>14} {_pct(win_rate):>9} {_pct(attainment):>10} "
            f"{_pct(otif):>7} {_num(backlog):>9} {_num(nps, 1):>6} {_num(csat, 1):>6}"
        )
    return "KPI summary (last complete months, all reps, families and regions):\n" + "\n".join(lines)


def _missing(value) -> bool:
    return value is None or value != value  # NaN: a NULL read into a float column


def _money(value) -> str:
    return "-" if _missing(value) else f"{float(value):,.0f}"


def _pct(value) -> str:
    return "-" if _missing(value) else f"{float(value):.1%}"


def _num(value, digits: int = 0) -> str:
    return "-" if _missing(value) else f"{float(value):,.{digits}f}"
