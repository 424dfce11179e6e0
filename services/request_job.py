"""The back-office job `process-requests`: send everything the portal has queued to send.

Two queues, one set of rules (models/delivery.py): B2B requests (invoice copies, listed on My account) and
queued emails (models/outbox.py). Each item is claimed before the mail server is contacted, so two jobs
running at once send it once; failures are retried with back-off and given up after five attempts; a claim
whose worker died is never sent again. Run by `flask --app app process-requests` and by the worker every
minute (worker.py).

What an item says is composed when it is sent, by the composer registered for its type (`COMPOSERS`): a
function (item) -> EmailMessage, or None when it must not be sent any more (its reader lost access).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from models import clock
from models.delivery import (AFTER_DATA, BACKOFF, COMPLETED, FAILED, GAVE_UP, MAX_ATTEMPTS, MAX_REASON, NO_ACCESS,
                             REFUSED, TEMPORARY, UNKNOWN)
from models.outbox import OutboxEmail
from models.password_reset import PASSWORD_RESET
from models.request import TYPE_INVOICE_COPY, TYPE_STATEMENT, B2BRequest, visible_invoice
from models.invitation import KIND as INVITATION
from services.account_mail import PAYMENT_RECEIPT, compose_payment_receipt, compose_statement
from services.invitation_mail import compose_invitation
from services.mail import Mailer, MailError, compose_invoice_copy
from services.password_mail import compose_password_reset

log = logging.getLogger(__name__)


def _invoice_copy(request: B2BRequest):
    invoice = visible_invoice(request)
    return compose_invoice_copy(request, invoice) if invoice is not None else None


# (queue, type) -> composer. B2B requests by their `type`, queued emails by their `kind`.
COMPOSERS = {
    (B2BRequest, TYPE_INVOICE_COPY): _invoice_copy,
    (B2BRequest, TYPE_STATEMENT): compose_statement,
    (OutboxEmail, PAYMENT_RECEIPT): compose_payment_receipt,
    (OutboxEmail, PASSWORD_RESET): compose_password_reset,
    (OutboxEmail, INVITATION): compose_invitation,
}
QUEUES = (B2BRequest, OutboxEmail)


def register(queue, kind: str, composer) -> None:
    """Teach the job to send `kind` items of `queue` (B2BRequest or OutboxEmail)."""
    COMPOSERS[(queue, kind)] = composer


def _kind(item) -> str:
    return item.type if isinstance(item, B2BRequest) else item.kind


@dataclass
class JobResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0  # failed this run, will be tried again
    skipped: int = 0  # claimed by another worker first
    unknown: int = 0  # handed to the mail server, which never answered: not sent again (an operator decides)
    pending: int = 0  # still pending after the run (waiting for a retry or for the next run)

    def __str__(self):
        return (f"Sent {self.sent}, failed {self.failed}, still pending {self.pending}"
                f" ({self.retrying} to retry later)."
                + (f" Delivery unknown for {self.unknown} (see `deliveries-unknown`)." if self.unknown else ""))


def _short(reason: str) -> str:
    reason = " ".join(str(reason).split())
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


def _deliver_one(queue, item_id: int, mailer, now: datetime, result: JobResult) -> None:
    token = queue.claim(item_id, now)
    if token is None:
        result.skipped += 1
        return
    item = queue.get_by_id(item_id)
    composer = COMPOSERS.get((queue, _kind(item)))
    try:
        message = composer(item) if composer else None
        if message is None:
            queue.finish(item_id, token, status=FAILED, completed_at=now, error_kind=NO_ACCESS,
                         last_error="no longer visible to its reader" if composer else f"unknown kind {_kind(item)!r}")
            result.failed += 1
            return
        mailer.send(message)
    except MailError as error:
        if error.unknown:
            queue.finish(item_id, token, status=UNKNOWN, completed_at=clock.utcnow(), error_kind=AFTER_DATA,
                         last_error=_short(error.reason))
            log.warning("%s %s: delivery unknown (%s); not sent again", queue.__name__, item_id, error.reason)
            result.unknown += 1
            return
        permanent, reason = error.permanent, error.reason
    except Exception as error:  # noqa: BLE001 - a broken PDF or template must not stop the other items
        log.exception("%s %s: could not build or send the email", queue.__name__, item_id)
        permanent, reason = False, f"could not prepare the email ({type(error).__name__})"
    else:
        queue.finish(item_id, token, status=COMPLETED, completed_at=clock.utcnow(), error_kind=None,
                     last_error=None)
        result.sent += 1
        return
    if permanent:
        queue.finish(item_id, token, status=FAILED, completed_at=now, error_kind=REFUSED, last_error=_short(reason))
        result.failed += 1
    elif item.attempts >= MAX_ATTEMPTS:
        queue.finish(item_id, token, status=FAILED, completed_at=now, error_kind=GAVE_UP, last_error=_short(reason))
        result.failed += 1
    else:
        queue.finish(item_id, token, error_kind=TEMPORARY, last_error=_short(reason),
                     next_attempt_at=now + BACKOFF[min(item.attempts, len(BACKOFF)) - 1])
        result.retrying += 1


def process_pending_requests(mailer=None, now: datetime | None = None, limit: int = 500) -> JobResult:
    """Send every due item of every queue. Runs inside an app context (templates, mail settings).

    `mailer` defaults to the configured one (SMTP, or .eml files in MAIL_OUTBOX); `now` is for tests.
    """
    now = now or clock.utcnow()
    result = JobResult()
    due = []
    for queue in QUEUES:
        result.unknown += queue.expire_dead_claims(now)
        due += [(queue, item_id) for item_id in queue.due_ids(now, limit)]
    if due:
        own_mailer = mailer is None
        mailer = mailer or Mailer.from_config()
        try:
            for queue, item_id in due:
                _deliver_one(queue, item_id, mailer, now, result)
        finally:
            if own_mailer:
                mailer.close()
    result.pending = sum(queue.pending_count() for queue in QUEUES)
    return result
