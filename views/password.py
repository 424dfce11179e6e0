"""Passwords and sessions of one's own: Forgot password (a reset link by email), the reset page, and on My account
Change password and Sign out everywhere."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from i18n.formatting import locale_name
from models.password_reset import request_reset, reset_for, reset_password
from models.passwords import MIN_LENGTH, change_password
from models.refusal import Refusal
from . import sessions
from .throttle import reset_gate, sign_in_gate, too_many

bp = Blueprint("password", __name__)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot():
    if request.method == "GET":
        return render_template("auth/forgot.html", email="", sent=False)
    email = (request.form.get("email") or "").strip().lower()[:254]
    if not email or "@" not in email:
        return render_template("auth/forgot.html", email=email, sent=False,
                               error=_("Enter the email address you sign in with.")), 422
    gate = reset_gate(email)
    if not gate.take():
        too_many(gate)
    request_reset(email, locale_name(get_locale()))
    # The same answer whether or not the email is an account's.
    return render_template("auth/forgot.html", email=email, sent=True)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token):
    if reset_for(token) is None:
        return render_template("auth/reset_invalid.html"), 404
    if request.method == "GET":
        return render_template("auth/reset.html", token=token, min_length=MIN_LENGTH)
    try:
        reset_password(token, request.form.get("password") or "", request.form.get("repeat") or "")
    except Refusal as refusal:
        if refusal.code == "reset_link_invalid":
            return render_template("auth/reset_invalid.html"), 404
        return render_template("auth/reset.html", token=token, min_length=MIN_LENGTH, error=refusal.message,
                               field=refusal.field), 422
    if current_user.is_authenticated:
        sessions.forget()
    flash(_("Your new password is set, and every session signed in with the old one has ended. Sign in with "
            "your new password."), "success")
    return redirect(url_for("auth.login"), 303)


@bp.route("/account/password", methods=["POST"])
@login_required
def change():
    user = current_user._get_current_object()
    gate = sign_in_gate(user.email)  # guessing the current password counts as failed sign-ins
    if gate.refused:
        too_many(gate)
    try:
        change_password(user, request.form.get("current") or "", request.form.get("password") or "",
                        request.form.get("repeat") or "")
    except Refusal as refusal:
        if refusal.code == "password_wrong":
            gate.failed()
        flash(refusal.message, "error")
        return redirect(url_for("account.index") + "#h-security", 303)
    sessions.renew(user)
    flash(_("Your password is changed. Every other session signed in as you has ended."), "success")
    return redirect(url_for("account.index"), 303)


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def everywhere():
    sessions.sign_out_everywhere(current_user._get_current_object())
    flash(_("You are signed out on every device."), "success")
    return redirect(url_for("auth.login"), 303)
