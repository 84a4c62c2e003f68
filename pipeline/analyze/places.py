"""Place names, demonyms and metonyms to jurisdiction codes (ISO 3166-1 alpha-2, ``EU``, ISO 3166-2).

pycountry supplies the country and US-state names; ``data/places.yaml`` adds the everyday names it
lacks ("Britain", "South Korea"), demonyms ("Chinese") and capitals used for their governments
("Beijing said").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry
import yaml

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_PLACES = DATA_DIR / "places.yaml"

_EXTRA_NAMES = {"EU": "European Union", "XK": "Kosovo"}
_SHORT_NAMES = {
    "GB": "United Kingdom",
    "US": "United States",
    "RU": "Russia",
    "KR": "South Korea",
    "KP": "North Korea",
    "IR": "Iran",
    "SY": "Syria",
    "VN": "Vietnam",
    "TW": "Taiwan",
    "LA": "Laos",
    "BO": "Bolivia",
    "VE": "Venezuela",
    "TZ": "Tanzania",
    "MD": "Moldova",
    "CZ": "Czechia",
    "PS": "Palestine",
    "CD": "DR Congo",
    "BN": "Brunei",
    "FM": "Micronesia",
    "VA": "Vatican City",
    "HK": "Hong Kong",
    "MO": "Macau",
    "TR": "Türkiye",
}
_STRIP = re.compile(r"^(the|mainland|state of)\s+|['\u2019]s$|\s+(government|state)$", re.IGNORECASE)


# Federations whose states or provinces make their own laws: their subdivisions get ISO 3166-2 codes.
FEDERAL_STATES = frozenset({"US", "CA", "AU", "IN", "DE", "BR", "MX", "AT", "CH", "IT", "ES", "BE", "MY", "NG", "AR"})


@dataclass(frozen=True)
class Place:
    code: str
    how: str  # name, demonym, metonym, city; state (a subdivision with its own code) or region (its country's)


class PlaceResolver:
    """Resolves a surface form to a jurisdiction code, or None."""

    def __init__(self, path: Path = DEFAULT_PLACES) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        self.subnational_aliases = {str(k).lower(): str(v) for k, v in (data.get("subnational") or {}).items()}
        self.table: dict[str, Place] = {}
        for country in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                value = getattr(country, attr, None)
                if value:
                    self.table[value.lower()] = Place(country.alpha_2, "name")
        self.state_codes: dict[str, str] = {}
        for sub in pycountry.subdivisions.get(country_code="US") or ():
            if sub.type == "State" or sub.code == "US-DC":
                self.state_codes[sub.name.lower()] = sub.code
        exceptions = {str(n).lower() for n in data.get("state_name_exceptions") or ()}
        for name, code in self.state_codes.items():
            if name not in exceptions:
                self.table[name] = Place(code, "state")
        self._add_subdivisions(exceptions)
        self.given_names = {str(n).lower() for n in data.get("also_given_names") or ()}
        for section, how in (("aliases", "name"), ("demonyms", "demonym"), ("metonyms", "metonym")):
            for name, code in (data.get(section) or {}).items():
                self.table[str(name).lower()] = Place(str(code), how)
        for name, code in (data.get("cities") or {}).items():
            self.table.setdefault(str(name).lower(), Place(str(code), "city"))

    def _add_subdivisions(self, exceptions: set[str]) -> None:
        """Provinces, states and regions of every country, by their ISO 3166-2 names.

        In federations whose states govern (``FEDERAL_STATES``) a top-level subdivision keeps its own code,
        like a US state: it counts as itself only where its government acts. Elsewhere it counts as its
        country ("Cornwall" -> GB). A name shared by two countries, or already a country's, is left out.
        """
        seen: dict[str, set[str]] = {}
        for sub in pycountry.subdivisions:
            name = sub.name.lower()
            if name in self.table or name in exceptions or len(name) < 4:
                continue
            seen.setdefault(name, set()).add(sub.code)
        for name, codes in seen.items():
            countries = {country_of(c) for c in codes}
            if len(countries) != 1:
                continue
            country = countries.pop()
            top = [c for c in codes if pycountry.subdivisions.get(code=c).parent_code is None]
            if country in FEDERAL_STATES and len(top) == 1:
                self.table[name] = Place(top[0], "state")
            else:
                self.table[name] = Place(country, "region")
        for name, code in self.subnational_aliases.items():
            self.table[name] = Place(code, "state" if country_of(code) in FEDERAL_STATES else "region")

    def resolve(self, text: str) -> Place | None:
        key = " ".join(text.replace("\u2019", "'").split()).lower()
        place = self.table.get(key)
        if place is None:
            stripped = _STRIP.sub("", key).strip()
            while stripped != key:
                key, stripped = stripped, _STRIP.sub("", stripped).strip()
            place = self.table.get(key)
        if place is None and key.endswith("ans") and (single := self.table.get(key[:-1])) and single.how == "demonym":
            place = single  # a people in the plural: "Belizeans" (plurals like "Gabonese" are the singular)
        return place

    def also_given_name(self, text: str) -> bool:
        """ "Jordan", "Chad", "Georgia": country names that are people's names as often."""
        return " ".join(text.split()).lower() in self.given_names

    def state_code(self, name: str) -> str | None:
        return self.state_codes.get(name.lower())


@lru_cache(maxsize=1)
def default_resolver() -> PlaceResolver:
    return PlaceResolver()


def country_of(code: str) -> str:
    """``US-CA`` -> ``US``; other codes unchanged."""
    return code.split("-", 1)[0]


@lru_cache(maxsize=512)
def jurisdiction_name(code: str) -> str:
    """A readable name for a jurisdiction code."""
    if code in _SHORT_NAMES:
        return _SHORT_NAMES[code]
    if code in _EXTRA_NAMES:
        return _EXTRA_NAMES[code]
    if "-" in code:
        sub = pycountry.subdivisions.get(code=code)
        if sub is not None:
            return sub.name
        return code
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name
