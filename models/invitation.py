"""Invitations: an Admin invites someone by email into their company, with the roles they will have.

The email (queued in the same transaction, `OutboxEmail.queue`, kind `invitation`) carries a link to
`/invitations/<token>`, valid for 7 days and usable once: there the new user sets a password and becomes a user
of the inviting company. The token (models/tokens.py: 256 random bits) is made when the job writes the email
(`issue_token`) and only its digest is stored, so neither the table nor the queued email holds a working link (the
same way as password resets). Resending ends the old link at once, restarts the 7 days and queues a new email (an
older one not yet sent is then not sent at all); revoking ends it.
"""
from __future__ import annotations

from datetime import timedelta

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, IntegrityError

from . import BaseModel, clock, lock_rows, write_transaction
from .activity import INVITATION_ACCEPTED, INVITATION_RESENT, INVITATION_REVOKED, INVITATION_SENT, record
from .customer import Customer, User
from .outbox import OutboxEmail
from .passwords import check_new_password
from .roles import ordered, parse_roles, roles_text
from .tokens import looks_like_token, new_token, token_digest
from .users import UserRefused, clean_roles, valid_id

KIND = "invitation"  # the queued email's kind (services/invitation_mail.py composes it)
VALID_FOR = timedelta(days=7)
PENDING, ACCEPTED, REVOKED = "pending", "accepted", "revoked"
EXPIRED, UNKNOWN = "expired", "unknown"  # what a link can also be, though never stored


class Invitation(BaseModel):
    customer = ForeignKeyField(Customer, backref="invitations", on_delete="CASCADE")
    invited_by = ForeignKeyField(User, null=True, backref="invitations_sent", on_delete="SET NULL")
    email = CharField(max_length=254)
    name = CharField(max_length=200)
    roles = CharField(max_length=40)
    locale = CharField(max_length=10, default="en")  # the inviter's page language: the email's
    token_digest = CharField(max_length=64, null=True, unique=True)  # of the link in the last email sent
    sends = IntegerField(default=1)  # emails queued (1 + resends): only the last one is sent
    status = CharField(max_length=10, default=PENDING)
    created_at = DateTimeField(default=clock.utcnow)
    sent_at = DateTimeField(default=clock.utcnow)
    expires_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    user = ForeignKeyField(User, null=True, backref="invitation", on_delete="SET NULL")

    class Meta:
        table_name = "invitation"
        indexes = ((("customer", "status"), False), (("email", "status"), False))

    @property
    def role_list(self) -> list[str]:
        return ordered(parse_roles(self.roles))

    def state(self, now=None) -> str:
        """pending, expired, accepted or revoked."""
        if self.status == PENDING and (now or clock.utcnow()) >= self.expires_at:
            return EXPIRED
        return self.status

    def issue_token(self, round_: int) -> str | None:
        """A new token for the link in email number `round_` (the job, when it writes it); None when the
        invitation is no longer pending or was resent since. A retried email gets a new token: only the last one
        sent opens the link."""
        if self.state() != PENDING or round_ != self.sends:
            return None
        clear, digest = new_token()
        changed = (Invitation.update(token_digest=digest)
                   .where(Invitation.id == self.id, Invitation.status == PENDING, Invitation.sends == round_,
                          Invitation.expires_at > clock.utcnow()).execute())
        return clear if changed else None


def clean_email(text) -> str:
    email = (text or "").strip().lower() if isinstance(text, str) else ""
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise UserRefused("invite_email", "email")
    return email


def clean_name(text) -> str:
    name = " ".join((text or "").split()) if isinstance(text, str) else ""
    if not name or len(name) > 200:
        raise UserRefused("invite_name", "name")
    return name


def pending_for(customer_id: int) -> list[Invitation]:
    """The company's invitations not yet accepted or revoked (expired ones too: they can be resent)."""
    return list(Invitation.select().where(Invitation.customer == customer_id, Invitation.status == PENDING)
                .order_by(Invitation.created_at.desc()))


def _queue(invitation: Invitation) -> None:
    OutboxEmail.queue(KIND, invitation.email, invitation.locale, invitation=invitation.id, round=invitation.sends)


