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


@dataclass(frozen=True)
class Place:
    code: str
    how: str  # "name", "demonym", "metonym", "state"


class PlaceResolver:
    """Resolves a surface form to a jurisdiction code, or None."""

    def __init__(self, path: Path = DEFAULT_PLACES) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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
        for section, how in (("aliases", "name"), ("demonyms", "demonym"), ("metonyms", "metonym")):
            for name, code in (data.get(section) or {}).items():
                self.table[str(name).lower()] = Place(str(code), how)

    def resolve(self, text: str) -> Place | None:
        key = " ".join(text.replace("\u2019", "'").split()).lower()
        place = self.table.get(key)
        if place is None:
            stripped = _STRIP.sub("", key).strip()
            while stripped != key:
                key, stripped = stripped, _STRIP.sub("", stripped).strip()
            place = self.table.get(key)
        return place

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
