"""Ordering on account: place an order from the product cart, pay it by card, its confirmation page.

The checkout page (views/checkout.py) shows `orders/_billed_to.html` and posts **Place order** here.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from models.cart import INVOICES, Cart
from models.customer import Customer
from models.order import (
    AWAITING_PAYMENT,
    CARD,
    INVOICED,
    METHODS,
    OPEN,
    OrderRefused,
    SalesOrder,
    SalesOrderLine,
    billing_for,
    cancel_card_order,
    confirm_card_payment,
    place_order,
    quote,
)
from services.gateway import GatewayUnavailable, card_payments_available, get_gateway
from models.roles import ORDER
from models.vat import breakdown
from .checkout import checkout_page
from .permissions import requires
from .responses import found_or_404, is_htmx, message, redirect_to

bp = Blueprint("orders", __name__)


def _refused(error: OrderRefused, status: int = 422):
    """The refusal in the page's message area (htmx), or its own page with who is billed and the cart's total."""
    if is_htmx():
        return message(error.message, status, title=_("Order not placed"))
    cart = Cart.for_user(current_user)
    if error.field in ("buyer_reference", "delivery_address"):  # the checkout again, as typed, the field marked
        return checkout_page(cart, error.message, status, field_error=error.field, values={
            key: (request.form.get(key) or "")[:2000] for key in ("buyer_reference", "delivery_address")})
    return render_template("orders/refused.html", message=error.message, cart=cart,
                           billing=billing_for(current_user.customer),
                           order_total=quote(cart) if cart.kind == "products" else None), status


def _form_cart_version():
    raw = (request.form.get("cart_version") or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


@bp.post("/orders")
@login_required
@requires(ORDER)
def place():
    method = (request.form.get("payment_method") or "").strip()
    if method not in METHODS:
        return _refused(OrderRefused("unknown_method"))
    if method == CARD and not card_payments_available():
        return _refused(OrderRefused("card_unavailable"))
    cart = Cart.for_user(current_user)
    if cart.kind == INVOICES:
        return _refused(OrderRefused("invoice_cart"))
    version = _form_cart_version()
    if version is None:  # a form that never showed this cart (no version): the buyer has not seen what is ordered
        return _refused(OrderRefused("cart_changed"), 409)
    try:
        order = place_order(current_user, cart, method, cart_version=version,
                            buyer_reference=request.form.get("buyer_reference"),
                            delivery_address=request.form.get("delivery_address"))
    except OrderRefused as error:
        return _refused(error)
    if order.status == AWAITING_PAYMENT:
        return redirect_to(_card_payment_url(order))
    return redirect_to(url_for(".detail", number=order.number))


def _card_payment_url(order: SalesOrder) -> str:
    back = url_for(".card_return", number=order.number, _external=True)
    return get_gateway().create_payment(order.total, order.currency, order.number, back, back)


@bp.route("/orders/<number>/card")
@login_required
def card_return(number):
    """Where the payment page sends the buyer back. Approved: the order is placed. Otherwise nothing changes."""
    order = get_object_or_404(SalesOrder.visible_to(current_user), SalesOrder.number == number)
    if order.placed_by_id != current_user.id:
        abort(404)
    if order.status in (OPEN, INVOICED):  # a replayed return, or a reload of it
        return redirect(url_for(".detail", number=order.number), 303)
    if order.status != AWAITING_PAYMENT:
        return _refused(OrderRefused("payment_declined"), status=409)
    try:
        result = get_gateway().verify_return(request.args)
    except GatewayUnavailable:
        return _refused(OrderRefused("card_unavailable"), status=503)
    if not request.args.get("status"):  # the buyer cancelled on the payment page
        flash(_("The card payment was cancelled, so the order was not placed. Your cart is unchanged."), "info")
        return redirect(url_for("checkout.index"), 303)
    if not result.signature_ok or result.reference != order.number or result.currency != order.currency:
        return _refused(OrderRefused("payment_invalid"), status=400)
    if not result.approved:
        cancel_card_order(order.id)
        flash(OrderRefused("payment_declined").message, "error")
        return redirect(url_for("checkout.index"), 303)
    try:
        confirm_card_payment(order.id, result.gateway_reference, result.amount, cart=Cart.for_user(current_user))
    except OrderRefused as error:
        get_gateway().void(result)
        return _refused(error, status=409)
    return redirect(url_for(".detail", number=order.number), 303)


@bp.route("/orders/<number>")
@login_required
def detail(number):
    order = found_or_404(SalesOrder.get_visible, current_user, number)
    lines = list(SalesOrderLine.select().where(SalesOrderLine.order == order).order_by(SalesOrderLine.line_no))
    accounts = {c.id: c for c in Customer.select().where(
        Customer.id.in_([order.order_account_id, order.invoice_account_id]))}
    return render_template("orders/detail.html", order=order, lines=lines, vat=breakdown(lines),
                           order_account=accounts[order.order_account_id],
                           invoice_account=accounts[order.invoice_account_id],
                           just_placed=order.placed_by_id == current_user.id and order.status == OPEN)
