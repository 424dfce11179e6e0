"""The password reset email (a queued email of kind `password_reset`, models/password_reset.py), composed when
the job sends it: the link's token is made only now and only its digest is stored, in the language of the
account (or of the page the reset was asked from). Links are absolute, from PORTAL_URL."""
from __future__ import annotations


from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from models.password_reset import VALID_FOR, PasswordReset
from services.mail import email_context, message_id, new_message


def portal_link(path: str) -> str:
    """An absolute link to `path` on the portal (PORTAL_URL)."""
    base = (current_app.config.get("PORTAL_URL") or "http://127.0.0.1:5000").rstrip("/")
    return base + path


def _locale(*choices) -> str:
    known = current_app.config.get("LANGUAGES", ("en",))
    return next((choice for choice in choices if choice in known), "en")


def compose_password_reset(item):
    """The reset email, or None when the reset was used or expired before it could be sent."""
    reset = PasswordReset.get_or_none(PasswordReset.id == item.data.get("reset"))
    token = reset.issue_token() if reset is not None else None
    if token is None:
        return None
    seller = current_app.config.get("SELLER_NAME") or "Settle"
    user = reset.user
    with force_locale(_locale(item.locale, user.locale)):
        subject = _("Set a new password for Settle")
        context = dict(user=user, link=portal_link(f"/password/reset/{token}"), seller=seller, subject=subject,
                       minutes=int(VALID_FOR.total_seconds() // 60))
        text = render_template("auth/reset_email.txt", **context)
        html = render_template("auth/reset_email.html", **email_context(**context))
    return new_message(item.to, subject, message_id(f"password-reset-{item.id}"), text, html)
