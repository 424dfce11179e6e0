"""The emails about an account as a whole, composed when the job sends them (services/request_job.py): the
statement of account a user asked for (a B2B request of type Statement) and the confirmation of a card payment
(a queued email of kind `payment_receipt`), each with its PDF attached and in the language it was asked in."""
from __future__ import annotations

from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from i18n.formatting import money
from models import checkout as payments
from models.checkout import PAYMENT_RECEIPT  # noqa: F401 - the kind this module composes
from models.customer import User
from models.invoice import Invoice
from models.signed_in import signed_in_user
from models.statement import statement_for
from services.mail import message_id_for
from services.receipt_pdf import render_receipt_pdf
from services.statement_pdf import render_statement_pdf



def _locale(*choices) -> str:
    config = current_app.config
    known = config.get("LANGUAGES", ("en",))
    return next((choice for choice in choices if choice in known), config.get("BABEL_DEFAULT_LOCALE", "en"))


def _message(to: str, subject: str, message_id: str, text: str, html: str, pdf: bytes, filename: str):
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "invoices@settle.localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return message


def _domain() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "invoices@settle.localhost"
    return parseaddr(sender)[1].rpartition("@")[2] or "settle.localhost"


def compose_statement(request):
    """The statement as of the request's day, of what its requester may see now (None: the user is gone)."""
    user = signed_in_user(request.user_id)
    if user is None or not Invoice.visible_account_ids(user):
        return None
    seller = current_app.config.get("SELLER_NAME") or "Settle"
    with force_locale(_locale(getattr(request, "locale", None), user.locale)):
        statement = statement_for(user, request.as_of)
        pdf = render_statement_pdf(statement)
        subject = _("Statement of account as of %(day)s from %(seller)s", day=request.as_of.isoformat(),
                    seller=seller)
        context = dict(request=request, user=user, statement=statement, seller=seller, subject=subject)
        text = render_template("statements/email.txt", **context)
        html = render_template("statements/email.html", **context)
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "invoices@settle.localhost"
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
    seller = current_app.config.get("SELLER_NAME") or "Settle"
    with force_locale(_locale(item.locale, user.locale)):
        pdf = render_receipt_pdf(receipt, user.name)
        subject = _("Payment received: %(amount)s to %(seller)s", seller=seller,
                    amount=money(receipt.total, receipt.checkout.currency))
        context = dict(user=user, receipt=receipt, checkout=receipt.checkout, seller=seller, subject=subject)
        text = render_template("payments/receipt_email.txt", **context)
        html = render_template("payments/receipt_email.html", **context)
    return _message(item.to, subject, f"<payment-receipt-{item.id}@{_domain()}>", text, html, pdf,
                    f"receipt-{reference}.pdf")
