"""The back-office job `process-requests`: send the email of every due pending B2B request.

Run by `flask --app app process-requests` and by the worker every minute (worker.py). Delivery is at most
once: each request is claimed in its own short transaction before the mail server is contacted
(models/request.py: `claim`), so two jobs running at once send it once; a claim whose worker died is
never sent again but marked Failed (nobody knows whether the mail went out).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from models import clock
from models.request import (
    BACKOFF, COMPLETED, FAILED, GAVE_UP, MAX_ATTEMPTS, MAX_REASON, NO_ACCESS, REFUSED, TEMPORARY, B2BRequest,
    claim, due_request_ids, expire_dead_claims, finish, pending_count, visible_invoice)
from services.mail import Mailer, MailError, compose_invoice_copy

log = logging.getLogger(__name__)


@dataclass
class JobResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0  # failed this run, will be tried again
    skipped: int = 0  # claimed by another worker first
    pending: int = 0  # still pending after the run (waiting for a retry or for the next run)

    def __str__(self):
        return (f"Sent {self.sent}, failed {self.failed}, still pending {self.pending}"
                f" ({self.retrying} to retry later).")


def _short(reason: str) -> str:
    reason = " ".join(str(reason).split())
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


def _deliver_one(request_id: int, mailer, now: datetime, result: JobResult) -> None:
    token = claim(request_id, now)
    if token is None:
        result.skipped += 1
        return
    request = B2BRequest.get_by_id(request_id)
    invoice = visible_invoice(request)
    if invoice is None:
        finish(request_id, token, status=FAILED, completed_at=now, error_kind=NO_ACCESS,
               last_error="invoice not visible to the requester")
        result.failed += 1
        return
    try:
        message = compose_invoice_copy(request, invoice)
        mailer.send(message)
    except MailError as error:
        permanent, reason = error.permanent, error.reason
    except Exception as error:  # noqa: BLE001 - a broken PDF or template must not stop the other requests
        log.exception("B2B request %s: could not build or send the email", request_id)
        permanent, reason = False, f"could not prepare the email ({type(error).__name__})"
    else:
        finish(request_id, token, status=COMPLETED, completed_at=clock.utcnow(), error_kind=None, last_error=None)
        result.sent += 1
        return
    if permanent:
        finish(request_id, token, status=FAILED, completed_at=now, error_kind=REFUSED, last_error=_short(reason))
        result.failed += 1
    elif request.attempts >= MAX_ATTEMPTS:
        finish(request_id, token, status=FAILED, completed_at=now, error_kind=GAVE_UP, last_error=_short(reason))
        result.failed += 1
    else:
        finish(request_id, token, error_kind=TEMPORARY, last_error=_short(reason),
               next_attempt_at=now + BACKOFF[min(request.attempts, len(BACKOFF)) - 1])
        result.retrying += 1


def process_pending_requests(mailer=None, now: datetime | None = None, limit: int = 500) -> JobResult:
    """Send the email of every due pending request. Runs inside an app context (templates, mail settings).

    `mailer` defaults to the configured one (SMTP, or .eml files in MAIL_OUTBOX); `now` is for tests.
    """
    now = now or clock.utcnow()
    result = JobResult()
    result.failed += expire_dead_claims(now)
    due = due_request_ids(now, limit)
    if due:
        own_mailer = mailer is None
        mailer = mailer or Mailer.from_config()
        try:
            for request_id in due:
                _deliver_one(request_id, mailer, now, result)
        finally:
            if own_mailer:
                mailer.close()
    result.pending = pending_count()
    return result
