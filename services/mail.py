"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise `.eml` files in MAIL_OUTBOX.

`Mailer.send` raises `MailError` with `permanent=True` when the server refused the
message for good (an SMTP 5xx for the sender, recipient or content) and `permanent=False`
for everything that may pass on a later try (server down, 4xx, timeouts, login problems).
"""
from __future__ import annotations

import os
import re
import smtplib
import ssl
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from i18n.formatting import in_zone, zone_for

SMTP_TIMEOUT = 30


class MailError(Exception):
    """`permanent`: the server refused it for good. `unknown`: the message was handed over (all of it, after
    DATA) and then the connection failed before the server answered — it may have been delivered, so it must
    not be sent again blindly."""

    def __init__(self, reason: str, permanent: bool = False, unknown: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.unknown = unknown


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP that knows whether the whole message was written to the server.

    `data()` reads two replies: 354 (go ahead) before the message, the verdict after it. The second is read
    only once the message and its ending dot were sent, so from then on `handed_over` is true: a failure
    after that point (connection lost, timeout) leaves the outcome unknown.
    """

    handed_over = False
    _replies_in_data = None

    def data(self, msg):
        self.handed_over, self._replies_in_data = False, 0
        try:
            return super().data(msg)
        finally:
            self._replies_in_data = None

    def getreply(self):
        if self._replies_in_data is not None:
            self._replies_in_data += 1
            if self._replies_in_data == 2:
                self.handed_over = True
        return super().getreply()


def _decode(text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text or "").split())


def classify(error: Exception, where: str) -> MailError:
    """Turn an smtplib/socket error into a MailError that says whether retrying can help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = list(error.recipients.values())
        permanent = bool(answers) and all(500 <= code < 600 for code, _text in answers)
        reason = "; ".join(f"{code} {_decode(text)}" for code, text in answers) or "recipient refused"
        return MailError(reason, permanent)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # The portal's credentials, not this message: worth retrying once someone fixes them.
        return MailError(f"{where} did not accept the login ({error.smtp_code})", False)
    if isinstance(error, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        code = error.smtp_code
        return MailError(f"{code} {_decode(error.smtp_error)}", 500 <= code < 600)
    if isinstance(error, smtplib.SMTPResponseException):
        return MailError(f"{where} answered {error.smtp_code} {_decode(error.smtp_error)}", False)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return MailError(f"{where} closed the connection", False)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return MailError(f"{where} does not support {error}", False)
    if isinstance(error, smtplib.SMTPException):
        return MailError(f"{where}: {_decode(error)}", False)
    if isinstance(error, TimeoutError):
        return MailError(f"{where} did not answer in time", False)
    if isinstance(error, ConnectionRefusedError):
        return MailError(f"could not connect to {where} (connection refused)", False)
    if isinstance(error, OSError):
        return MailError(f"could not reach {where} ({error.strerror or error})", False)
    return MailError(f"{where}: {type(error).__name__}", False)


class Mailer:
    """Sends messages through one SMTP connection, opened on first use; or writes them to the outbox."""

    def __init__(self, server=None, port=25, username=None, password=None, use_tls=False, outbox=None,
                 timeout=SMTP_TIMEOUT):
        self.server, self.port = server, int(port or 25)
        self.username, self.password, self.use_tls = username, password, use_tls
        self.outbox = Path(outbox) if outbox else None
        self.timeout = timeout
        self._smtp: _SMTP | None = None

    @classmethod
    def from_config(cls, config=None) -> "Mailer":
        config = config or current_app.config
        return cls(config.get("MAIL_SERVER"), config.get("MAIL_PORT") or 25, config.get("MAIL_USERNAME"),
                   config.get("MAIL_PASSWORD"), bool(config.get("MAIL_USE_TLS")), config.get("MAIL_OUTBOX"))

    @property
    def where(self) -> str:
        return f"mail server {self.server}:{self.port}"

    def send(self, message: EmailMessage) -> None:
        if not self.server:
            self._write_eml(message)
            return
        smtp = None
        try:
            smtp = self._connection()
            smtp.handed_over = False  # this message's, not the last one's on a kept connection
            smtp.send_message(message)
        except Exception as error:  # noqa: BLE001 - every failure becomes a MailError
            self.close()
            failure = classify(error, self.where)
            # The server's own answer (4xx/5xx) after the message is a verdict; anything else after the
            # hand-over (no answer at all) is not.
            if smtp is not None and smtp.handed_over and not isinstance(error, smtplib.SMTPResponseException):
                failure.unknown = True
            raise failure from error

    def _connection(self) -> _SMTP:
        if self._smtp is not None:
            try:
                # A kept connection the server has dropped: find out before any message data is sent.
                if self._smtp.noop()[0] == 250:
                    return self._smtp
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        smtp = _SMTP(self.server, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except Exception:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _write_eml(self, message: EmailMessage) -> Path:
        if self.outbox is None:
            raise MailError("no MAIL_SERVER and no MAIL_OUTBOX configured", False)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        ident = re.sub(r"[^A-Za-z0-9._-]+", "", message.get("Message-ID", ""))[:60] or uuid.uuid4().hex
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            path = self.outbox / f"{stamp}-{ident}.eml"
            partial = path.with_suffix(".eml.part")
            partial.write_bytes(message.as_bytes())
            os.replace(partial, path)  # a reader never sees half a message
        except OSError as error:
            raise MailError(f"could not write to the outbox {self.outbox} ({error.strerror or error})") from error
        return path


# Messages ----------------------------------------------------------------------------------------


def sender_address(config=None) -> str:
    """The From of every email: MAIL_DEFAULT_SENDER, with the seller's name (SELLER_NAME) as its display name
    unless the setting names one itself ("Accounts <ar@seller.example>")."""
    config = config if config is not None else current_app.config
    configured = config.get("MAIL_DEFAULT_SENDER") or "invoices@settle.localhost"
    name, address = parseaddr(configured)
    name = name or config.get("SELLER_NAME") or ""
    if not address or not name:
        return address or configured
    try:
        return str(Address(display_name=name, addr_spec=address))
    except (ValueError, IndexError):  # an address the header registry cannot take apart: as configured
        return configured


def portal_url(endpoint: str | None = None, **values) -> str:
    """An absolute link into the portal for an email, from PORTAL_URL (the job runs outside any request)."""
    base = urlsplit(current_app.config.get("PORTAL_URL") or os.environ.get("PORTAL_URL") or "http://127.0.0.1:5000")
    if endpoint is None:
        return f"{base.scheme}://{base.netloc}{base.path.rstrip('/')}/"
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


@contextmanager
def written_for(user, locale: str):
    """Compose in the reader's language and time zone (their customer's country: i18n/formatting.py zone_for)."""
    customer = getattr(user, "customer", None)
    with force_locale(locale), in_zone(zone_for(customer.country_code if customer is not None else None)):
        yield


def email_context(**values) -> dict:
    """What every email template gets besides its own data: the seller and the portal's address."""
    config = current_app.config
    return {"seller": config.get("SELLER_NAME") or "Settle", "portal_url": portal_url(), **values}


