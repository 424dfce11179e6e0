"""Sign in and sign out (sessions: views/sessions.py; throttling: views/throttle.py)."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import db
from models.activity import SIGN_IN, SIGN_IN_FAILED, record
from models.customer import User
from models.passwords import verify_password
from . import sessions
from .responses import from_htmx, redirect_to, split_url
from .throttle import sign_in_gate

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """`next` only ever leads to a path on this site."""
    if not target or len(target) > 2000:
        return None
    target = target.strip()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):  # browsers drop tabs and newlines: "/\t/evil"
        return None
    parts = split_url(target)
    if parts is None or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/")
def home():
    return redirect(url_for("invoices.index") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("invoices.index"))
    error = None
    status = 200
    email = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()[:254]
        password = request.form.get("password") or ""
        gate = sign_in_gate(email)
        if gate.refused:
            # The same answer for every email, existing or not, right password or not; no password is checked.
            error = _("Too many failed sign-ins. For your security, wait 15 minutes and try again, or set a new "
                      "password with Forgot password?")
            response = render_template("auth/login.html", error=error, email=email, next_url=next_url)
            return response, 429, {"Retry-After": str(gate.retry_after())}
        user = User.get_or_none(User.email == email) if email else None
        if verify_password(user, password):  # an unknown email costs the same time (a dummy hash)
            if not user.active:
                error = _("This account has been deactivated. Ask your company's administrator if you need access.")
                return render_template("auth/login.html", error=error, email=email, next_url=next_url), 403
            with db.atomic():
                record(SIGN_IN, user)
                sessions.sign_in(user, kept=bool(request.form.get("remember")))
            return redirect(next_url or url_for("invoices.index"), 303)
        gate.failed()
        if user is not None:
            record(SIGN_IN_FAILED, user)
        error = _("That email and password do not match an account. Check both and try again.")
        status = 422
    return render_template("auth/login.html", error=error, email=email, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout():
    sessions.sign_out(current_user._get_current_object())
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"), 303)


def unauthorized():
    """Not signed in (or the session expired). htmx is sent to the sign-in page as a whole page (never a
    sign-in form swapped into a table), back to the page it was on (with its filters). A session that ended
    (idle, too old, signed out elsewhere) says so on the sign-in page."""
    if g.get("session_ended"):
        sessions.forget()
        flash(_("Your session expired. Sign in again to continue."), "info")
    if from_htmx():
        current = split_url(request.headers.get("HX-Current-URL"))
        back = current.path + ("?" + current.query if current.query else "") if current and current.path else None
        return redirect_to(url_for("auth.login", next=safe_next(back)))
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return redirect(url_for("auth.login"), 303)
