"""The invitation email (a queued email of kind `invitation`, models/invitation.py), composed when the job sends
it: in the language of the page the Admin invited from, with an absolute link built from PORTAL_URL. The link's
token is made only now (`Invitation.issue_token`) and only its digest is stored; an invitation no longer pending,
or resent since this email was queued, is not sent."""
from __future__ import annotations


from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from models.customer import Customer, User
from models.invitation import Invitation
from services.mail import email_context, message_id, new_message


def invitation_link(token: str) -> str:
    base = (current_app.config.get("PORTAL_URL") or "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/invitations/{token}"


def compose_invitation(item):
    data = item.data
    invitation = Invitation.get_or_none(Invitation.id == data.get("invitation"))
    token = invitation.issue_token(data.get("round")) if invitation is not None else None
    if token is None:
        return None
    config = current_app.config
    known = config.get("LANGUAGES", ("en",))
    locale = item.locale if item.locale in known else config.get("BABEL_DEFAULT_LOCALE", "en")
    company = Customer.get_by_id(invitation.customer_id)
    inviter = User.get_or_none(User.id == invitation.invited_by_id) if invitation.invited_by_id else None
    seller = config.get("SELLER_NAME") or "Settle"
    with force_locale(locale):
        from i18n.labels import role_name

        context = dict(invitation=invitation, company=company, inviter=inviter, seller=seller,
                       link=invitation_link(token),
                       roles=", ".join(role_name(role) for role in invitation.role_list))
        subject = _("%(company)s invites you to Settle", company=company.name)
        text = render_template("users/invitation_email.txt", subject=subject, **context)
        html = render_template("users/invitation_email.html", **email_context(subject=subject, **context))
    return new_message(invitation.email, subject, message_id(f"invitation-{item.id}"), text, html)
