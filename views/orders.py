"""Ordering on account: place an order from the product cart, its confirmation, the billed-to block.

The checkout page (views/checkout.py) shows `orders/_billed_to.html` and posts **Place order** here.
"""
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from models.order import (
    AWAITING_PAYMENT,
    CARD,
    CANCELLED,
    INVOICED,
    METHODS,
    ON_ACCOUNT,
    OPEN,
    OrderRefused,
    SalesOrder,
    SalesOrderLine,
    billing_for,
    cancel_card_order,
    confirm_card_payment,
    place_order,
    quote,
    recent_orders,
)
from models.customer import Customer
from .context import money, percent
from . import is_htmx_fragment_request

bp = Blueprint("orders", __name__)


# Words ----------------------------------------------------------------------------------------
def status_label(status: str) -> str:
    return {
        OPEN: _("Open"),
        INVOICED: _("Invoiced"),
        AWAITING_PAYMENT: _("Awaiting payment"),
        CANCELLED: _("Cancelled"),
    }.get(status, status)


def method_label(method: str) -> str:
    return {ON_ACCOUNT: _("On account"), CARD: _("Card")}.get(method, method)


def payment_terms(customer: Customer) -> str:
    """'Net 30 days, 2 % cash discount within 10 days' in the page's language."""
    net = ngettext("Net %(num)s day", "Net %(num)s days", customer.net_days)
    if customer.has_cash_discount:
        return _("%(net)s, %(percent)s cash discount within %(days)s days",
                 net=net, percent=percent(customer.discount_percent), days=customer.discount_days)
    return net


def refusal_message(error: OrderRefused) -> str:
    p = error.params
    if error.code == "credit_limit":
        return _("This order (%(total)s) would take %(account)s %(name)s over its credit limit of %(limit)s. "
                 "Available credit: %(available)s. Remove something from the cart, or pay by card.",
                 total=money(p["total"], p["currency"]), account=p["account"], name=p["name"],
                 limit=money(p["limit"], p["currency"]), available=money(p["available"], p["currency"]))
    if error.code == "currency":
        return _("Orders on account are billed in %(account_currency)s, the currency of %(account)s %(name)s; "
                 "this cart is in %(currency)s. Pay it by card instead.",
                 account_currency=p["account_currency"], account=p["account"], name=p["name"],
                 currency=p["currency"])
    if error.code == "empty_cart":
        return _("Your cart has no products, so there is nothing to order. "
                 "If you just placed this order, find it under Orders on My account.")
    if error.code == "invoice_cart":
        return _("Your cart holds invoices, and invoices cannot be ordered on account. "
                 "Pay them from the cart by card.")
    if error.code == "product_gone":
        return _("%(name)s is no longer sold. Remove it from the cart and try again.", name=p.get("name") or "?")
    if error.code == "bad_quantity":
        return _("The quantity of %(name)s must be a whole number greater than zero. Change it in the cart.",
                 name=p["name"])
    if error.code == "mixed_currencies":
        return _("The products in your cart have different currencies. Order them separately.")
    if error.code == "payment_mismatch":
        return _("The payment did not match the order total, so the order was not placed. Nothing was charged "
                 "by Settle; please contact us.")
    if error.code == "payment_declined":
        return _("The card payment was declined, so the order was not placed. Your cart is unchanged: "
                 "try another card, or order on account.")
    if error.code == "payment_invalid":
        return _("The payment page's answer could not be verified, so the order was not placed. "
                 "Nothing was recorded.")
    if error.code == "card_unavailable":
        return _("Card payments are not available right now. Order on account, or try again later.")
    if error.code == "cart_changed":
        return _("Your cart changed after you opened the checkout. Check it and place the order again.")
    return _("Choose a payment method: On account or Card.")


@bp.app_context_processor
def order_helpers():
    def order_billing():
        """Who is billed for the signed-in user's orders, with that account's credit (two queries)."""
        if not current_user.is_authenticated:
            return None
        return billing_for(current_user.customer)

    def order_quote(cart):
        if cart is None or getattr(cart, "kind", None) != "products":
            return None
        return quote(cart)

    return {
        "order_billing": order_billing,
        "order_quote": order_quote,
        "account_orders": lambda: recent_orders(current_user) if current_user.is_authenticated else [],
        "payment_terms": payment_terms,
        "order_status_label": status_label,
        "order_method_label": method_label,
    }


