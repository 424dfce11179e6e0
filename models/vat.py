"""VAT per rate: what every total of an invoice, credit note or order shows under its lines.

The tax of a rate is the sum of its lines' taxes (each rounded half-up, SPEC: line tax = line amount × rate), so
the breakdown always adds up to the document's total to the cent.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .money import CENT, ZERO


@dataclass(frozen=True)
class VatRate:
    percent: Decimal  # e.g. Decimal("25.00")
    taxable: Decimal  # the lines' amounts before tax
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.taxable + self.tax


def breakdown(lines) -> list[VatRate]:
    """One VatRate per rate among `lines` (anything with `tax_percent`, `amount` and `tax`), highest rate first."""
    rates: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        percent = Decimal(line.tax_percent).quantize(CENT)
        taxable, tax = rates.get(percent, (ZERO, ZERO))
        rates[percent] = (taxable + line.amount, tax + line.tax)
    return [VatRate(percent, taxable, tax) for percent, (taxable, tax) in sorted(rates.items(), reverse=True)]


def totals(lines) -> tuple[Decimal, Decimal, Decimal]:
    """(amount before tax, tax, total) of `lines`."""
    subtotal = sum((line.amount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    return subtotal, tax, subtotal + tax
