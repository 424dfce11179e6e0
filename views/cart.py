"""The cart: add invoices (Pay invoice) and products, change amounts in place, remove lines.

Every change works as a plain form POST (303 back) and, through htmx, in place: the changed part of the
page comes back with the header's Cart link swapped out-of-band. The rules are the cart model's
(models/cart.py); a refusal comes back as its message.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from models import clock
from models.cart import Cart, CartError, CartLine
from models.credit_note import CreditNote
from models.invoice import Invoice, is_plausible_number
from models.invoice_list import ListParams, iter_invoices
from models.product import Product
from models.roles import ORDER, PAY, may
from .context import forget_cart_contents
from .permissions import requires
from .responses import back, found_or_404, is_htmx, message, message_or_back, page_or_fragment, redirect_to

bp = Blueprint("cart", __name__)


def _offered(cart: Cart) -> list:
    """The open credit notes the cart offers against its invoices (to whoever may pay)."""
    return cart.offered_credit_notes(current_user) if may(current_user, PAY) else []


def _cart_page(cart: Cart, errors=None, values=None, status: int = 200):
    errors = {**cart.problems(clock.today()), **(errors or {})}
    return page_or_fragment("cart/index.html", "cart/_cart.html", status, cart=cart, errors=errors,
                            excluded=frozenset(errors), values=values or {}, today=clock.today(),
                            offered_credit_notes=_offered(cart))


def _cart_swap(cart: Cart, text: str | None = None, status: int = 200):
    """The whole cart in place (htmx), with the header's count and a message."""
    errors = cart.problems(clock.today())
    return render_template("cart/_cart_swap.html", cart=cart, errors=errors, excluded=frozenset(errors), values={},
                           today=clock.today(), message=text, offered_credit_notes=_offered(cart)), status


def _cart_changed(cart: Cart, text: str):
    """After a change to the cart: the cart swapped in place with `text` (htmx), else back to the cart page with
    `text` flashed."""
    if is_htmx():
        return _cart_swap(cart, text)
    flash(text, "success")
    return redirect(url_for(".index"), 303)


