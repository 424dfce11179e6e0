"""What each row of the activity log says (models/activity.py), in the reader's language, from its kind and
details; amounts are formatted here from the Decimal string and currency stored."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from .formatting import money
from .labels import payment_method, role_names


def _money(amount, currency) -> str:
    try:
        return money(Decimal(str(amount)), currency) if currency else str(amount)
    except (InvalidOperation, ValueError, TypeError):
        return str(amount)


def _payment(d) -> str:
    currency = d.get("currency")
    invoices = ", ".join(f"{number} ({_money(amount, currency)})" for number, amount in d.get("invoices") or [])
    text = _("Paid %(amount)s by card: %(invoices)s.", amount=_money(d.get("amount"), currency), invoices=invoices)
    if d.get("credit") and Decimal(str(d["credit"])) > 0:
        text += " " + _("Credit notes used: %(amount)s.", amount=_money(d["credit"], currency))
    if d.get("discount") and Decimal(str(d["discount"])) > 0:
        text += " " + _("Cash discount: %(amount)s.", amount=_money(d["discount"], currency))
    return text


TEXTS = {
    "sign_in": lambda d: _("Signed in."),
    "sign_in_failed": lambda d: _("Sign-in failed: wrong password."),
    "payment": _payment,
    "order": lambda d: _("Placed order %(order)s of %(amount)s (%(method)s).", order=d.get("order"),
                         amount=_money(d.get("amount"), d.get("currency")),
                         method=payment_method(d.get("method", ""))),
    "request_copy": lambda d: _("Requested a copy of invoice %(number)s by email.", number=d.get("invoice")),
    "request_statement": lambda d: _("Requested the statement of account as of %(day)s by email.",
                                     day=d.get("as_of")),
    "invitation_sent": lambda d: _("Invited %(email)s as %(roles)s.", email=d.get("target"),
                                   roles=role_names(d.get("roles") or ())),
    "invitation_resent": lambda d: _("Sent the invitation to %(email)s again.", email=d.get("target")),
    "invitation_revoked": lambda d: _("Revoked the invitation to %(email)s.", email=d.get("target")),
    "invitation_accepted": lambda d: _("Accepted the invitation and set a password (%(roles)s).",
                                       roles=role_names(d.get("roles") or ())),
    "roles_changed": lambda d: _("Changed the roles of %(email)s from %(before)s to %(after)s.",
                                 email=d.get("target"), before=role_names(d.get("before") or ()),
                                 after=role_names(d.get("after") or ())),
    "deactivated": lambda d: _("Deactivated %(email)s.", email=d.get("target")),
    "reactivated": lambda d: _("Reactivated %(email)s.", email=d.get("target")),
}


def activity_text(entry) -> str:
    text = TEXTS.get(entry.kind)
    return text(entry.data) if text else entry.kind
