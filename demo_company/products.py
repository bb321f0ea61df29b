"""The product catalogue: products per family with cost, list price, lead time and one price change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from demo_company.catalog import FAMILIES, PRODUCT_WORDS


@dataclass
class Product:
    product_id: str
    name: str
    family: int  # index into FAMILIES
    category: str
    unit_cost: float
    list_price: float
    lead_time_days: int
    created: date
    price_changed_on: date | None  # the day list_price became new_price
    new_price: float

    def price_on(self, days: np.ndarray) -> np.ndarray:
        if self.price_changed_on is None:
            return np.full(len(days), self.list_price)
        return np.where(days >= np.datetime64(self.price_changed_on, "D"), self.new_price, self.list_price)


def build_products(rng: np.random.Generator, start: date, end: date) -> list[Product]:
    products = []
    span = max((end - start).days, 1)
    for family_index, family in enumerate(FAMILIES):
        for i in range(family.products):
            low, high = family.price_range
            price = round(float(rng.uniform(low, high)), -1 if high > 500 else 0) - (0.01 if high > 500 else 0.05)
            changes = rng.random() < 0.25
            category = family.categories[i % len(family.categories)]
            products.append(
                Product(
                    product_id=f"{family.code}-{1001 + i}",
                    name=f"{PRODUCT_WORDS[(i * 5 + family_index) % len(PRODUCT_WORDS)]} {category} {100 * (i + 1)}",
                    family=family_index,
                    category=category,
                    unit_cost=round(price * float(rng.uniform(0.45, 0.65)), 2),
                    list_price=round(price, 2),
                    lead_time_days=family.lead_time_days + int(rng.integers(-3, 4)),
                    created=start - timedelta(days=int(rng.integers(100, 1500))),
                    price_changed_on=start + timedelta(days=int(rng.integers(30, span))) if changes and span > 60 else None,
                    new_price=round(price * float(rng.uniform(1.03, 1.1)), 2),
                )
            )
    return products
