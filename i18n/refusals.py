"""The sentence for every refusal code the models raise (models/refusal.py), in the reader's language.

Each says what happened and what to do next; amounts are formatted here, from the `Decimal` and currency
the refusal carries. An unknown code still reads as a sentence (and tests/test_refusals.py checks that every
code raised in models/ has its own).
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from .formatting import money, number, percent


def _money(params, key="amount", currency_key="currency") -> str:
    amount, currency = params.get(key), params.get(currency_key)
    if amount is None:
        return ""
    return money(amount, currency) if currency else f"{amount:.2f}"


TEXTS = {
    # Amounts and quantities typed in the cart --------------------------------------------------------
    "amount_missing": lambda p: _("Enter the amount to pay."),
    "amount_not_number": lambda p: _("Enter a number, for example 1250.00."),
    "amount_decimals": lambda p: _("Use at most 2 decimals."),
    "amount_ambiguous": lambda p: _(
        "“%(typed)s” is unclear: “%(mark)s” may separate thousands or decimals. Type %(plain)s for %(thousands)s, "
        "or at most 2 decimals, for example %(example)s.", typed=p["typed"], mark=p["mark"], plain=p["plain"],
        thousands=number(Decimal(p["plain"]), 0), example=p["example"]),
    "amount_other_currency": lambda p: _(
        "This amount is paid in %(currency)s, not %(typed)s. Type the amount in %(currency)s.",
        currency=p["currency"], typed=p["typed"]),
    "amount_too_large": lambda p: _("That amount is too large."),
    "amount_not_positive": lambda p: _("Enter an amount greater than zero."),
    "amount_over_balance": lambda p: _("Enter at most the balance, %(balance)s.", balance=_money(p, "balance")),
    "quantity_missing": lambda p: _("Enter a quantity."),
    "quantity_range": lambda p: _("Enter a whole number from 1 to 9999."),
    # What a cart may hold ------------------------------------------------------------------------------
    "invoice_cart_has_products": lambda p: _(
        "Your cart holds products to order. A cart holds invoices or products, never both: check out or empty "
        "the cart first, then pay invoice %(number)s.", number=p["number"]),
    "invoice_paid": lambda p: _("Invoice %(number)s is paid in full; there is nothing left to pay.",
                                number=p["number"]),
    "invoice_other_currency": lambda p: _(
        "Your cart holds invoices in %(currency)s, and invoices paid together share one currency. Pay those "
        "first or remove them, then add invoice %(number)s (%(other)s).",
        currency=p["currency"], number=p["number"], other=p["other"]),
    "nothing_selected": lambda p: _("Select the invoices to pay first: tick the box beside each."),
    "selected_currencies": lambda p: _(
        "The selected invoices are in several currencies (%(currencies)s), and invoices paid together share one "
        "currency. Select invoices of one currency.", currencies=p["currencies"]),
    "no_overdue": lambda p: _("Nothing overdue is left to pay in %(currency)s.", currency=p["currency"]),
    "too_many_selected": lambda p: _("Select at most %(num)s invoices at a time.", num=p["limit"]),
    "product_inactive": lambda p: _("%(name)s is no longer sold.", name=p["name"]),
    "product_cart_has_invoices": lambda p: _(
        "Your cart holds invoices to pay. A cart holds invoices or products, never both: check out or empty "
        "the cart first, then add %(name)s.", name=p["name"]),
    "product_other_currency": lambda p: _(
        "Your cart holds products priced in %(currency)s, and one order has one currency. %(name)s is priced "
        "in %(other)s.", currency=p["currency"], name=p["name"], other=p["other"]),
    "line_paid_meanwhile": lambda p: _(
        "Invoice %(number)s has been paid in full meanwhile. Remove it from the cart.", number=p["number"]),
    "line_balance_changed": lambda p: _(
        "The balance of %(number)s is now %(balance)s. Enter a new amount.",
        number=p["number"], balance=_money(p, "balance")),
    # Paying invoices ---------------------------------------------------------------------------------
    "on_account": lambda p: _("Invoices cannot be paid on account: customer credit is for ordering goods, not "
                              "for paying invoices. Pay by card."),
    "no_method": lambda p: _("Choose a payment method."),
    "product_cart": lambda p: _("Your cart holds products: order them with Place order."),
    "no_invoices": lambda p: _("Your cart has no invoices to pay."),
    "invoice_gone": lambda p: _("Invoice %(number)s can no longer be paid here. Remove it from the cart.",
                                number=p["number"]),
    "balance_paid": lambda p: _("Invoice %(number)s has just been paid in full by someone else. Nothing was "
                                "charged; remove it from the cart.", number=p["number"]),
    "balance_changed": lambda p: _(
        "The balance of invoice %(number)s has just changed to %(balance)s, so that amount no longer fits. "
        "Nothing was charged; check the amount in the cart.", number=p["number"], balance=_money(p, "balance")),
    "unverified_result": lambda p: _("The payment result could not be verified, so nothing was recorded."),
    "total_mismatch": lambda p: _("The payment did not match the checkout total, so nothing was recorded and "
                                  "you were not charged."),
    "cart_paid_elsewhere": lambda p: _(
        "This cart was already paid in another window — see the receipt. This second payment was not charged."),
    "cart_changed_after_start": lambda p: _(
        "Your cart changed after this payment was started, so it was not recorded and you were not charged. "
        "Check the cart and pay again."),
    # Ordering ----------------------------------------------------------------------------------------
    "credit_limit": lambda p: _(
        "This order (%(total)s) would take %(account)s %(name)s over its credit limit of %(limit)s. Available "
        "credit: %(available)s. Remove something from the cart, or pay by card.",
        total=_money(p, "total"), account=p["account"], name=p["name"], limit=_money(p, "limit"),
        available=_money(p, "available")),
    "currency": lambda p: _(
        "Orders on account are billed in %(account_currency)s, the currency of %(account)s %(name)s; this cart "
        "is in %(currency)s. Pay it by card instead.", account_currency=p["account_currency"],
        account=p["account"], name=p["name"], currency=p["currency"]),
    "empty_cart": lambda p: _("Your cart has no products, so there is nothing to order. If you just placed this "
                              "order, find it under Orders on My account."),
    "invoice_cart": lambda p: _("Your cart holds invoices, and invoices cannot be ordered on account. Pay them "
                                "from the cart by card."),
    "product_gone": lambda p: _("%(name)s is no longer sold. Remove it from the cart and try again.",
                                name=p.get("name") or "?"),
    "bad_quantity": lambda p: _("The quantity of %(name)s must be a whole number greater than zero. Change it "
                                "in the cart.", name=p["name"]),
    "mixed_currencies": lambda p: _("The products in your cart have different currencies. Order them "
                                    "separately."),
    "payment_mismatch": lambda p: _("The payment did not match the order total, so the order was not placed. "
                                    "Nothing was charged by Settle; please contact us."),
    "payment_declined": lambda p: _("The card payment was declined, so the order was not placed. Your cart is "
                                    "unchanged: try another card, or order on account."),
    "payment_invalid": lambda p: _("The payment page's answer could not be verified, so the order was not "
                                   "placed. Nothing was recorded."),
    "card_unavailable": lambda p: _("Card payments are not available right now. Order on account, or try again "
                                    "later."),
    "cart_changed": lambda p: _("Your cart changed after you opened the checkout. Check it and place the order "
                                "again."),
    "unknown_method": lambda p: _("Choose a payment method: On account or Card."),
    "bad_buyer_reference": lambda p: _("Your reference must be one line of at most %(limit)s characters.",
                                       limit=p["limit"]),
    "bad_delivery_address": lambda p: _("The delivery address must be at most %(limit)s characters of text.",
                                        limit=p["limit"]),
    # Credit notes in the cart ------------------------------------------------------------------------
    "credit_note_no_invoices": lambda p: _(
        "Credit note %(number)s pays invoices: put an invoice of the same account in the cart first.",
        number=p["number"]),
    "credit_note_other_currency": lambda p: _(
        "Credit note %(number)s is in %(currency)s, and the invoices in your cart are in %(cart_currency)s. A "
        "credit note pays invoices of its own currency.", number=p["number"], currency=p["currency"],
        cart_currency=p["cart_currency"]),
    "credit_note_other_account": lambda p: _(
        "Credit note %(number)s belongs to another account than the invoices in your cart. A credit note pays "
        "invoices of its own account.", number=p["number"]),
    "credit_note_used_up": lambda p: _("Credit note %(number)s has been used in full.", number=p["number"]),
    "credit_note_gone": lambda p: _("Credit note %(number)s can no longer be used here. Stop using it in the cart.",
                                    number=p["number"]),
    "credit_note_used": lambda p: _(
        "Credit note %(number)s has just been used by someone else. Nothing was charged; check the cart and pay "
        "again.", number=p["number"]),
    # A company's users, invitations and passwords ----------------------------------------------------
    "roles_none": lambda p: _("Choose at least one role: Admin, Payer, Buyer or Viewer."),
    "last_admin": lambda p: _(
        "%(email)s is the company's last active Admin, and a company always keeps one. Make another user Admin "
        "first.", email=p.get("email", "")),
    "deactivate_self": lambda p: _("You cannot deactivate yourself. Ask another Admin of your company."),
    "invite_email": lambda p: _("Enter the email address to invite, like name@company.example."),
    "invite_name": lambda p: _("Enter the name of the person to invite (at most 200 characters)."),
    "email_taken": lambda p: _("%(email)s already has a Settle account, so it cannot be invited. If it should "
                               "belong to your company, ask the seller.", email=p.get("email", "")),
    "already_invited": lambda p: _("%(email)s is already invited and the link is still valid. Send it again from "
                                   "the list of invitations if it was lost.", email=p.get("email", "")),
    "invitation_finished": lambda p: _("The invitation to %(email)s was already accepted or revoked.",
                                       email=p.get("email", "")),
    "invitation_unknown": lambda p: _("This invitation link is not valid. Check that the whole link was copied, or "
                                      "ask for a new invitation."),
    "invitation_expired": lambda p: _("This invitation has expired: links are valid for 7 days. Ask your "
                                      "company's administrator to send it again."),
    "invitation_accepted": lambda p: _("This invitation has already been used. Sign in with your email and "
                                       "password."),
    "invitation_revoked": lambda p: _("This invitation was withdrawn. Ask your company's administrator if you "
                                      "still need access."),
    # Passwords (models/passwords.py) ---------------------------------------------------------------------
    "password_missing": lambda p: _("Enter a new password."),
    "password_short": lambda p: _("Use at least %(num)s characters for your password.", num=p["length"]),
    "password_long": lambda p: _("Use at most %(num)s characters for your password.", num=p["length"]),
    "password_email": lambda p: _("Your password must not contain your email address."),
    "password_common": lambda p: _("That password is one of the most common ones and easy to guess. Choose "
                                   "another."),
    "password_mismatch": lambda p: _("The two new passwords are not the same. Type the same password twice."),
    "password_wrong": lambda p: _("Your current password is not right. Nothing was changed."),
    "reset_link_invalid": lambda p: _("This link has expired or has already been used. Ask for a new one."),
    # E-invoices ----------------------------------------------------------------------------------------
    "no_endpoint": lambda p: _(
        "This document cannot be an e-invoice: %(name)s has no organization number to address it to. Download "
        "the PDF instead, or ask the seller to add the number.", name=p["name"]),
    "no_seller_nip": lambda p: _(
        "KSeF invoices need the seller's Polish tax number (NIP), which is not set up. Download the PDF instead."),
    "ksef_rate": lambda p: _("A KSeF invoice cannot carry a VAT rate of %(rate)s. Download the PDF instead.",
                             rate=percent(p["rate"])),
}


def refusal_text(refusal) -> str:
    """The sentence for a refusal (anything with `code` and `params`)."""
    text = TEXTS.get(refusal.code)
    if text is None:
        return _("That could not be done. Nothing was changed.")
    return text(refusal.params)