def message_id(local: str, sender: str | None = None) -> str:
    """`<local@the sender's domain>`: a Message-ID stable for the thing it is about."""
    address = parseaddr(sender if sender is not None else sender_address())[1]
    return f"<{local}@{address.rpartition('@')[2] or 'settle.localhost'}>"


def new_message(to: str, subject: str, message_id: str, text: str, html: str,
                attachment: tuple[bytes, str] | None = None) -> EmailMessage:
    """Every email the portal sends: from the seller (sender_address), the plain text and the HTML part, and a
    PDF attachment (bytes, file name) when there is one."""
    message = EmailMessage()
    message["From"] = sender_address()
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if attachment is not None:
        content, filename = attachment
        message.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    return message


def message_id_for(request, sender: str) -> str:
    """Stable per request, so a mail system can recognise the same message if it ever meets it twice."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "settle.localhost"
    return f"<b2b-request-{request.id}-{request.requested_at:%Y%m%d%H%M%S}@{domain}>"


def compose_invoice_copy(request, invoice) -> EmailMessage:
    """The email of a B2B invoice-copy request: details as plain text and HTML, the PDF attached.

    Written in the requester's language. `invoice` is the one the requester may see.
    """
    from i18n import labels
    from services.documents import InvoiceDocument
    from services.invoice_pdf import render_invoice_pdf

    config = current_app.config
    sender = sender_address(config)
    user = request.user
    known = config.get("LANGUAGES", ("en",))
    # The language of the page it was asked from; else the user's chosen one.
    locale = next((choice for choice in (getattr(request, "locale", None), user.locale) if choice in known),
                  config.get("BABEL_DEFAULT_LOCALE", "en"))
    with written_for(user, locale):
        document = InvoiceDocument.load(invoice)
        pdf = render_invoice_pdf(document)
        context = email_context(request=request, user=user, invoice=invoice, document=document,
                                status=labels.invoice_status(invoice.status),
                                links={"invoice": portal_url("invoices.detail", number=invoice.number)})
        subject = _("Invoice %(number)s from %(seller)s", number=invoice.number, seller=context["seller"])
        text = render_template("requests/email.txt", **context)
        html = render_template("requests/email.html", subject=subject, **context)

    return new_message(request.email, subject, message_id_for(request, sender), text, html,
                       (pdf, f"{invoice.number}.pdf"))
