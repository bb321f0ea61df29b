"""The demo company: a deterministic generator of one coherent company's CRM, ERP and feedback exports.

    from demo_company import DemoConfig, generate
    generate(home, DemoConfig(seed=42, scale=1.0))

writes ``home/landing/<source>/<object>/<YYYY-MM-DD>/<object>.csv|jsonl`` in the formats the
source specs in ``orchestration/source_specs`` describe, and ``home/demo_truth/`` with what the
exports do not say outright (which CRM account is which ERP customer). Used by the demo and the
tests, never by production code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from demo_company.config import DemoConfig
from demo_company.exports import Company, export_objects, write_exports
from demo_company.feedback import simulate_feedback
from demo_company.fulfilment import simulate_fulfilment
from demo_company.identities import account_customer_truth, crm_streets, duplicate_accounts
from demo_company.parties import build_customers, build_reps
from demo_company.products import build_products
from demo_company.sales import simulate_sales

__all__ = ["DemoConfig", "GeneratedCompany", "generate", "simulate"]

TRUTH_FOLDER = "demo_truth"
IDENTITY_STREAM = 1  # the random stream of identities.py, apart from the company's own
REDELIVERY_STREAM = 2  # the random stream choosing the records an export delivers twice


@dataclass(frozen=True)
class GeneratedCompany:
    """What :func:`generate` wrote: rows per raw table, the first simulated day, the first and last export day."""

    rows: dict[str, int]
    history_start: date
    start: date
    end: date

    @property
    def order_lines(self) -> int:
        return self.rows["erp__sales_order_lines"]


def simulate(config: DemoConfig) -> Company:
    """The whole company in memory, before it is written as exports."""
    start, end = config.window()
    rng = np.random.default_rng(config.seed)
    reps = build_reps(rng, config.scale, start)
    customers = build_customers(rng, config.scale, start, end, reps)
    products = build_products(rng, start, end)
    sales = simulate_sales(rng, config.scale, start, end, customers, reps, products)
    fulfilment = simulate_fulfilment(rng, sales.lines, products, start, end)
    feedback = simulate_feedback(rng, sales.orders, fulfilment.lines)
    identity_rng = np.random.default_rng((config.seed, IDENTITY_STREAM))
    streets = crm_streets(identity_rng, customers)
    duplicates = duplicate_accounts(identity_rng, customers, end)
    return Company(start, end, reps, customers, products, sales, fulfilment, feedback, streets, duplicates)


def generate(home: str | Path, config: DemoConfig | None = None) -> GeneratedCompany:
    """Write the demo company's exports below ``home/landing`` (replacing earlier demo exports)."""
    config = config or DemoConfig()
    home = Path(home)
    company = simulate(config)
    objects = export_objects(company, np.random.default_rng(config.seed + 1))
    first_export, last_export = config.export_window()
    redelivery = np.random.default_rng((config.seed, REDELIVERY_STREAM))
    rows = write_exports(objects, home / "landing", first_export, last_export, redelivery)
    _write_truth(company, home / TRUTH_FOLDER)
    return GeneratedCompany(rows, company.start, first_export, last_export)


def _write_truth(company: Company, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        account_customer_truth(company.customers, company.duplicate_accounts),
        columns=["account_id", "customer_id"],
    ).to_csv(folder / "account_customer_matches.csv", index=False)
