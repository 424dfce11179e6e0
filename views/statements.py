"""The statement of account (/statement): open items, payments of the period and buckets as of a day, its
PDF, and Email me the statement (a B2B request of type Statement, sent by the job like an invoice copy)."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import clock
from i18n.formatting import locale_name
from models.request import B2BRequest
from models.roles import REQUEST
from models.statement import PERIOD_DAYS, statement_for
from services.statement_pdf import render_statement_pdf
from .permissions import requires
from .responses import message_or_back

bp = Blueprint("statements", __name__)
EARLIEST = date(2000, 1, 1)


def _day(raw, default: date, notices: list) -> date:
    """A `YYYY-MM-DD` from the query string, between 2000 and today; else `default`, with a notice."""
    raw = (raw or "").strip()
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        value = None
    if value is None:
        notices.append(_("“%(value)s” is not a date (write it as YYYY-MM-DD), so %(day)s is used.",
                         value=raw[:20], day=default.isoformat()))
        return default
    if not EARLIEST <= value <= clock.today():
        notices.append(_("A statement can be made for a day from 2000-01-01 to today, so %(day)s is used.",
                         day=default.isoformat()))
        return default
    return value


def _dates(source) -> tuple[date, date, list]:
    notices: list = []
    today = clock.today()
    as_of = _day(source.get("as_of"), today, notices)
    period_from = _day(source.get("from"), date.fromordinal(as_of.toordinal() - PERIOD_DAYS), notices)
    if period_from > as_of:
        notices.append(_("The payments can only be shown up to the As of date, so they start %(day)s.",
                         day=date.fromordinal(as_of.toordinal() - PERIOD_DAYS).isoformat()))
        period_from = date.fromordinal(as_of.toordinal() - PERIOD_DAYS)
    return as_of, period_from, notices


@bp.route("/statement")
@login_required
def index():
    as_of, period_from, notices = _dates(request.args)
    statement = statement_for(current_user, as_of, period_from)
    args = {"as_of": as_of.isoformat(), "from": period_from.isoformat()}
    return render_template("statements/index.html", statement=statement, notices=notices, args=args,
                           today=clock.today())


@bp.route("/statement.pdf")
@login_required
def pdf():
    as_of, period_from, _notices = _dates(request.args)
    data = render_statement_pdf(statement_for(current_user, as_of, period_from))
    response = send_file(BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"statement-{as_of.isoformat()}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/statement/email")
@login_required
@requires(REQUEST)
def email():
    """Email me the statement: queued as a B2B request, listed on My account."""
    notices: list = []
    raw = (request.form.get("as_of") or "").strip()
    as_of = _day(raw, clock.today(), notices)  # the page sends the day it shows
    if notices or not raw:  # only a crafted or broken form sends another (or none): nothing is requested
        return message_or_back(_("A statement can be emailed for a day from 2000-01-01 to today, written as "
                                 "YYYY-MM-DD. Nothing was requested."), 422, url_for(".index"))
    b2b_request, created = B2BRequest.request_statement(current_user, as_of, locale_name())
    if created:
        flash(_("Requested: the statement of account as of %(day)s will be emailed to %(email)s. Follow it under "
                "B2B requests.", day=as_of.isoformat(), email=b2b_request.email), "success")
    else:
        flash(_("That statement is already requested and will be emailed to %(email)s shortly.",
                email=b2b_request.email), "info")
    return redirect(url_for("account.index", _anchor="b2b-requests"), 303)