# Responses ------------------------------------------------------------------------------------
def _go(url: str):
    """303 to `url`; an htmx request is sent there as a full page load."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def _refused(error: OrderRefused, status: int = 422):
    message = refusal_message(error)
    if is_htmx_fragment_request():
        response = make_response(render_template("errors/_message.html", title=_("Order not placed"),
                                                 message=message), status)
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return make_response(render_template("orders/refused.html", message=message), status)


def _cart_for_user():
    try:
        from models.cart import Cart
    except ImportError:  # the cart arrives with its own issue
        return None
    return Cart.for_user(current_user)


# Routes ---------------------------------------------------------------------------------------
def _form_cart_version():
    raw = (request.form.get("cart_version") or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


@bp.post("/orders")
@login_required
def place():
    method = (request.form.get("payment_method") or "").strip()
    if method not in METHODS:
        return _refused(OrderRefused("unknown_method"))
    if method == CARD and not _card_payments_available():
        return _refused(OrderRefused("card_unavailable"))
    cart = _cart_for_user()
    if cart is None:
        return _refused(OrderRefused("empty_cart"))
    if getattr(cart, "kind", None) == "invoices":
        return _refused(OrderRefused("invoice_cart"))
    try:
        order = place_order(current_user, cart, method, cart_version=_form_cart_version())
    except OrderRefused as error:
        return _refused(error)
    if order.status == AWAITING_PAYMENT:
        return _go(_card_payment_url(order))
    return _go(url_for(".detail", number=order.number))


def _checkout_url() -> str:
    for endpoint in ("checkout.index", "cart.index"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("account.index")


def _card_payments_available() -> bool:
    try:
        from models.gateway import card_payments_available
    except ImportError:  # the gateway arrives with the cart's issue
        return False
    return card_payments_available() and "gateway.pay" in current_app.view_functions


def _card_payment_url(order: SalesOrder) -> str:
    from models.gateway import get_gateway

    back = url_for(".card_return", number=order.number, _external=True)
    return get_gateway().create_payment(order.total, order.currency, order.number, back, back)


@bp.route("/orders/<number>/card")
@login_required
def card_return(number):
    """Where the payment page sends the buyer back. Approved: the order is placed. Otherwise nothing changes."""
    from models.gateway import GatewayUnavailable, get_gateway

    try:
        order = SalesOrder.visible_to(current_user).where(SalesOrder.number == number).get()
    except SalesOrder.DoesNotExist:
        abort(404)
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
        return redirect(_checkout_url(), 303)
    if not result.signature_ok or result.reference != order.number or result.currency != order.currency:
        return _refused(OrderRefused("payment_invalid"), status=400)
    if not result.approved:
        cancel_card_order(order.id)
        flash(refusal_message(OrderRefused("payment_declined")), "error")
        return redirect(_checkout_url(), 303)
    try:
        confirm_card_payment(order.id, result.gateway_reference, result.amount, cart=_cart_for_user())
    except OrderRefused as error:
        get_gateway().void(result)
        return _refused(error, status=409)
    return redirect(url_for(".detail", number=order.number), 303)


@bp.route("/orders/<number>")
@login_required
def detail(number):
    try:
        order = SalesOrder.get_visible(current_user, number)
    except SalesOrder.DoesNotExist:
        abort(404)
    lines = list(SalesOrderLine.select().where(SalesOrderLine.order == order).order_by(SalesOrderLine.line_no))
    accounts = {c.id: c for c in Customer.select().where(
        Customer.id.in_([order.order_account_id, order.invoice_account_id]))}
    return render_template("orders/detail.html", order=order, lines=lines,
                           order_account=accounts[order.order_account_id],
                           invoice_account=accounts[order.invoice_account_id],
                           just_placed=order.placed_by_id == current_user.id and order.status == OPEN)
