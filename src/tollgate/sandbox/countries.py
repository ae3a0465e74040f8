"""The countries seeded customers come from: places (subdivision, city, postal codes, streets), names,
phone prefixes and tax numbers that pass each country's create rules (``customers.rules``, ``taxid``).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass

import stdnum.au.abn
import stdnum.au.tfn
import stdnum.br.cnpj
import stdnum.br.cpf
import stdnum.ca.bn
import stdnum.ca.sin
import stdnum.es.nif
import stdnum.fr.siren
import stdnum.gb.utr
import stdnum.in_.pan
import stdnum.us.ein
import stdnum.us.ssn

Name = tuple[str, str | None]  # (name, its Latin transliteration when the name is not ASCII)


@dataclass(frozen=True)
class Place:
    subdivision: str
    city: str
    postal_codes: tuple[str, ...]
    streets: tuple[str, ...]


@dataclass(frozen=True)
class CountrySpec:
    code: str
    # E.164 prefixes (country code and the first national digits) and the total digit count.
    phone_prefixes: tuple[str, ...]
    phone_digits: int
    places: tuple[Place, ...]
    first_names: tuple[Name, ...]
    last_names: tuple[Name, ...]
    person_tax: Callable[[random.Random], tuple[str, str]]
    company_tax: Callable[[random.Random], tuple[str, str]]
    domain: str


def digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def _until(rng: random.Random, make: Callable[[random.Random], str], valid: Callable[[str], bool]) -> str:
    for _ in range(10_000):
        value = make(rng)
        if valid(value):
            return value
    raise RuntimeError("no valid number found")  # pragma: no cover - the odds are astronomical


def _ssn(rng: random.Random) -> tuple[str, str]:
    def make(r: random.Random) -> str:
        return f"{r.randint(1, 899):03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

    return "SSN", _until(rng, make, stdnum.us.ssn.is_valid)


def _ein(rng: random.Random) -> tuple[str, str]:
    return "EIN", _until(rng, lambda r: f"{digits(r, 2)}-{digits(r, 7)}", stdnum.us.ein.is_valid)


def _sin(rng: random.Random) -> tuple[str, str]:
    def make(r: random.Random) -> str:
        raw = str(r.randint(1, 7)) + digits(r, 8)
        return f"{raw[:3]}-{raw[3:6]}-{raw[6:]}"

    return "SIN", _until(rng, make, stdnum.ca.sin.is_valid)


def _bn(rng: random.Random) -> tuple[str, str]:
    return "BN", _until(rng, lambda r: digits(r, 9), stdnum.ca.bn.is_valid)


def _cpf(rng: random.Random) -> tuple[str, str]:
    def make(r: random.Random) -> str:
        raw = digits(r, 9)
        for weight in (10, 11):  # the two check digits of a CPF
            total = sum(int(d) * (weight - i) for i, d in enumerate(raw))
            raw += str(total * 10 % 11 % 10)
        return f"{raw[:3]}.{raw[3:6]}.{raw[6:9]}-{raw[9:]}"

    return "CPF", _until(rng, make, stdnum.br.cpf.is_valid)


def _cnpj(rng: random.Random) -> tuple[str, str]:
    base = digits(rng, 8) + "0001"
    raw = base + stdnum.br.cnpj.calc_check_digits(base)
    return "CNPJ", f"{raw[:2]}.{raw[2:5]}.{raw[5:8]}/{raw[8:12]}-{raw[12:]}"


def _dni(rng: random.Random) -> tuple[str, str]:
    def draw(r: random.Random) -> str:
        number = r.randint(10_000_000, 99_999_999)
        return f"{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"  # the DNI's check letter

    return "NIF", _until(rng, draw, stdnum.es.nif.is_valid)


def _pan(kind: str) -> Callable[[random.Random], tuple[str, str]]:
    letters = string.ascii_uppercase

    def draw(rng: random.Random) -> str:
        three = "".join(rng.choice(letters) for _ in range(3))
        return three + kind + rng.choice(letters) + digits(rng, 4) + rng.choice(letters)

    def make(rng: random.Random) -> tuple[str, str]:
        # Drawn until valid: python-stdnum refuses some draws (a serial of 0000).
        return "PAN", _until(rng, draw, stdnum.in_.pan.is_valid)

    return make


def _tfn(rng: random.Random) -> tuple[str, str]:
    return "TFN", _until(rng, lambda r: digits(r, 9), stdnum.au.tfn.is_valid)


def _abn(rng: random.Random) -> tuple[str, str]:
    base = str(rng.randint(10_000_000, 99_999_999)) + digits(rng, 1)
    raw = stdnum.au.abn.calc_check_digits(base) + base
    return "ABN", f"{raw[:2]} {raw[2:5]} {raw[5:8]} {raw[8:]}"


def _utr(rng: random.Random) -> tuple[str, str]:
    return "UTR", _until(rng, lambda r: str(r.randint(1, 9)) + digits(r, 9), stdnum.gb.utr.is_valid)


def _siren(rng: random.Random) -> tuple[str, str]:
    return "SIREN", _until(rng, lambda r: str(r.randint(1, 9)) + digits(r, 8), stdnum.fr.siren.is_valid)


def _generic(document_type: str, length: int) -> Callable[[random.Random], tuple[str, str]]:
    def make(rng: random.Random) -> tuple[str, str]:
        return document_type, str(rng.randint(1, 9)) + digits(rng, length - 1)

    return make


def _names(*values: str) -> tuple[Name, ...]:
    """``"Jürgen/Juergen"`` is a name and its transliteration."""
    out: list[Name] = []
    for value in values:
        name, _, latin = value.partition("/")
        out.append((name, latin or None))
    return tuple(out)


COUNTRIES: tuple[CountrySpec, ...] = (
    CountrySpec(
        "USA",
        ("+1212", "+1312", "+1415", "+1512", "+1617", "+1206", "+1305", "+1303", "+1404", "+1702"),
        11,
        (
            Place(
                "US-CA", "San Francisco", ("94103", "94105", "94110"), ("Market Street", "Valencia Street")
            ),
            Place("US-NY", "New York", ("10001", "10013", "10016"), ("Broadway", "Hudson Street")),
            Place("US-TX", "Austin", ("78701", "78702", "78704"), ("Congress Avenue", "Lamar Boulevard")),
            Place("US-IL", "Chicago", ("60601", "60607", "60614"), ("Michigan Avenue", "Wabash Avenue")),
            Place("US-WA", "Seattle", ("98101", "98104", "98109"), ("Pike Street", "Pine Street")),
            Place("US-MA", "Boston", ("02108", "02110", "02116"), ("Boylston Street", "Newbury Street")),
        ),
        _names("John", "Jane", "Michael", "Emily", "David", "Sarah", "James", "Olivia", "Robert", "Ava"),
        _names("Doe", "Smith", "Johnson", "Brown", "Chen", "Garcia", "Miller", "Davis", "Wilson", "Lee"),
        _ssn,
        _ein,
        "example.com",
    ),
    CountrySpec(
        "GBR",
        ("+447",),
        12,
        (
            Place("GB-LND", "London", ("EC1A 1BB", "SW1A 2AA", "WC2N 5DU"), ("Baker Street", "Fleet Street")),
            Place("GB-MAN", "Manchester", ("M1 1AE", "M2 3WQ", "M4 1HQ"), ("Deansgate", "Oxford Road")),
            Place(
                "GB-EDH", "Edinburgh", ("EH1 1YZ", "EH2 2BY", "EH3 9AA"), ("Princes Street", "Rose Street")
            ),
        ),
        _names("Oliver", "Amelia", "George", "Isla", "Harry", "Poppy", "Jack", "Freya"),
        _names("Taylor", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes", "Clarke"),
        _utr,
        _utr,
        "example.co.uk",
    ),
    CountrySpec(
        "DEU",
        ("+49151", "+49160", "+49170", "+49176"),
        13,
        (
            Place("DE-BE", "Berlin", ("10115", "10117", "10178"), ("Friedrichstrasse", "Torstrasse")),
            Place("DE-BY", "Munich", ("80331", "80333", "80469"), ("Leopoldstrasse", "Sendlinger Strasse")),
            Place("DE-HH", "Hamburg", ("20095", "20097", "22767"), ("Moenckebergstrasse", "Jungfernstieg")),
        ),
        _names("Lukas", "Anna", "Jürgen/Juergen", "Lena", "Felix", "Marie", "Jonas", "Sophie"),
        _names("Müller/Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner", "Hoffmann"),
        _generic("TAX_ID", 11),
        _generic("TAX_ID", 10),
        "example.de",
    ),
    CountrySpec(
        "FRA",
        ("+336", "+337"),
        11,
        (
            Place("FR-75C", "Paris", ("75001", "75008", "75011"), ("Rue de Rivoli", "Rue Oberkampf")),
            Place(
                "FR-69", "Lyon", ("69001", "69002", "69003"), ("Rue de la Republique", "Quai Saint-Antoine")
            ),
            Place("FR-13", "Marseille", ("13001", "13006", "13008"), ("La Canebiere", "Rue Paradis")),
        ),
        _names("Louis", "Camille", "Hélène/Helene", "Hugo", "Chloé/Chloe", "Jules", "Léa/Lea", "Arthur"),
        _names("Martin", "Bernard", "Dubois", "Durand", "Lefèvre/Lefevre", "Moreau", "Laurent", "Girard"),
        _generic("TAX_ID", 13),
        _siren,
        "example.fr",
    ),
    CountrySpec(
        "ESP",
        ("+346",),
        11,
        (
            Place("ES-M", "Madrid", ("28001", "28004", "28013"), ("Calle Mayor", "Gran Via")),
            Place("ES-B", "Barcelona", ("08001", "08002", "08008"), ("Passeig de Gracia", "La Rambla")),
        ),
        _names("José/Jose", "Lucía/Lucia", "Pablo", "Sofía/Sofia", "Javier", "Carmen", "Diego", "Marta"),
        _names("García/Garcia", "López/Lopez", "Martínez/Martinez", "Sánchez/Sanchez", "Pérez/Perez", "Ruiz"),
        _dni,
        _generic("TAX_ID", 9),
        "example.es",
    ),
    CountrySpec(
        "BRA",
        ("+55119", "+55219"),
        13,
        (
            Place(
                "BR-SP",
                "Sao Paulo",
                ("01001-000", "01310-100", "04538-133"),
                ("Avenida Paulista", "Rua Augusta"),
            ),
            Place("BR-RJ", "Rio de Janeiro", ("20040-020", "22021-001", "22410-003"), ("Rua do Ouvidor",)),
        ),
        _names("João/Joao", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Gabriel", "Julia"),
        _names("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Ferreira"),
        _cpf,
        _cnpj,
        "example.com.br",
    ),
    CountrySpec(
        "CAN",
        ("+1416", "+1604", "+1514", "+1403"),
        11,
        (
            Place(
                "CA-ON", "Toronto", ("M5H 2N2", "M5V 3L9", "M4W 1A8"), ("King Street West", "Queen Street")
            ),
            Place(
                "CA-BC", "Vancouver", ("V6B 1A1", "V6C 3E8", "V5K 0A1"), ("Granville Street", "Main Street")
            ),
            Place("CA-QC", "Montreal", ("H2Y 1C6", "H3B 4W8", "H2X 1Y4"), ("Rue Sainte-Catherine",)),
        ),
        _names("Liam", "Emma", "Noah", "Charlotte", "William", "Amelia", "Ethan", "Chloe"),
        _names("Tremblay", "Roy", "Gagnon", "Cote", "Bouchard", "Campbell", "MacDonald", "Martin"),
        _sin,
        _bn,
        "example.ca",
    ),
    CountrySpec(
        "IND",
        ("+9198", "+9199", "+9197"),
        12,
        (
            Place("IN-MH", "Mumbai", ("400001", "400050", "400076"), ("Marine Drive", "Linking Road")),
            Place("IN-KA", "Bengaluru", ("560001", "560034", "560095"), ("MG Road", "Brigade Road")),
        ),
        _names("Aarav", "Priya", "Rohan", "Ananya", "Arjun", "Diya", "Vikram", "Isha"),
        _names("Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Mehta", "Rao"),
        _pan("P"),
        _pan("C"),
        "example.in",
    ),
    CountrySpec(
        "AUS",
        ("+614",),
        11,
        (
            Place("AU-NSW", "Sydney", ("2000", "2010", "2060"), ("George Street", "Pitt Street")),
            Place("AU-VIC", "Melbourne", ("3000", "3004", "3121"), ("Collins Street", "Flinders Lane")),
        ),
        _names("Jack", "Matilda", "Cooper", "Ruby", "Hunter", "Zoe", "Lachlan", "Sienna"),
        _names("Smith", "Jones", "Williams", "Kelly", "Nguyen", "Ryan", "Walsh", "Murphy"),
        _tfn,
        _abn,
        "example.com.au",
    ),
    CountrySpec(
        "SGP",
        ("+658", "+659"),
        10,
        (Place("SG-01", "Singapore", ("018956", "049315", "238801"), ("Orchard Road", "Robinson Road")),),
        _names("Wei", "Hui Min", "Jun Jie", "Li Ting", "Ravi", "Nur", "Marcus", "Shu Fen"),
        _names("Tan", "Lim", "Lee", "Ng", "Wong", "Goh", "Chua", "Koh"),
        _generic("TAX_ID", 9),
        _generic("TAX_ID", 10),
        "example.sg",
    ),
)
