"""Deterministic fake people, companies, addresses and products.

Everything is drawn from a ``random.Random`` the caller seeds, so a corpus is reproducible
byte for byte. The SSNs use area numbers 900-999, which the SSA never issues, so no
generated number can belong to a real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley",
    "Andrew", "Kimberly", "Joshua", "Emily", "Kevin", "Donna", "Brian", "Michelle", "Wei", "Priya",
    "Ahmed", "Fatima", "Luis", "Olga", "Hiroshi", "Ngozi", "Mateo", "Ingrid", "Dmitri", "Aisha",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "O'Brien", "Kowalski", "Nakamura", "Okafor", "Schmidt", "Rossi", "Novak", "Haddad", "Kim", "Patel",
]
STREETS = [
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd", "Lakeview Rd",
    "Hillcrest Ave", "Park Pl", "Sunset Blvd", "River Rd", "Church St", "Highland Ave", "Meadow Ln",
    "Forest Dr", "Spring St", "Broadway", "Willow Way", "Chestnut St",
]
US_CITIES = [
    ("Springfield", "IL", "627"), ("Columbus", "OH", "432"), ("Austin", "TX", "787"), ("Denver", "CO", "802"),
    ("Portland", "OR", "972"), ("Madison", "WI", "537"), ("Raleigh", "NC", "276"), ("Albany", "NY", "122"),
    ("Phoenix", "AZ", "850"), ("Atlanta", "GA", "303"), ("Boise", "ID", "837"), ("Richmond", "VA", "232"),
    ("Sacramento", "CA", "958"), ("Trenton", "NJ", "086"), ("Harrisburg", "PA", "171"), ("Lansing", "MI", "489"),
]
# States without a state income tax print no state row.
NO_INCOME_TAX = {"TX", "WA", "FL", "NV", "SD", "WY", "AK", "TN", "NH"}
LOCALITIES = {"OH": ["COLUMBUS", "DAYTON"], "PA": ["HARRISBURG", "PHILA"], "NY": ["NYC", "YONKERS"],
              "MI": ["LANSING", "DETROIT"]}

EU_CITIES = [
    ("Berlin", "10115", "DE"), ("Hamburg", "20095", "DE"), ("München", "80331", "DE"), ("Köln", "50667", "DE"),
    ("Wien", "1010", "AT"), ("Zürich", "8001", "CH"), ("Lyon", "69001", "FR"), ("Milano", "20121", "IT"),
    ("Rotterdam", "3011", "NL"), ("Antwerpen", "2000", "BE"), ("Kraków", "30-001", "PL"), ("Porto", "4000-001", "PT"),
]
EU_STREETS = [
    "Hauptstraße", "Bahnhofstraße", "Industriestraße", "Rue de la Paix", "Via Roma", "Kerkstraat",
    "Gartenweg", "Marktplatz", "Lindenallee", "Avenida da Liberdade", "Schillerstraße", "Am Hafen",
]
COMPANY_WORDS = [
    "Nord", "Alpen", "Rhein", "Blue", "Delta", "Summit", "Atlas", "Vector", "Kessler", "Bauer",
    "Müller", "Orion", "Pioneer", "Keystone", "Granite", "Falcon", "Meridian", "Horizon", "Weber", "Lumen",
]
COMPANY_KINDS = [
    "Logistik", "Systems", "Technik", "Supplies", "Metallbau", "Components", "Industrial", "Office",
    "Packaging", "Electronics", "Chemicals", "Tools", "Services", "Print", "Energy",
]
COMPANY_FORMS = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SARL", "IT": "S.r.l.", "NL": "B.V.",
                 "BE": "BVBA", "PL": "Sp. z o.o.", "PT": "Lda.", "US": "Inc."}
PRODUCTS = [
    ("Steel bolts M8 (box of 100)", 12.5), ("Hydraulic hose 2m", 48.0), ("Pallet wrap film", 23.9),
    ("Safety gloves size L", 4.75), ("Laser printer toner", 89.0), ("Copy paper A4 (5 reams)", 21.5),
    ("Cable ties 300mm", 6.2), ("Ball bearing 6204", 7.85), ("Industrial cleaner 10L", 34.0),
    ("Consulting hours", 120.0), ("Forklift maintenance", 260.0), ("Corrugated boxes 40x30x30", 1.35),
    ("LED panel 60x60", 39.9), ("Copper wire 2.5mm (100m)", 74.0), ("Welding rods (5kg)", 28.4),
    ("Freight charge", 95.0), ("Aluminium profile 6m", 56.3), ("Software licence (annual)", 480.0),
    ("Hard hat EN397", 11.9), ("Thermal labels (roll)", 8.6), ("Pressure gauge 0-10 bar", 32.5),
    ("Extension cord 25m", 27.0), ("Drill bit set HSS", 44.9), ("Nitrile gloves (box)", 9.8),
]


@dataclass(frozen=True)
class Person:
    first: str
    middle: str
    last: str
    street: str
    city: str
    state: str
    zip: str

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first, self.middle, self.last) if part)

    @property
    def city_state_zip(self) -> str:
        return f"{self.city}, {self.state} {self.zip}"


def us_person(rng: random.Random) -> Person:
    city, state, zip3 = rng.choice(US_CITIES)
    middle = rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5 else ""
    return Person(
        first=rng.choice(FIRST_NAMES),
        middle=middle,
        last=rng.choice(LAST_NAMES),
        street=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
        city=city,
        state=state,
        zip=f"{zip3}{rng.randint(0, 99):02d}",
    )


def fake_ssn(rng: random.Random) -> str:
    return f"{rng.randint(900, 999)}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"


def fake_ein(rng: random.Random) -> str:
    return f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"


@dataclass(frozen=True)
class Company:
    name: str
    street: str
    city: str
    postcode: str
    country: str
    vat_id: str

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"


def eu_company(rng: random.Random) -> Company:
    city, postcode, country = rng.choice(EU_CITIES)
    name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {COMPANY_FORMS[country]}"
    return Company(
        name=name,
        street=f"{rng.choice(EU_STREETS)} {rng.randint(1, 180)}",
        city=city,
        postcode=postcode,
        country=country,
        vat_id=f"{country}{rng.randint(100000000, 999999999)}",
    )
