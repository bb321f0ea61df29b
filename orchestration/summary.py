"""A short, human-readable KPI summary of the last complete months, printed by `make run`."""

from __future__ import annotations

from pathlib import Path

from orchestration.warehouse import warehouse_connection

MONTHS = 3

_WINDOW = """
    select cast(date_trunc('month', max(export_date) + 1) as date) - to_months(?::integer),
           cast(date_trunc('month', max(export_date) + 1) as date)
    from raw._load_manifest where status = 'loaded'
"""
_SALES = """
    select month, sum(bookings_amount), sum(won_count)::double / nullif(sum(won_count + lost_count), 0),
           sum(bookings_amount) / nullif(sum(quota_amount), 0)
    from marts.kpi_sales_monthly where month >= ? and month < ? group by month
"""
_OPERATIONS = """
    select month, sum(lines_otif)::double / nullif(sum(lines_due), 0), sum(backlog_units), sum(shipped_units)
    from marts.kpi_operations_monthly where month >= ? and month < ? group by month
"""
_CUSTOMERS = """
    select month, sum(nps * nps_responses) / nullif(sum(nps_responses), 0),
           sum(csat * csat_responses) / nullif(sum(csat_responses), 0), sum(tickets_opened)
    from marts.kpi_customer_monthly where month >= ? and month < ? group by month
"""


def kpi_summary(warehouse: Path, months: int = MONTHS) -> str:
    """Company-wide bookings, win rate, quota attainment, OTIF, backlog, NPS and CSAT per recent month."""
    with warehouse_connection(warehouse, read_only=True) as conn:
        # Complete months: the `months` calendar months before the first one the exports do not yet cover
        # to its last day (the month of the day after the latest export day loaded).
        window = list(conn.execute(_WINDOW, [months]).fetchone())  # [first month, first month not complete)
        sales = {row[0]: row[1:] for row in conn.execute(_SALES, window).fetchall()}
        operations = {row[0]: row[1:] for row in conn.execute(_OPERATIONS, window).fetchall()}
        customers = {row[0]: row[1:] for row in conn.execute(_CUSTOMERS, window).fetchall()}
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


def _money(value) -> str:
    return "-" if value is None else f"{float(value):,.0f}"


def _pct(value) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def _num(value, digits: int = 0) -> str:
    return "-" if value is None else f"{float(value):,.{digits}f}"
