"""The cart: add invoices (Pay invoice) and products, change amounts in place, remove lines.

Every change works as a plain form POST (303 back) and, through htmx, in place: the changed
part of the page comes back with the header's Cart link swapped out-of-band.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, abort, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.cart import Cart, CartError, CartLine
from models.invoice import Invoice, today
from models.product import Product
from . import is_htmx_fragment_request, render_page_or_fragment
from .context import forget_cart_contents

bp = Blueprint("cart", __name__)


def _cart_changed() -> None:
    """Forget what this request already counted, so the header shows the new state."""
    forget_cart_contents()


def _back(default: str) -> str:
    """Where a plain form POST returns to: the page it came from, if it is ours."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return default
    path = parts.path or ""
    if not path.startswith("/") or path.startswith("//"):
        return default
    return path + ("?" + parts.query if parts.query else "")


def _message_response(message: str, status: int, category: str = "error"):
    """An htmx answer that shows `message` in the page's message area."""
    response = make_response(render_template("cart/_message.html", message=message, category=category), status)
    response.headers["HX-Retarget"] = "#messages"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def _cart_page(cart: Cart, errors=None, values=None, status: int = 200):
    errors = {**cart.problems(today()), **(errors or {})}
    return render_page_or_fragment("cart/index.html", "cart/_cart.html", status, cart=cart, errors=errors,
                                   values=values or {}, today=today())


# The cart page ---------------------------------------------------------------------------------
@bp.route("/cart")
@login_required
def index():
    return _cart_page(Cart.for_user(current_user))


@bp.post("/cart")
@login_required
def update():
    """The whole cart form (works without JavaScript): save every amount, all or nothing, then maybe check out."""
    cart = Cart.for_user(current_user)
    amounts, quantities = {}, {}
    for line in cart.lines():
        if line.invoice_id and f"amount-{line.id}" in request.form:
            amounts[line.id] = request.form[f"amount-{line.id}"]
        if line.product_id and f"quantity-{line.id}" in request.form:
            quantities[line.id] = request.form[f"quantity-{line.id}"]
    errors = cart.set_amounts(amounts, today()) if amounts else {}
    if not errors:
        for line_id, text in quantities.items():
            try:
                cart.set_quantity(line_id, text)
            except CartError as error:
                errors[line_id] = error.message
    if errors:
        values = {**{k: v for k, v in amounts.items()}, **quantities}
        return _cart_page(cart, errors, values, 422)
    if request.form.get("action") == "checkout":
        return redirect(url_for("checkout.index"), 303)
    flash(_("The cart was updated."), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/cart/invoices")
@login_required
def add_invoice():
    """Pay invoice: put an invoice the user may see into the cart."""
    number = (request.form.get("invoice") or "").strip()
    try:
        invoice = Invoice.get_visible(current_user, number)
    except Invoice.DoesNotExist:
        abort(404)
    cart = Cart.for_user(current_user)
    try:
        cart.add_invoice(invoice, current_user, today())
    except CartError as error:
        if is_htmx_fragment_request():
            return _message_response(error.message, 409)
        flash(error.message, "error")
        return redirect(_back(url_for("invoices.detail", number=invoice.number)), 303)
    _cart_changed()
    if is_htmx_fragment_request():
        return render_template("cart/_added_invoice.html", invoice=invoice)
    flash(_("Invoice %(number)s is in your cart.", number=invoice.number), "success")
    return redirect(_back(url_for(".index")), 303)


@bp.post("/cart/products")
@login_required
def add_product():
    """Add <product> to cart, from the products page."""
    item = (request.form.get("product") or "").strip()[:40]
    product = Product.get_or_none((Product.item == item) & (Product.active == True))  # noqa: E712
    if product is None:
        abort(404)
    quantity = request.form.get("quantity", "")
    cart = Cart.for_user(current_user)
    try:
        cart.add_product(product, quantity)
    except CartError as error:
        if is_htmx_fragment_request():
            return render_template("products/_product.html", product=product, error=error.message,
                                   quantity=quantity), 422
        flash(error.message, "error")
        return redirect(_back(url_for("products.index")), 303)
    _cart_changed()
    if is_htmx_fragment_request():
        in_cart = next((line.quantity for line in cart.product_lines() if line.product_id == product.id), None)
        return render_template("products/_product.html", product=product, added=in_cart, oob_cart=True)
    flash(_("%(name)s is in your cart.", name=product.name), "success")
    return redirect(_back(url_for("products.index")), 303)


def _line_or_404(cart: Cart, line_id: int) -> CartLine:
    try:
        return cart.line(line_id)
    except CartLine.DoesNotExist:
        abort(404)


def _change_line(line_id: int, kind: str, change, swap_template: str):
    """Change one line's amount or quantity. htmx gets the row back (422 with the reason when the
    value is wrong, nothing saved); a plain form POST gets the cart page (or a 303 back to it)."""
    cart = Cart.for_user(current_user)
    line = _line_or_404(cart, line_id)
    if not (line.invoice_id if kind == "amount" else line.product_id):
        abort(404)
    text = request.form.get(f"{kind}-{line_id}", request.form.get(kind, ""))
    errors, values, status = {}, {}, 200
    try:
        line = change(cart, line_id, text)
    except CartError as error:
        errors, values, status = {line.id: error.message}, {line.id: text}, 422
    if not is_htmx_fragment_request():
        if errors:
            return _cart_page(cart, errors, values, status)
        return redirect(url_for(".index"), 303)
    return render_template(swap_template, cart=cart, line=line, errors=errors, values=values,
                           today=today()), status


@bp.post("/cart/lines/<int:line_id>/amount")
@login_required
def set_amount(line_id):
    """Change the amount to pay of one invoice."""
    return _change_line(line_id, "amount", lambda cart, lid, text: cart.set_amount(lid, text, today()),
                        "cart/_invoice_line_swap.html")


@bp.post("/cart/lines/<int:line_id>/quantity")
@login_required
def set_quantity(line_id):
    """Change the quantity of one product."""
    return _change_line(line_id, "quantity", lambda cart, lid, text: cart.set_quantity(lid, text),
                        "cart/_product_line_swap.html")


@bp.post("/cart/lines/<int:line_id>/remove")
@login_required
def remove(line_id):
    cart = Cart.for_user(current_user)
    line = _line_or_404(cart, line_id)
    name = line.invoice.number if line.invoice_id else line.product.name
    cart.remove_line(line.id)
    _cart_changed()
    message = _("%(name)s was removed from the cart.", name=name)
    if is_htmx_fragment_request():
        return render_template("cart/_cart_swap.html", cart=cart, errors=cart.problems(today()), values={},
                               today=today(), message=message)
    flash(message, "success")
    return redirect(url_for(".index"), 303)


@bp.post("/cart/clear")
@login_required
def clear():
    cart = Cart.for_user(current_user)
    cart.clear()
    _cart_changed()
    message = _("The cart is empty.")
    if is_htmx_fragment_request():
        return render_template("cart/_cart_swap.html", cart=cart, errors={}, values={}, today=today(),
                               message=message)
    flash(message, "success")
    return redirect(url_for(".index"), 303)