def invite(inviter: User, email, name, role_names, locale: str) -> Invitation:
    """Invite `email` into the inviter's company; raises UserRefused (nothing written) when it cannot be."""
    email, name, roles = clean_email(email), clean_name(name), clean_roles(role_names)
    now = clock.utcnow()
    with write_transaction():
        lock_rows(Customer.select(Customer.id).where(Customer.id == inviter.customer_id)).execute()
        if User.select().where(User.email == email).exists():
            raise UserRefused("email_taken", "email", email=email)
        if (Invitation.select().where(Invitation.customer == inviter.customer_id, Invitation.email == email,
                                      Invitation.status == PENDING, Invitation.expires_at > now).exists()):
            raise UserRefused("already_invited", "email", email=email)
        invitation = Invitation.create(customer=inviter.customer_id, invited_by=inviter.id, email=email, name=name,
                                       roles=roles_text(roles), locale=locale, token_digest=None, sends=1,
                                       created_at=now, sent_at=now, expires_at=now + VALID_FOR)
        _queue(invitation)
        record(INVITATION_SENT, inviter, target=email, roles=ordered(roles))
    return invitation


def _own_pending(inviter: User, invitation_id) -> Invitation:
    invitation_id = valid_id(invitation_id)
    if invitation_id is None:
        raise Invitation.DoesNotExist(invitation_id)
    invitation = lock_rows(Invitation.select().where(Invitation.id == invitation_id,
                                                     Invitation.customer == inviter.customer_id)).get()
    if invitation.status != PENDING:
        raise UserRefused("invitation_finished", email=invitation.email)
    return invitation


def resend(inviter: User, invitation_id, locale: str) -> Invitation:
    """A new link (the old one stops working), valid 7 days from now, emailed again."""
    now = clock.utcnow()
    with write_transaction():
        invitation = _own_pending(inviter, invitation_id)
        invitation.token_digest, invitation.sends = None, invitation.sends + 1  # the old link ends now
        invitation.sent_at, invitation.expires_at, invitation.locale = now, now + VALID_FOR, locale
        invitation.save()
        _queue(invitation)
        record(INVITATION_RESENT, inviter, target=invitation.email)
    return invitation


def revoke(inviter: User, invitation_id) -> Invitation:
    with write_transaction():
        invitation = _own_pending(inviter, invitation_id)
        invitation.status, invitation.finished_at = REVOKED, clock.utcnow()
        invitation.save(only=[Invitation.status, Invitation.finished_at])
        record(INVITATION_REVOKED, inviter, target=invitation.email)
    return invitation


def find(token) -> Invitation | None:
    """The invitation a link's token opens (in any state), or None."""
    if not isinstance(token, str) or not looks_like_token(token):
        return None
    return Invitation.get_or_none(Invitation.token_digest == token_digest(token))


def accept(token, password, repeat) -> User:
    """Set a password on the invitation's link: the user is created in the inviting company with its roles.

    Raises a Refusal (nothing written): the link is no longer usable (`invitation_<state>`), the password breaks
    the rule or its repetition differs (models/passwords.py), or the email became a user meanwhile.
    """
    with write_transaction():
        found = find(token)
        if found is None:
            raise UserRefused("invitation_unknown")
        invitation = lock_rows(Invitation.select().where(Invitation.id == found.id)).get()
        state = invitation.state()
        if state != PENDING:
            raise UserRefused(f"invitation_{state}")
        check_new_password(password, repeat, invitation.email)  # raises the Refusal, nothing written
        if User.select().where(User.email == invitation.email).exists():
            raise UserRefused("email_taken", "email", email=invitation.email)
        user = User(email=invitation.email, name=invitation.name, customer=invitation.customer_id,
                    roles=invitation.roles, active=True)
        user.set_password(password)
        try:
            user.save()
        except IntegrityError:
            raise UserRefused("email_taken", "email", email=invitation.email) from None
        invitation.status, invitation.finished_at, invitation.user = ACCEPTED, clock.utcnow(), user.id
        invitation.save(only=[Invitation.status, Invitation.finished_at, Invitation.user])
        record(INVITATION_ACCEPTED, user, target=user.email, roles=invitation.role_list)
    return user
