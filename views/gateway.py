"""The built-in test gateway's own payment page: it takes the card number, the portal never does.

It stands in for a provider's hosted payment page, so it has its own look, needs no sign-in
(the payment session in its URL is signed) and sends the browser back with a signed result.
"""
from flask import Blueprint, abort, make_response, redirect, render_template
from flask import request
from flask_babel import gettext as _

from services.gateway import DECLINED, APPROVED, GatewayUnavailable, TestGateway, get_gateway
from models.checkout import PAID
from models.checkout import status_of as checkout_status
from models.money import AmountError, parse_decimal

bp = Blueprint("gateway", __name__)


def _test_gateway() -> TestGateway:
    try:
        gateway = get_gateway()
    except GatewayUnavailable:
        abort(404)
    if not isinstance(gateway, TestGateway):
        abort(404)
    return gateway


def _card_digits(text: str) -> str:
    return "".join(ch for ch in (text or "")[:40] if ch not in " -")


@bp.route("/gateway/test/<token>", methods=["GET", "POST"])
def pay(token):
    gateway = _test_gateway()
    session = gateway.session(token)
    if session is None:
        abort(404)
    try:
        amount = parse_decimal(session["amount"], decimal_comma=False)
    except (AmountError, KeyError):
        abort(404)
    if checkout_status(session.get("reference", "")) == PAID:
        # Back from the receipt, or a second window: this payment is done; never show the card form again.
        return _no_store(render_template("gateway/done.html", session=session, amount=amount,
                                         back=gateway.result_url(session, APPROVED)))
    error = None
    if request.method == "POST":
        # The card number is read here and nowhere else; it is neither stored nor logged nor passed on.
        card = _card_digits(request.form.get("card_number", ""))
        if card == gateway.APPROVE_CARD:
            return redirect(gateway.result_url(session, APPROVED), 303)
        if card == gateway.DECLINE_CARD:
            return redirect(gateway.result_url(session, DECLINED), 303)
        if not card:
            error = _("Enter the card number.")
        else:
            error = _("This test gateway takes only its test cards: 4242 4242 4242 4242 (approved) "
                      "or 4000 0000 0000 0002 (declined).")
    return _no_store(make_response(render_template("gateway/pay.html", session=session, amount=amount, error=error),
                                   422 if error else 200))


def _no_store(response):
    """The gateway's pages are never kept by the browser: Back after paying asks again and gets the truth."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response
