"""Checkout: choose how to pay, go to the gateway's page, come back to a receipt.

Invoices are paid by card only; a product cart's checkout offers On account and Card and
posts to the orders area (`orders.place`).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from markupsafe import Markup
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import checkout as payments
from i18n.formatting import locale_name
from models import clock
from models.cart import INVOICES, PRODUCTS, Cart
from models.order import billing_for, quote
from models.roles import ORDER, PAY, may
from services.gateway import GatewayUnavailable, card_payments_available, get_gateway

from .permissions import requires
from .responses import found_or_404

bp = Blueprint("checkout", __name__)


def checkout_page(cart: Cart, error: str | None = None, status: int = 200, values: dict | None = None,
                  field_error: str | None = None):
    """The checkout page: for a product cart also who is billed, with their credit, the order's total with VAT per
    rate, and Your reference / Delivery address (`values` as typed, `field_error` naming the one refused)."""
    products = cart.kind == PRODUCTS
    response = make_response(render_template(
        "checkout/index.html", cart=cart, error=error, today=clock.today(), card_available=card_payments_available(),
        billing=billing_for(current_user.customer) if products else None,
        order_total=quote(cart) if products else None, values=values or {}, field_error=field_error), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def paid_elsewhere(receipt_reference: str):
    """Another window paid this cart: say so, with the way to its receipt, on the (now empty) cart page."""
    text = payments.CheckoutError("cart_paid_elsewhere").message
    flash(Markup('{} <a href="{}">{}</a>').format(
        text, url_for(".receipt", reference=receipt_reference),
        _("Receipt %(reference)s", reference=receipt_reference)), "info")
    return redirect(url_for("cart.index"), 303)


def no_store(response):
    """Pages of a payment in progress are never kept: Back shows what is true now, not the old form."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/checkout")
@login_required
def index():
    cart = Cart.for_user(current_user)
    if cart.kind is None:
        flash(_("Your cart is empty, so there is nothing to check out."), "info")
        return redirect(url_for("cart.index"), 303)
    if not may(current_user, PAY if cart.kind == INVOICES else ORDER):
        abort(403)  # what the user's roles no longer allow (the cart kept it from before)
    if cart.kind == INVOICES:
        problems = cart.problems(clock.today())
        if problems:
            for problem in problems.values():
                flash(problem.message, "error")
            return redirect(url_for("cart.index"), 303)
    return checkout_page(cart)


@bp.post("/checkout")
@login_required
@requires(PAY)
def pay():
    """Pay now: freeze the cart into a checkout and send the buyer to the gateway's page."""
    cart = Cart.for_user(current_user)
    method = (request.form.get("payment_method") or "").strip()
    shown = request.form.get("cart_version", "")
    if shown.isdigit() and len(shown) < 10 and int(shown) != cart.version:
        other = payments.paid_since(cart.id, int(shown), current_user)
        if other is not None:  # a second window's Pay now, after the first one paid
            return paid_elsewhere(other.gateway_reference)
    try:
        payments.check_method(method)
        gateway = get_gateway()
        checkout = payments.start(current_user, cart, method, clock.today())
    except payments.CheckoutError as error:
        if error.code == "no_invoices":
            flash(error.message, "error")
            return redirect(url_for("cart.index"), 303)
        return checkout_page(cart, error.message, 422)
    except GatewayUnavailable:
        return checkout_page(cart, _("Card payments are not available right now. Nothing was charged; please try "
                             "again later."), 503)
    if checkout.total == 0:  # the credit notes pay it all: nothing to charge, no gateway
        outcome = payments.complete_without_charge(current_user, checkout, clock.today())
        if outcome.paid:
            return redirect(url_for(".receipt", reference=outcome.checkout.gateway_reference), 303)
        flash(outcome.error.message if outcome.error else _("This payment could not be recorded."), "error")
        return redirect(url_for("cart.index"), 303)
    location = gateway.create_payment(
        checkout.total, checkout.currency, checkout.reference,
        return_url=url_for(".gateway_return", reference=checkout.reference, _external=True),
        cancel_url=url_for(".cancelled", reference=checkout.reference, _external=True))
    return redirect(location, 303)


@bp.route("/checkout/<reference>/return")
@login_required
def gateway_return(reference):
    """Where the gateway sends the buyer back. Safe to load any number of times."""
    try:
        gateway = get_gateway()
    except GatewayUnavailable:
        abort(404)
    result = gateway.verify_return(request.args)
    try:
        outcome = payments.complete(current_user, reference, result, gateway=gateway.name, on=clock.today(),
                                    locale=locale_name())
    except payments.CheckoutError as error:
        flash(error.message, "error")
        return redirect(url_for("cart.index"), 303)
    except payments.Checkout.DoesNotExist:
        abort(404)
    if outcome.paid:
        return redirect(url_for(".receipt", reference=outcome.checkout.gateway_reference), 303)
    if outcome.status == payments.DECLINED:
        flash(_("The card was declined, so nothing was paid. Your cart is as it was; try another card."), "error")
        return redirect(url_for(".index"), 303)
    # Refused: the balance changed or the cart changed; the gateway releases the payment.
    if result.ok and not outcome.replay:
        gateway.void(result)
    if outcome.error is not None and outcome.error.code == "cart_paid_elsewhere":
        return paid_elsewhere(outcome.error.params["receipt"])
    if outcome.replay and outcome.checkout.reason == "cart_paid_elsewhere":
        other = payments.paid_since(outcome.checkout.cart_id, outcome.checkout.cart_version, current_user)
        if other is not None:
            return paid_elsewhere(other.gateway_reference)
    flash(outcome.error.message if outcome.error else
          _("This payment could not be recorded, and you were not charged. Check the cart and pay again."), "error")
    return redirect(url_for("cart.index"), 303)


@bp.route("/checkout/<reference>/cancel")
@login_required
def cancelled(reference):
    """The buyer left the gateway's page: nothing is recorded, the cart stays as it was."""
    found_or_404(payments.cancel, current_user, reference)
    flash(_("The payment was cancelled, so nothing was paid. Your cart is as it was."), "info")
    return redirect(url_for(".index"), 303)


@bp.route("/receipts/<reference>")
@login_required
def receipt(reference):
    """Payment received: the invoices paid (those the viewer may see) and the amounts."""
    found = found_or_404(payments.receipt_for, current_user, reference)
    return no_store(make_response(render_template("checkout/receipt.html", receipt=found, checkout=found.checkout,
                                                  own=found.checkout.user_id == current_user.id)))
