"""The people and companies of the demo company: reps, customers and their CRM accounts and contacts.

Every customer exists in the ERP; most also in the CRM, under a name that a person would match but
a string comparison would not (legal suffixes, case, typos), and the CRM also holds prospects that
never ordered. ``account_customer_truth`` records which account is which customer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from demo_company.catalog import REGIONS
from demo_company.names import (
    COMPANY_WORDS_A, COMPANY_WORDS_B, FIRST_NAMES, INDUSTRIES, LAST_NAMES, LEGAL_FORMS, STREETS, TITLES,
)

CRM_ONLY_SHARE = 0.12  # prospects known to sales only
ERP_ONLY_SHARE = 0.05  # customers sales never tracked (web shop, walk-in dealers)
YEARLY_CHURN = 0.07


@dataclass
class Rep:
    user_id: str
    name: str
    email: str
    title: str
    territory: str
    region: str
    manager_id: str | None
    created: date
    skill: float  # multiplies the win probability


@dataclass
class Customer:
    index: int
    customer_id: str | None  # ERP id; None for CRM-only prospects
    account_id: str | None  # CRM id; None for ERP-only customers
    name: str
    legal_form: str
    region: str
    territory: str
    country: str
    city: str
    street: str
    postal_code: str
    tax_id: str
    domain: str
    size: float  # relative order frequency
    active_from: date
    active_to: date | None  # last day the customer orders (churn)
    rep_id: str
    crm_name: str
    crm_website: str | None
    crm_tax_id: str | None
    industry: str


def salesforce_id(prefix: str, number: int) -> str:
    """A 15-character Salesforce-style record id."""
    return f"{prefix}Dm{number:010d}"


def build_reps(rng: np.random.Generator, scale: float, start: date) -> list[Rep]:
    """One manager per region and a few reps per territory."""
    per_territory = max(1, round(4 * math.sqrt(scale)))
    reps: list[Rep] = []
    number = 1
    for region in REGIONS:
        manager = _person(rng, "005", number, f"Sales Director {region.code}", region.territories[0], region.code, None, start)
        reps.append(manager)
        number += 1
        for territory in region.territories:
            for _ in range(per_territory):
                reps.append(_person(rng, "005", number, "Account Executive", territory, region.code, manager.user_id, start))
                number += 1
    return reps


def _person(rng, prefix, number, title, territory, region, manager_id, start) -> Rep:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first}.{last}{number}@velora.example".lower().replace(" ", "")
    created = start - timedelta(days=int(rng.integers(60, 1500)))
    skill = float(np.clip(rng.normal(1.0, 0.15), 0.6, 1.4))
    return Rep(salesforce_id(prefix, number), f"{first} {last}", email, title, territory, region, manager_id, created, skill)


def build_customers(rng: np.random.Generator, scale: float, start: date, end: date, reps: list[Rep]) -> list[Customer]:
    """Customers spread over regions by their share of demand, with join and churn dates."""
    count = max(24, round(300 * scale**0.75))
    crm_only = max(2, round(count * CRM_ONLY_SHARE))
    names = _company_names(rng, count + crm_only)
    span = (end - start).days
    reps_by_territory: dict[str, list[Rep]] = {}
    for rep in reps:
        if rep.manager_id is not None:
            reps_by_territory.setdefault(rep.territory, []).append(rep)
    shares = np.array([r.share for r in REGIONS])
    customers = []
    for index in range(count + crm_only):
        region = REGIONS[int(rng.choice(len(REGIONS), p=shares / shares.sum()))]
        territory = region.territories[index % len(region.territories)]
        country, cities = region.countries[int(rng.integers(len(region.countries)))]
        stem = names[index]
        legal = str(rng.choice(LEGAL_FORMS[country]))
        domain = stem.lower().replace(" ", "") + _tld(country)
        prospect = index >= count
        joined_before_start = rng.random() < 0.75
        active_from = (
            start - timedelta(days=int(rng.integers(30, 2000))) if joined_before_start else start + timedelta(days=int(rng.integers(0, max(span, 1))))
        )
        churn_after = rng.exponential(365 / YEARLY_CHURN)
        active_to = max(active_from, start) + timedelta(days=int(churn_after))
        territory_reps = reps_by_territory[territory]
        rep = territory_reps[index % len(territory_reps)]
        tax_id = f"{country}{rng.integers(10**8, 10**9)}"
        customers.append(
            Customer(
                index=index,
                customer_id=None if prospect else f"01{index + 1:08d}",
                account_id=None if index % round(1 / ERP_ONLY_SHARE) == 7 and not prospect else salesforce_id("001", index + 1),
                name=stem,
                legal_form=legal,
                region=region.code,
                territory=territory,
                country=country,
                city=str(rng.choice(cities)),
                street=f"{int(rng.integers(1, 400))} {rng.choice(STREETS)}",
                postal_code=f"{int(rng.integers(10000, 99999))}",
                tax_id=tax_id,
                domain=domain,
                size=float(rng.lognormal(0, 0.8)),
                active_from=active_from,
                active_to=None if active_to > end + timedelta(days=400) else active_to,
                rep_id=rep.user_id,
                crm_name=_crm_spelling(rng, stem, legal),
                crm_website=None if rng.random() < 0.1 else (f"https://www.{domain}" if rng.random() < 0.5 else f"www.{domain}/"),
                crm_tax_id=None if rng.random() < 0.15 else tax_id,
                industry=str(rng.choice(INDUSTRIES)),
            )
        )
    return customers


def _company_names(rng: np.random.Generator, count: int) -> list[str]:
    pairs = [(a, b) for a in COMPANY_WORDS_A for b in COMPANY_WORDS_B]
    order = rng.permutation(len(pairs))
    names = []
    for i in range(count):
        a, b = pairs[order[i % len(pairs)]]
        names.append(f"{a} {b}" if i < len(pairs) else f"{a} {b} {i // len(pairs) + 1}")
    return names


def _crm_spelling(rng: np.random.Generator, stem: str, legal: str) -> str:
    """How a sales rep typed the company's name: usually with the legal form, sometimes with a typo."""
    roll = rng.random()
    if roll < 0.05 and len(stem) > 4:  # a typo: two neighbouring letters swapped
        i = int(rng.integers(1, len(stem) - 2))
        stem = stem[:i] + stem[i + 1] + stem[i] + stem[i + 2 :]
    elif roll < 0.25:
        return stem
    return f"{stem} {legal}"


def _tld(country: str) -> str:
    return {"US": ".com", "GB": ".co.uk", "AU": ".com.au", "JP": ".jp", "SG": ".sg"}.get(country, f".{country.lower()}")


def contacts_for(rng: np.random.Generator, customer: Customer) -> list[dict[str, str]]:
    """One to three people at a CRM account."""
    people = []
    for _ in range(int(rng.integers(1, 4))):
        first, last = str(rng.choice(FIRST_NAMES)), str(rng.choice(LAST_NAMES))
        people.append(
            {
                "first": first,
                "last": last,
                "email": f"{first}.{last}@{customer.domain}".lower().replace(" ", ""),
                "phone": f"+{int(rng.integers(1, 99))} {int(rng.integers(100, 999))} {int(rng.integers(1000000, 9999999))}",
                "title": str(rng.choice(TITLES)),
            }
        )
    return people
