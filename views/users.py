"""A company's users, for its Admins: the Users page (invite, edit roles, deactivate, resend or revoke an
invitation), the activity log, and the invitation link where a new user sets a password.

What a role may do is decided in models/roles.py; every view here refuses with 403 (views/permissions.py) what
the signed-in user may not do, and another company's user or invitation answers 404.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from i18n.activity import activity_text
from i18n.formatting import locale_name
from models import clock
from models import invitation as invitations
from models.activity import GROUPS, activity_page
from models.customer import User
from models.refusal import Refusal
from models.roles import MANAGE_USERS, ROLES, SEE_ACTIVITY, parse_roles
from models.users import change_roles, company_user, company_users, set_active
from . import sessions
from .permissions import requires
from .throttle import invitation_limit

bp = Blueprint("users", __name__)


@bp.route("/account/users")
@login_required
@requires(MANAGE_USERS)
def index():
    return render_template("users/index.html", users=company_users(current_user.customer_id),
                           invitations=invitations.pending_for(current_user.customer_id),
                           now=clock.utcnow())


def _invite_page(values=None, error: Refusal | None = None, status: int = 200):
    return render_template("users/invite.html", roles=ROLES, values=values or {"roles": ["viewer"]},
                           error=error), status


@bp.route("/account/users/invite")
@login_required
@requires(MANAGE_USERS)
def invite_form():
    return _invite_page()


@bp.post("/account/users/invite")
@login_required
@requires(MANAGE_USERS)
@invitation_limit
def invite():
    values = {"email": (request.form.get("email") or "")[:300], "name": (request.form.get("name") or "")[:300],
              "roles": request.form.getlist("roles")[:10]}
    try:
        invitation = invitations.invite(current_user, values["email"], values["name"], values["roles"],
                                        locale_name())
    except Refusal as error:
        return _invite_page(values, error, 422)
    flash(_("Invitation sent to %(email)s. The link in it works once, for 7 days.", email=invitation.email),
          "success")
    return redirect(url_for(".index"), 303)


def _user_or_404(user_id) -> User:
    try:
        return company_user(current_user, user_id)
    except User.DoesNotExist:
        abort(404)


@bp.route("/account/users/<int:user_id>/roles")
@login_required
@requires(MANAGE_USERS)
def roles_form(user_id):
    user = _user_or_404(user_id)
    return render_template("users/roles.html", user=user, roles=ROLES, chosen=parse_roles(user.roles), error=None)


@bp.post("/account/users/<int:user_id>/roles")
@login_required
@requires(MANAGE_USERS)
def save_roles(user_id):
    user = _user_or_404(user_id)
    chosen = request.form.getlist("roles")[:10]
    try:
        change_roles(current_user, user.id, chosen)
    except Refusal as error:
        return render_template("users/roles.html", user=user, roles=ROLES, chosen=set(chosen), error=error), 422
    flash(_("The roles of %(email)s are saved.", email=user.email), "success")
    return redirect(url_for(".index"), 303)


def _set_active(user_id, active: bool):
    user = _user_or_404(user_id)
    try:
        set_active(current_user, user.id, active)
    except Refusal as error:
        flash(error.message, "error")
        return redirect(url_for(".index"), 303)
    flash(_("%(email)s is deactivated: signed out now and cannot sign in.", email=user.email) if not active else
          _("%(email)s is active again and can sign in.", email=user.email), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/account/users/<int:user_id>/deactivate")
@login_required
@requires(MANAGE_USERS)
def deactivate(user_id):
    return _set_active(user_id, False)


@bp.post("/account/users/<int:user_id>/reactivate")
@login_required
@requires(MANAGE_USERS)
def reactivate(user_id):
    return _set_active(user_id, True)


def _invitation_action(invitation_id, act):
    try:
        invitation = act(invitation_id)
    except invitations.Invitation.DoesNotExist:
        abort(404)
    except Refusal as error:
        flash(error.message, "error")
        return None
    return invitation


@bp.post("/account/invitations/<int:invitation_id>/resend")
@login_required
@requires(MANAGE_USERS)
def resend(invitation_id):
    invitation = _invitation_action(
        invitation_id, lambda i: invitations.resend(current_user, i, locale_name()))
    if invitation is not None:
        flash(_("The invitation to %(email)s was sent again with a new link, valid for 7 days. The old link no "
                "longer works.", email=invitation.email), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/account/invitations/<int:invitation_id>/revoke")
@login_required
@requires(MANAGE_USERS)
def revoke(invitation_id):
    invitation = _invitation_action(invitation_id, lambda i: invitations.revoke(current_user, i))
    if invitation is not None:
        flash(_("The invitation to %(email)s is revoked; its link no longer works.", email=invitation.email),
              "success")
    return redirect(url_for(".index"), 303)


# The activity log --------------------------------------------------------------------------------------------
@bp.route("/account/activity")
@login_required
@requires(SEE_ACTIVITY)
def activity():
    notices = []
    group = (request.args.get("kind") or "").strip()
    if group and group not in GROUPS:
        notices.append(_("There is no kind of activity called “%(kind)s”, so everything is shown.", kind=group[:40]))
        group = ""
    raw_page = (request.args.get("page") or "").strip()
    page = 1
    if raw_page:
        if raw_page.isdigit() and len(raw_page) <= 9 and int(raw_page) >= 1:
            page = int(raw_page)
        else:
            notices.append(_("“%(page)s” is not a page number, so the first page is shown.", page=raw_page[:20]))
    found = activity_page(current_user.customer_id, group or None, page)
    if found.page < page:
        notices.append(_("There are only %(num)s pages, so the last one is shown.", num=found.pages))
    return render_template("users/activity.html", found=found, groups=list(GROUPS), group=group, notices=notices,
                           activity_text=activity_text)


# The invitation link -----------------------------------------------------------------------------------------
@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token):
    invitation = invitations.find(token)
    state = invitation.state() if invitation is not None else invitations.UNKNOWN
    if state != invitations.PENDING:
        return _closed(state)
    error = None
    if request.method == "POST":
        try:
            user = invitations.accept(token, request.form.get("password") or "", request.form.get("repeat") or "")
        except Refusal as refusal:
            if refusal.code.startswith("invitation_"):
                return _closed(refusal.code.removeprefix("invitation_"))
            error = refusal
        else:
            sessions.sign_in(user, kept=False)
            flash(_("Welcome, %(name)s. Your password is set and you are signed in.", name=user.name), "success")
            return redirect(url_for("invoices.index"), 303)
    response = render_template("users/accept.html", invitation=invitation, error=error,
                               company=invitation.customer.name)
    return response, (422 if error else 200), {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _closed(state: str):
    """The page of a link that cannot be used any more (or never could), saying why and what to do."""
    message = Refusal(f"invitation_{state}").message
    status = 404 if state == invitations.UNKNOWN else 410
    return render_template("users/closed.html", message=message, state=state), status, {
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
