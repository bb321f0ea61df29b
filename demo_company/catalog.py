"""The demo company's fixed shape: regions, territories, plants, product families and products.

A bicycle maker selling to dealers in three regions; bikes sell in spring and summer, e-bikes grow
fastest, accessories sell steadily in larger quantities.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    share: float  # of demand
    plant: str
    territories: tuple[str, ...]
    countries: tuple[tuple[str, tuple[str, ...]], ...]  # country and some of its cities
    seasonality: float  # amplitude of the yearly demand cycle


@dataclass(frozen=True)
class Family:
    name: str
    code: str
    categories: tuple[str, ...]
    price_range: tuple[float, float]
    share: float  # of order lines
    growth: float  # yearly demand growth
    seasonality: float  # amplitude of the yearly cycle
    quantity_range: tuple[int, int]  # units on one order line
    lead_time_days: int
    products: int


REGIONS = (
    Region("AMER", 0.45, "P100", ("AMER East", "AMER West"),
           (("US", ("New York", "Chicago", "Denver", "Portland", "Austin")), ("CA", ("Toronto", "Vancouver"))), 0.45),
    Region("EMEA", 0.35, "P200", ("EMEA North", "EMEA South"),
           (("DE", ("Berlin", "Munich", "Hamburg")), ("NL", ("Amsterdam", "Utrecht")), ("FR", ("Lyon", "Paris")),
            ("IT", ("Milan", "Turin")), ("GB", ("London", "Leeds"))), 0.5),
    Region("APAC", 0.20, "P300", ("APAC",),
           (("JP", ("Tokyo", "Osaka")), ("AU", ("Sydney", "Melbourne")), ("SG", ("Singapore",))), 0.2),
)

FAMILIES = (
    Family("Road", "RB", ("Race", "Endurance", "Gravel"), (900, 4200), 0.24, 0.04, 0.55, (1, 12), 21, 8),
    Family("Mountain", "MB", ("Hardtail", "Full Suspension", "Trail"), (700, 3800), 0.20, 0.02, 0.6, (1, 10), 28, 8),
    Family("City", "CB", ("Commuter", "Cargo", "Folding"), (400, 1500), 0.18, 0.03, 0.35, (1, 15), 14, 6),
    Family("E-Bike", "EB", ("E-City", "E-Mountain", "E-Cargo"), (1800, 5200), 0.14, 0.25, 0.4, (1, 8), 35, 7),
    Family("Accessories", "AC", ("Helmets", "Locks", "Lights", "Bags"), (15, 160), 0.24, 0.05, 0.15, (5, 60), 7, 10),
)

PRODUCT_WORDS = ("Aero", "Sprint", "Trail", "Summit", "Urban", "Metro", "Volt", "Glide", "Ridge", "Coast", "Nova", "Pulse")

OPPORTUNITY_STAGES = (
    ("Prospecting", 10, "Pipeline"),
    ("Qualification", 20, "Pipeline"),
    ("Needs Analysis", 40, "Pipeline"),
    ("Proposal", 60, "Best Case"),
    ("Negotiation", 80, "Commit"),
)
WON, LOST = ("Closed Won", 100, "Closed"), ("Closed Lost", 0, "Omitted")
