"""Card payments go through a payment gateway; the portal never sees a card number.

The flow is the one every hosted-payment-page provider uses:

1. `create_payment(amount, currency, reference, return_url, cancel_url)` returns the URL of the
   provider's own payment page; the portal redirects the buyer there.
2. The buyer types the card on that page. The provider sends the browser back to `return_url`
   with the result in the query string, signed.
3. `verify_return(args)` checks the signature and returns a `GatewayResult`. Only a result with
   `signature_ok and approved` may be recorded as money received.
4. When the portal cannot record an approved payment (the balance was paid by someone else
   meanwhile), it calls `void(result)` so the buyer is not charged.

`get_gateway()` returns the gateway named by `app.config["PAYMENT_GATEWAY"]`. The built-in
`TestGateway` ("test") is on in development and tests; its payment page is views/gateway.py.

A real provider plugs in as a subclass registered under a name:

    class AcmePay(PaymentGateway):
        name = "acmepay"
        def create_payment(self, amount, currency, reference, return_url, cancel_url):
            session = acme.sessions.create(amount=str(amount), currency=currency, order_ref=reference,
                                           success_url=return_url, cancel_url=cancel_url)
            return session.url
        def verify_return(self, args):
            ...check args against the provider's signature (or fetch the session server-side)...
            return GatewayResult(approved=..., reference=..., amount=..., currency=..., ...)
        def void(self, result):
            acme.payments.cancel(result.gateway_reference)

    register_gateway("acmepay", AcmePay)   # then PAYMENT_GATEWAY=acmepay
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from models.money import AmountError, parse_decimal, round_money

APPROVED, DECLINED = "approved", "declined"


class GatewayUnavailable(RuntimeError):
    """No card gateway is configured (PAYMENT_GATEWAY is empty or unknown)."""


@dataclass(frozen=True)
class GatewayResult:
    """What the gateway says happened. Trust it only when `signature_ok`."""

    approved: bool
    reference: str  # the portal's reference given to create_payment
    amount: Decimal | None
    currency: str
    gateway_reference: str  # the gateway's own id for the payment (shown on the receipt)
    signature_ok: bool
    status: str = ""

    @property
    def ok(self) -> bool:
        return self.signature_ok and self.approved


INVALID = GatewayResult(False, "", None, "", "", False, "invalid")


class PaymentGateway:
    name = "base"

    def create_payment(self, amount: Decimal, currency: str, reference: str, return_url: str,
                       cancel_url: str) -> str:
        """Start a payment; returns the URL of the gateway's payment page."""
        raise NotImplementedError

    def verify_return(self, args) -> GatewayResult:
        """Check a result the gateway sent back (the return URL's query arguments)."""
        raise NotImplementedError

    def void(self, result: GatewayResult) -> None:
        """Release an approved payment the portal did not record, so the buyer is not charged."""


class TestGateway(PaymentGateway):
    """A stand-in for a provider's hosted payment page, for development and tests.

    The payment session travels signed in the page URL (like a provider's session id), and
    the result comes back with an HMAC-SHA256 signature over its fields. Test cards:
    4242 4242 4242 4242 is approved, 4000 0000 0000 0002 is declined.
    """

    name = "test"
    APPROVE_CARD = "4242424242424242"
    DECLINE_CARD = "4000000000000002"

    def __init__(self, secret: str):
        self._key = hmac.new(secret.encode(), b"settle-test-gateway", hashlib.sha256).digest()
        self._sessions = URLSafeSerializer(secret, salt="settle-test-gateway-session")

    # The portal's side -----------------------------------------------------------------
    def create_payment(self, amount, currency, reference, return_url, cancel_url) -> str:
        token = self._sessions.dumps({"amount": str(round_money(amount)), "currency": currency,
                                      "reference": reference, "return_url": return_url,
                                      "cancel_url": cancel_url})
        return url_for("gateway.pay", token=token)

    def verify_return(self, args) -> GatewayResult:
        fields = {key: args.get(key) or "" for key in ("reference", "status", "amount", "currency", "payment_id")}
        signature = args.get("signature") or ""
        if not all(fields.values()) or fields["status"] not in (APPROVED, DECLINED):
            return INVALID
        try:
            amount = round_money(parse_decimal(fields["amount"], decimal_comma=False))
        except AmountError:
            return INVALID
        # As bytes: compare_digest refuses str with non-ASCII characters (TypeError), and anyone can send those.
        ok = hmac.compare_digest(self._sign(fields).encode(), signature.encode())
        return GatewayResult(approved=fields["status"] == APPROVED, reference=fields["reference"], amount=amount,
                             currency=fields["currency"], gateway_reference=fields["payment_id"], signature_ok=ok,
                             status=fields["status"])

    def void(self, result: GatewayResult) -> None:
        """The test gateway only authorises on its page; nothing was captured, so nothing to release."""

    # The payment page's side (views/gateway.py) ------------------------------------------------
    def session(self, token: str) -> dict | None:
        try:
            data = self._sessions.loads(token)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def payment_id(self, reference: str) -> str:
        """One id per payment session, so paying the same session twice is the same payment."""
        digest = hmac.new(self._key, b"payment:" + reference.encode(), hashlib.sha256).hexdigest()
        return "TEST-" + digest[:16].upper()

    def result_url(self, session: dict, status: str) -> str:
        fields = {"reference": session["reference"], "status": status, "amount": session["amount"],
                  "currency": session["currency"], "payment_id": self.payment_id(session["reference"])}
        query = urlencode({**fields, "signature": self._sign(fields)})
        separator = "&" if "?" in session["return_url"] else "?"
        return session["return_url"] + separator + query

    def _sign(self, fields: dict) -> str:
        message = "|".join(str(fields[key]) for key in ("reference", "status", "amount", "currency", "payment_id"))
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()


GATEWAYS = {"test": lambda app: TestGateway(app.config.get("TEST_GATEWAY_SECRET") or app.config["SECRET_KEY"])}


def register_gateway(name: str, factory) -> None:
    """Make a gateway available as PAYMENT_GATEWAY=name. `factory(app)` returns a PaymentGateway."""
    GATEWAYS[name] = factory


def get_gateway() -> PaymentGateway:
    """The gateway named by PAYMENT_GATEWAY; GatewayUnavailable when none is configured."""
    name = (current_app.config.get("PAYMENT_GATEWAY") or "").strip().lower()
    factory = GATEWAYS.get(name)
    if factory is None:
        raise GatewayUnavailable(name)
    extension = current_app.extensions.setdefault("settle_gateways", {})
    if name not in extension:
        extension[name] = factory(current_app)
    return extension[name]


def card_payments_available() -> bool:
    return (current_app.config.get("PAYMENT_GATEWAY") or "").strip().lower() in GATEWAYS
