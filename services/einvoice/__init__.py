"""E-invoices: what an invoice or credit note downloads as (`Download e-invoice`).

PLN documents are KSeF FA(3) (ksef.py), every other currency EHF 3.0 / PEPPOL BIS Billing 3.0 UBL (ubl.py); both
are built with lxml from the same loaded document as the PDF (services/documents.py). `EInvoiceUnavailable` says
why a document cannot be one (say, a buyer without an organization number to address it to).
"""
from __future__ import annotations

from dataclasses import dataclass

from . import ksef, ubl
from .ubl import EInvoiceUnavailable

__all__ = ["EInvoice", "EInvoiceUnavailable", "build_einvoice"]


@dataclass(frozen=True)
class EInvoice:
    content: bytes
    filename: str
    format: str  # "ehf" or "ksef"


def build_einvoice(document) -> EInvoice:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in document.number)
    if document.currency == "PLN":
        return EInvoice(ksef.build(document), f"{safe}-ksef.xml", "ksef")
    return EInvoice(ubl.build(document), f"{safe}-ehf.xml", "ehf")
