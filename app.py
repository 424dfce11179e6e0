"""Settle — the B2B invoice portal. `create_app()` builds the Flask app; `app` is what `flask --app app` finds."""
from __future__ import annotations

import gc
import os
import secrets
from pathlib import Path

from flask import Flask, g
from flask_babel import Babel
from flask_login import LoginManager

from models import db, open_database
from models.customer import User
from views.language import select_locale
from views.stack import SettleCSRFProtect, SettleFlask, StandardHeaders, session_identifier

BASE_DIR = Path(__file__).resolve().parent
LANGUAGES = ("en", "nb", "pl")

csrf = SettleCSRFProtect()
login_manager = LoginManager()
babel = Babel()


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    app = SettleFlask(__name__, instance_path=str(BASE_DIR / "instance"), instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    development = os.environ.get("SETTLE_ENV", "development") == "development"
    app.config.update(
        SECRET_KEY=None,
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'portal.db'}",
        SETTLE_ENV="development" if development else "production",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not development,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=not development,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES=str(BASE_DIR / "translations"),
        LANGUAGES=LANGUAGES,
        MAIL_SERVER=os.environ.get("MAIL_SERVER"),
        MAIL_PORT=int(os.environ.get("MAIL_PORT") or 25),
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME"),
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD"),
        MAIL_USE_TLS=(os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")),
        MAIL_DEFAULT_SENDER=os.environ.get("MAIL_DEFAULT_SENDER") or "invoices@settle.localhost",
        MAIL_OUTBOX=os.environ.get("MAIL_OUTBOX") or str(instance / "outbox"),
        REDIS_URL=os.environ.get("REDIS_URL"),
        PAYMENT_GATEWAY=os.environ.get("PAYMENT_GATEWAY") or ("test" if development else ""),
        # Scripts only from our own files (no inline script, no eval); a real payment provider's page
        # is reached by redirect, so add its origin to form-action when one is configured.
        CONTENT_SECURITY_POLICY=(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
            + (" " + os.environ["PAYMENT_GATEWAY_ORIGIN"] if os.environ.get("PAYMENT_GATEWAY_ORIGIN") else "")
        ),
        SELLER_NAME="Settle Supply AS",
        SELLER_ADDRESS="Postboks 100 Sentrum\n0101 Oslo\nNorway",
    )
    if config:
        app.config.update(config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(instance)

    db.initialize(open_database(app.config["DATABASE_URL"]))

    from views.session import SessionInterface

    app.session_interface = SessionInterface()

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)  # views/language.py
    login_manager.init_app(app)
    login_manager._session_identifier_generator = session_identifier  # Flask-Login's hook for it
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id):
        return User.for_login(user_id)

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    app.wsgi_app = StandardHeaders(app.wsgi_app, {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": app.config["CONTENT_SECURITY_POLICY"],
    })

    @app.after_request
    def _private(response):
        # Invoices and balances are private: whatever was made for a signed-in user is never kept by
        # shared caches or on disk. (Flask-Login keeps the request's user in g once anything asked.)
        user = g.get("_login_user")
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    from views import register_blueprints
    from views.auth import unauthorized

    login_manager.unauthorized_handler(unauthorized)

    register_blueprints(app)

    from cli import register_commands

    register_commands(app)

    return app


app = create_app()
# What is built by now (the app, its templates' code, the libraries) lives as long as the process. Frozen, the
# garbage collector stops walking those ~170,000 objects at every full collection: a pause of several
# milliseconds every few dozen requests, which showed in the list's p99.
gc.freeze()
