"""How the CRM's record of a company drifts from the ERP's, beyond the name spelling.

Sales reps type billing addresses their own way (abbreviated, upper case, left empty), and a second
rep sometimes creates an account that already exists; the CRM administrator merges most such
duplicates later (Salesforce's merge deletes the losing record and points its ``MasterRecordId`` at
the survivor), a few are still open when the exports end. Entity resolution must see through all of
it; ``account_customer_truth`` says what the right answer is.

Draws come from their own random stream, so the rest of the company is the same with or without
this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from demo_company.parties import Customer, salesforce_id

DUPLICATE_ACCOUNT_SHARE = 0.04  # of the customers that have a CRM account
DUPLICATE_ID_OFFSET = 900_000  # account numbers of duplicates, far above the customers' own
STREET_VARIANTS = {  # a CRM spelling of each street suffix the generator uses, and back
    "St": "Street",
    "Street": "St.",
    "Rd": "Road",
    "Ave": "Avenue",
    "Strasse": "Str.",
}


@dataclass(frozen=True)
class DuplicateAccount:
    """A second CRM account for a company that already had one."""

    account_id: str
    master: Customer  # the company, whose ``account_id`` is the surviving account
    crm_name: str
    created: date
    merged_on: date | None  # the day the duplicate was merged into the master; None: still open


def crm_streets(rng: np.random.Generator, customers: list[Customer]) -> dict[int, str | None]:
    """The billing street as the CRM holds it, by customer index: the ERP's street, or a variant."""
    streets: dict[int, str | None] = {}
    for customer in customers:
        roll = rng.random()
        if roll < 0.08:
            streets[customer.index] = None
        elif roll < 0.18:
            streets[customer.index] = customer.street.upper()
        elif roll < 0.45:
            streets[customer.index] = respell_street(customer.street)
        else:
            streets[customer.index] = customer.street
    return streets


def respell_street(street: str) -> str:
    """``'12 Main St'`` → ``'12 Main Street'``, ``'4 Bahnhofstrasse'`` → ``'4 Bahnhofstr.'``."""
    for suffix, variant in STREET_VARIANTS.items():
        if street.endswith(suffix):
            return street[: -len(suffix)] + variant
    return street


def duplicate_accounts(rng: np.random.Generator, customers: list[Customer], end: date) -> list[DuplicateAccount]:
    """Duplicates of a share of the tracked customers: created after the master, merged 5–90 days later."""
    tracked = [c for c in customers if c.account_id is not None and c.customer_id is not None]
    chosen = rng.choice(len(tracked), size=round(len(tracked) * DUPLICATE_ACCOUNT_SHARE), replace=False)
    duplicates = []
    for number, position in enumerate(sorted(chosen.tolist()), start=1):
        master = tracked[position]
        first_possible = master.active_from
        span = max((end - first_possible).days, 1)
        created = first_possible + timedelta(days=int(rng.integers(1, span + 1)))
        merged_on = created + timedelta(days=int(rng.integers(5, 91)))
        duplicates.append(
            DuplicateAccount(
                account_id=salesforce_id("001", DUPLICATE_ID_OFFSET + number),
                master=master,
                crm_name=master.name.upper() if rng.random() < 0.5 else f"{master.name} ({master.city})",
                created=created,
                merged_on=None if merged_on > end else merged_on,
            )
        )
    return duplicates


def account_customer_truth(customers: list[Customer], duplicates: list[DuplicateAccount]) -> list[tuple[str, str]]:
    """Every (CRM account, ERP customer) pair that is the same company, duplicates included."""
    pairs = [(c.account_id, c.customer_id) for c in customers if c.account_id and c.customer_id]
    pairs += [(d.account_id, d.master.customer_id) for d in duplicates if d.master.customer_id]
    return pairs