def _typed_amounts(cart: Cart) -> dict:
    """{line id: text} of the amount fields the cart form sent."""
    return {line.id: request.form[f"amount-{line.id}"] for line in cart.invoice_lines()
            if f"amount-{line.id}" in request.form}


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
    amounts, quantities = _typed_amounts(cart), {}
    for line in cart.lines():
        if line.product_id and f"quantity-{line.id}" in request.form:
            quantities[line.id] = request.form[f"quantity-{line.id}"]
    # All or nothing, a constant number of statements however many lines the form has.
    errors = cart.set_amounts(amounts, clock.today()) if amounts else {}
    if not errors and quantities:
        errors = cart.set_quantities(quantities)
    if errors:
        return _cart_page(cart, errors, {**amounts, **quantities}, 422)
    if request.form.get("action") == "checkout":
        return redirect(url_for("checkout.index"), 303)
    flash(_("The cart was updated."), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/cart/invoices")
@login_required
@requires(PAY)
def add_invoice():
    """Pay invoice: put an invoice the user may see into the cart."""
    number = (request.form.get("invoice") or "").strip()
    invoice = found_or_404(Invoice.get_visible, current_user, number)
    cart = Cart.for_user(current_user)
    try:
        cart.add_invoice(invoice, current_user, clock.today())
    except CartError as error:
        return message_or_back(error.message, 409, url_for("invoices.detail", number=invoice.number))
    forget_cart_contents()
    if is_htmx():
        return render_template("cart/_added_invoice.html", invoice=invoice)
    flash(_("Invoice %(number)s is in your cart.", number=invoice.number), "success")
    return redirect(back(url_for(".index")), 303)


MAX_SELECTED = 500


def _add_many(cart: Cart, invoice_ids):
    """Pay selected / Pay all overdue: the invoices in the cart at once (or none, with the reason), then the cart."""
    try:
        added = cart.add_invoices(invoice_ids, current_user, clock.today())
    except Invoice.DoesNotExist:
        abort(404)
    except CartError as error:
        return message_or_back(error.message, 409, url_for("invoices.index"))
    forget_cart_contents()
    if added:
        flash(ngettext("%(num)s invoice was put in your cart.", "%(num)s invoices were put in your cart.", added),
              "success")
    else:
        flash(_("Those invoices were already in your cart."), "info")
    return redirect_to(url_for(".index"))


@bp.post("/cart/invoices/selected")
@login_required
@requires(PAY)
def add_selected():
    """Pay selected: every invoice ticked on the list (the checkboxes submit this form by their `form` attribute)."""
    numbers = {number.strip() for number in request.form.getlist("invoice") if number.strip()}
    if len(numbers) > MAX_SELECTED:
        return message_or_back(CartError("too_many_selected", limit=MAX_SELECTED).message, 413,
                                url_for("invoices.index"))
    if not all(is_plausible_number(number) for number in numbers):
        abort(404)
    found = dict(Invoice.visible_to(current_user).where(Invoice.number.in_(list(numbers)))
                 .select(Invoice.number, Invoice.id).tuples()) if numbers else {}
    if len(found) != len(numbers):
        abort(404)  # another company's invoice, or none at all: as if it did not exist
    return _add_many(Cart.for_user(current_user), found.values())


@bp.post("/cart/invoices/overdue")
@login_required
@requires(PAY)
def add_overdue():
    """Pay all overdue: every overdue invoice in one currency (of the account and order account the list shows)."""
    params, _notices = ListParams.from_args(request.args)
    params.status, params.q, params.aging = "overdue", "", ""
    currency = (request.form.get("currency") or "").strip().upper()[:3]
    ids = [row[0] for row in iter_invoices(current_user, params, clock.today()) if row[5] == currency]
    if not ids:
        return message_or_back(CartError("no_overdue", currency=currency or "?").message, 409,
                                url_for("invoices.index"))
    return _add_many(Cart.for_user(current_user), ids)


@bp.post("/cart/products")
@login_required
@requires(ORDER)
def add_product():
    """Add <product> to cart, from the products page."""
    item = (request.form.get("product") or "").strip()[:40]
    product = get_object_or_404(Product, (Product.item == item) & (Product.active == True))  # noqa: E712
    quantity = request.form.get("quantity", "")
    cart = Cart.for_user(current_user)
    try:
        cart.add_product(product, quantity)
    except CartError as error:
        if is_htmx():
            return render_template("products/_product.html", product=product, error=error.message,
                                   quantity=quantity), 422
        flash(error.message, "error")
        return redirect(back(url_for("products.index")), 303)
    forget_cart_contents()
    if is_htmx():
        in_cart = next((line.quantity for line in cart.product_lines() if line.product_id == product.id), None)
        return render_template("products/_product.html", product=product, added=in_cart, oob_cart=True)
    flash(_("%(name)s is in your cart.", name=product.name), "success")
    return redirect(back(url_for("products.index")), 303)


def _line_or_404(cart: Cart, line_id: int) -> CartLine:
    return found_or_404(cart.line, line_id)


def _change_line(line_id: int, kind: str, change, swap_template: str):
    """Change one line's amount or quantity. htmx gets the row back (422 with the reason when the value is
    wrong, nothing saved); a plain form POST gets the cart page (or a 303 back to it)."""
    cart = Cart.for_user(current_user)
    line = _line_or_404(cart, line_id)
    if not (line.invoice_id if kind == "amount" else line.product_id):
        abort(404)
    text = request.form.get(f"{kind}-{line_id}", request.form.get(kind, ""))
    errors, values, status = {}, {}, 200
    try:
        line = change(cart, line_id, text)
    except CartError as error:
        errors, values, status = {line.id: error}, {line.id: text}, 422
    if not is_htmx():
        if errors:
            return _cart_page(cart, errors, values, status)
        return redirect(url_for(".index"), 303)
    if cart.credit_notes() and not errors:
        # What the credit notes pay follows the amounts: the whole cart is redrawn, not just the row.
        response = _cart_page(cart)
        response.headers.update({"HX-Retarget": "#cart", "HX-Reswap": "outerHTML"})
        return response
    # The total leaves out every line whose field holds an amount that would be refused (htmx sends the whole
    # form), and says so.
    excluded = set(errors) | (set(cart.wrong_amounts(_typed_amounts(cart))) - {line.id} if kind == "amount" else set())
    return render_template(swap_template, cart=cart, line=line, errors=errors, values=values,
                           excluded=frozenset(excluded), today=clock.today()), status


@bp.post("/cart/lines/<int:line_id>/amount")
@login_required
def set_amount(line_id):
    """Change the amount to pay of one invoice."""
    return _change_line(line_id, "amount", lambda cart, lid, text: cart.set_amount(lid, text, clock.today()),
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
    forget_cart_contents()
    text = _("%(name)s was removed from the cart.", name=name)
    return _cart_changed(cart, text)


@bp.get("/cart/clear")
@login_required
def confirm_clear():
    """Empty cart asks first: the question in place of the button (htmx) or as a page of its own."""
    cart = Cart.for_user(current_user)
    if not cart.lines():
        return redirect(url_for(".index"), 303)
    return page_or_fragment("cart/clear.html", "cart/_clear_question.html", cart=cart)


@bp.post("/cart/clear")
@login_required
def clear():
    cart = Cart.for_user(current_user)
    cart.clear()
    forget_cart_contents()
    text = _("The cart is empty.")
    return _cart_changed(cart, text)


# Credit notes against the invoices ---------------------------------------------------------------------
def _credit_note_or_404(number: str) -> CreditNote:
    return found_or_404(CreditNote.get_visible, current_user, number)


@bp.post("/cart/credit-notes/<number>")
@login_required
@requires(PAY)
def use_credit_note(number):
    """Use credit note <number>: it pays invoices of its account and currency in the cart."""
    note = _credit_note_or_404(number)
    cart = Cart.for_user(current_user)
    try:
        cart.use_credit_note(note, current_user)
    except CreditNote.DoesNotExist:
        abort(404)
    except CartError as error:
        if is_htmx():
            return message(error.message, 409)
        flash(error.message, "error")
        return redirect(url_for(".index"), 303)
    text = _("Credit note %(number)s is used against your invoices.", number=note.number)
    return _cart_changed(cart, text)


@bp.post("/cart/credit-notes/<number>/stop")
@login_required
@requires(PAY)
def stop_using_credit_note(number):
    note = _credit_note_or_404(number)
    cart = Cart.for_user(current_user)
    cart.stop_using_credit_note(note)
    text = _("Credit note %(number)s is no longer used.", number=note.number)
    return _cart_changed(cart, text)
