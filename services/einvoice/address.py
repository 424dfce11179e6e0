"""Addresses as e-invoices want them (street, postal code, city, country) from the free-text address the import
gives ("Storgata 1\n0155 Oslo\nNorway"): a line that starts with a postal code gives the code and the city, a last
line naming a country is the country, the lines before are the street."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# 0155 Oslo (NO, 4 digits) · 00-590 Warszawa (PL) · 114 55 Stockholm (SE) · 10115 Berlin (5 digits) · DK-2100 …
POSTAL = re.compile(r"^(?:[A-Z]{2}-)?(\d{2}-\d{3}|\d{3} ?\d{2}|\d{4,5})\s+(.+)$")
COUNTRY_NAMES = {
    "norway": "NO", "norge": "NO", "noreg": "NO", "poland": "PL", "polska": "PL", "sweden": "SE", "sverige": "SE",
    "denmark": "DK", "danmark": "DK", "finland": "FI", "suomi": "FI", "germany": "DE", "deutschland": "DE",
}


@dataclass
class Address:
    street: str | None = None
    additional: str | None = None
    more: list = field(default_factory=list)  # further lines, if any
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None

    @property
    def lines(self) -> list[str]:
        """Street lines, then "postal code city": what a two-line address field (KSeF AdresL1/L2) needs."""
        street = ", ".join(part for part in (self.street, self.additional, *self.more) if part)
        place = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (street, place) if line]


def parse_address(text: str | None, default_country: str | None = None) -> Address:
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    address = Address(country=default_country)
    if lines and (lines[-1].lower() in COUNTRY_NAMES or re.fullmatch(r"[A-Z]{2}", lines[-1])):
        last = lines.pop()
        address.country = COUNTRY_NAMES.get(last.lower(), last)
    for index in range(len(lines) - 1, -1, -1):
        match = POSTAL.match(lines[index])
        if match:
            address.postal_code, address.city = match.group(1), match.group(2)
            del lines[index]
            break
    if lines:
        address.street = lines[0]
    if len(lines) > 1:
        address.additional = lines[1]
    address.more = lines[2:]
    return address
