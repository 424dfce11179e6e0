"""The emails about an account as a whole, composed when the job sends them (services/request_job.py): the
statement of account a user asked for (a B2B request of type Statement) and the confirmation of a card payment
(a queued email of kind `payment_receipt`), each with its PDF attached and in the language it was asked in."""
from __future__ import annotations

from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import gettext as _

from i18n.formatting import day, money
from models import checkout as payments
from models.checkout import PAYMENT_RECEIPT  # noqa: F401 - the kind this module composes
from models.customer import User
from models.invoice import Invoice
from models.signed_in import signed_in_user
from models.statement import statement_for
from services.mail import email_context, message_id_for, new_message, portal_url, sender_address, written_for
from services.receipt_pdf import render_receipt_pdf
from services.statement_pdf import render_statement_pdf



def _locale(*choices) -> str:
    config = current_app.config
    known = config.get("LANGUAGES", ("en",))
    return next((choice for choice in choices if choice in known), config.get("BABEL_DEFAULT_LOCALE", "en"))


def _message(to: str, subject: str, message_id: str, text: str, html: str, pdf: bytes, filename: str):
    return new_message(to, subject, message_id, text, html, (pdf, filename))


def _domain() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "invoices@settle.localhost"
    return parseaddr(sender)[1].rpartition("@")[2] or "settle.localhost"


def compose_statement(request):
    """The statement as of the request's day, of what its requester may see now (None: the user is gone)."""
    user = signed_in_user(request.user_id)
    if user is None or not Invoice.visible_account_ids(user):
        return None
    with written_for(user, _locale(getattr(request, "locale", None), user.locale)):
        statement = statement_for(user, request.as_of)
        pdf = render_statement_pdf(statement)
        context = email_context(request=request, user=user, statement=statement,
                                links={"statement": portal_url("statements.index", as_of=request.as_of.isoformat())})
        subject = context["subject"] = _("Statement of account as of %(day)s from %(seller)s",
                                         day=day(request.as_of), seller=context["seller"])
        text = render_template("statements/email.txt", **context)
        html = render_template("statements/email.html", **context)
    sender = sender_address()
    return _message(request.email, subject, message_id_for(request, sender), text, html, pdf,
                    f"statement-{request.as_of.isoformat()}.pdf")


def compose_payment_receipt(item):
    """The confirmation of a card payment to the payer, with the receipt (None: the payer no longer sees it)."""
    user = User.get_or_none(User.id == item.user_id) if item.user_id else None
    reference = item.data.get("reference")
    if user is None or not reference:
        return None
    user = signed_in_user(user.id)
    try:
        receipt = payments.receipt_for(user, reference)
    except payments.Checkout.DoesNotExist:
        return None
    with written_for(user, _locale(item.locale, user.locale)):
        pdf = render_receipt_pdf(receipt, user.name)
        context = email_context(user=user, receipt=receipt, checkout=receipt.checkout,
                                links={"receipt": portal_url("checkout.receipt", reference=reference)})
        subject = context["subject"] = _("Payment received: %(amount)s to %(seller)s", seller=context["seller"],
                                         amount=money(receipt.total, receipt.checkout.currency))
        text = render_template("payments/receipt_email.txt", **context)
        html = render_template("payments/receipt_email.html", **context)
    return _message(item.to, subject, f"<payment-receipt-{item.id}@{_domain()}>", text, html, pdf,
                    f"receipt-{reference}.pdf")
