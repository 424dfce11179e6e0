"""Settle — the B2B invoice portal. `create_app()` builds the Flask app; `app` is what `flask --app app` finds."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from i18n.formatting import check_zone
from models import db, open_database
from services.seller import DEFAULTS as SELLER_DEFAULTS
from services.seller import seller_from
from views.language import select_locale, select_timezone

BASE_DIR = Path(__file__).resolve().parent
LANGUAGES = ("en", "nb", "pl")

csrf = CSRFProtect()
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
    app = Flask(__name__, instance_path=str(BASE_DIR / "instance"), instance_relative_config=True)
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
        # The largest request body read (a bigger one answers 413 before it is read); 1 MB.
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH") or 1024 * 1024),
        PORTAL_URL=os.environ.get("PORTAL_URL") or "http://127.0.0.1:5000",  # links in emails start with it
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        BABEL_DEFAULT_LOCALE="en",
        # Times are shown in the customer's zone by its country (NO, PL); this for every other reader.
        SETTLE_TIME_ZONE=os.environ.get("SETTLE_TIME_ZONE") or "Europe/Oslo",
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
        # Rendered invoice-list pages (views/invoices.py): shared through Redis when REDIS_URL is set, else kept
        # per process; RENDER_CACHE_MB=0 turns it off.
        # The back office API (views/api.py): calls a minute per token; the largest body it takes (the import).
        API_RATE_LIMIT=int(os.environ.get("API_RATE_LIMIT") or 600),
        API_MAX_CONTENT_LENGTH=int(os.environ.get("API_MAX_CONTENT_LENGTH") or 64 * 1024 * 1024),
        RENDER_CACHE_MB=float(os.environ.get("SETTLE_RENDER_CACHE_MB", "16")),
        # Its keys' prefix in Redis (two portals, or test runs, sharing one Redis keep apart by it).
        RENDER_CACHE_KEY_PREFIX=os.environ.get("SETTLE_RENDER_CACHE_PREFIX") or "settle:rendered:",
        # The seller printed on every invoice and e-invoice (services/seller.py; demo values by default).
        **{name: os.environ.get(name) or default for name, default in SELLER_DEFAULTS.items()},
    )
    if config:
        app.config.update(config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(instance)
    seller_from(app.config)  # a bad SELLER_* setting stops the start, naming the setting
    app.config["BABEL_DEFAULT_TIMEZONE"] = check_zone(app.config["SETTLE_TIME_ZONE"])

    database = open_database(app.config["DATABASE_URL"])
    db.initialize(database)
    app.extensions["settle_database"] = database

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)  # views/language.py
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    from views import sessions, throttle

    sessions.init_app(app, login_manager)  # the user loader, session lifetimes
    throttle.init_app(app)  # Flask-Limiter: sign-in, forgot password, invitations

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    standard_headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": app.config["CONTENT_SECURITY_POLICY"],
    }

    @app.after_request
    def _headers(response):
        for name, value in standard_headers.items():
            response.headers.setdefault(name, value)
        # Invoices and balances are private: whatever was made for a signed-in user is never kept by
        # shared caches or on disk.
        if (request.endpoint != "static" and "Cache-Control" not in response.headers
                and current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    from views import register_blueprints, rendered_cache

    rendered_cache.init_app(app)
    from views.auth import unauthorized

    login_manager.unauthorized_handler(unauthorized)

    register_blueprints(app)

    from cli import register_commands

    register_commands(app)

    return app


app = create_app()
