"""Word lists the generator draws company and person names from."""

from __future__ import annotations

COMPANY_WORDS_A = (
    "Summit", "Velo", "Pedal", "Chain", "Spoke", "Gear", "Alpine", "Harbor", "River", "Urban", "Metro", "Coastal",
    "Peak", "Canyon", "Valley", "Prairie", "Northern", "Southern", "Eastside", "Westend", "Golden", "Silver", "Iron",
    "Granite", "Cedar", "Maple", "Pine", "Oak", "Falcon", "Eagle", "Swift", "Rapid", "Trail", "Ridge", "Sunset",
)
COMPANY_WORDS_B = (
    "Cycles", "Bikes", "Bike Shop", "Cycle Works", "Wheels", "Outdoor", "Sports", "Riders", "Mobility",
    "Bicycle Co", "Velo Store", "Cycle Center", "Ride Supply", "Bike Depot",
)
LEGAL_FORMS = {
    "US": ("Inc.", "LLC", "Corp."),
    "CA": ("Ltd.", "Inc."),
    "DE": ("GmbH", "AG"),
    "NL": ("B.V.",),
    "FR": ("SARL", "SA"),
    "IT": ("S.r.l.", "S.p.A."),
    "GB": ("Ltd", "PLC"),
    "JP": ("K.K.",),
    "AU": ("Pty Ltd",),
    "SG": ("Pte Ltd",),
}
FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Maya",
    "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Wes", "Yara", "Zoe", "Hiro", "Mei",
)
LAST_NAMES = (
    "Schmidt", "Miller", "Rossi", "Dubois", "Jansen", "Tanaka", "Smith", "Garcia", "Novak", "Khan", "Brown", "Weber",
    "Moreau", "Ricci", "de Vries", "Sato", "Taylor", "Lopez", "Fischer", "Clark", "Lee", "Walker", "Young", "Hall",
)
STREETS = ("Main St", "Market St", "High Street", "Bahnhofstrasse", "Via Roma", "Rue de la Paix", "Harbour Rd", "Park Ave")
INDUSTRIES = ("Retail", "Wholesale", "Sporting Goods", "Rental", "Corporate Fleet")
TITLES = ("Owner", "Purchasing Manager", "Store Manager", "Buyer", "Operations Lead", "Finance Manager")
