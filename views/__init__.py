"""One blueprint per area; the shared ways of answering are in responses.py, template helpers in context.py."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import (account, api, auth, cart, checkout, credit_notes, errors, gateway, invoices, language, orders, payments,
                   products, requests, statements)
    from .context import register_context

    for module in (auth, errors, invoices, credit_notes, account, language, orders, requests, cart, products, checkout,
                   gateway, statements, payments):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp)
    app.extensions["csrf"].exempt(api.bp)  # token-authenticated JSON: no cookie can authorize a call
    register_context(app)
