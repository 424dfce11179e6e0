"""The seller — who issues every invoice — from the settings (CONTRACT: SELLER_NAME, SELLER_ADDRESS,
SELLER_ORG_NUMBER, SELLER_VAT_NUMBER, SELLER_BANK_ACCOUNT, SELLER_BIC, SELLER_COUNTRY; and for Polish invoices
SELLER_NIP and SELLER_BANK_ACCOUNT_PLN), checked once when the app starts: a bad identifier stops it with the
setting named, rather than printing it on every invoice.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from models.identifiers import (IdentifierError, clean_bic, clean_country, clean_iban, clean_org_number,
                                clean_vat_number, format_iban, norwegian_account)

# Demo values: valid check digits, no real company.
DEFAULTS = {
    "SELLER_NAME": "Settle Supply AS",
    "SELLER_ADDRESS": "Postboks 100 Sentrum\n0101 Oslo\nNorway",
    "SELLER_ORG_NUMBER": "998877660",
    "SELLER_VAT_NUMBER": "NO998877660MVA",
    "SELLER_BANK_ACCOUNT": "NO9386011117947",
    "SELLER_BIC": "DNBANOKK",
    "SELLER_COUNTRY": "NO",
    "SELLER_NIP": "7770000005",
    "SELLER_BANK_ACCOUNT_PLN": "PL61109010140000071219812874",
    "SELLER_EMAIL": "invoices@settle.localhost",
}


class SellerSettingError(ValueError):
    pass


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    country: str
    org_number: str
    vat_number: str | None
    iban: str
    bic: str | None
    nip: str | None  # the seller's Polish tax number, for KSeF (PLN) invoices
    iban_pln: str | None  # the account PLN invoices are paid into (else `iban`)
    email: str | None

    def account_for(self, currency: str) -> "BankAccount":
        iban = self.iban_pln if currency == "PLN" and self.iban_pln else self.iban
        return BankAccount(iban, format_iban(iban), self.bic if iban == self.iban else None,
                           norwegian_account(iban))


@dataclass(frozen=True)
class BankAccount:
    iban: str
    iban_display: str  # in groups of four
    bic: str | None
    domestic: str | None  # the Norwegian account number (4.2.5) when the IBAN is Norwegian


def _setting(config, name: str, check, *args, required=True):
    raw = config.get(name)
    if raw in (None, ""):
        if required:
            raise SellerSettingError(f"{name} is required")
        return None
    try:
        return check(raw, *args)
    except IdentifierError as error:
        raise SellerSettingError(f"{name}: {error}") from None


def seller_from(config) -> Seller:
    country = _setting(config, "SELLER_COUNTRY", clean_country)
    name = (config.get("SELLER_NAME") or "").strip()
    if not name:
        raise SellerSettingError("SELLER_NAME is required")
    return Seller(
        name=name,
        address=(config.get("SELLER_ADDRESS") or "").strip(),
        country=country,
        org_number=_setting(config, "SELLER_ORG_NUMBER", clean_org_number, country),
        vat_number=_setting(config, "SELLER_VAT_NUMBER", clean_vat_number, country, required=False),
        iban=_setting(config, "SELLER_BANK_ACCOUNT", clean_iban),
        bic=_setting(config, "SELLER_BIC", clean_bic, required=False),
        nip=_setting(config, "SELLER_NIP", clean_org_number, "PL", required=False),
        iban_pln=_setting(config, "SELLER_BANK_ACCOUNT_PLN", clean_iban, required=False),
        email=(config.get("SELLER_EMAIL") or "").strip() or None,
    )


def seller() -> Seller:
    """The seller of the running app (checked when the app was made)."""
    found = current_app.extensions.get("settle_seller")
    if found is None or found[0] != _key(current_app.config):
        found = (_key(current_app.config), seller_from(current_app.config))
        current_app.extensions["settle_seller"] = found
    return found[1]


def _key(config) -> tuple:
    return tuple(config.get(name) for name in DEFAULTS)
