"""One blueprint per area; the shared ways of answering are in responses.py, template helpers in context.py."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import (account, api, auth, cart, checkout, credit_notes, errors, gateway, input_guard, invoices, language,
                   orders, password, payments, products, requests, statements, users)
    from .context import register_context

    # input_guard first: its check runs before every other blueprint's.
    for module in (input_guard, auth, errors, invoices, credit_notes, account, language, orders, requests, cart,
                   products, checkout, gateway, statements, payments, password, users):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp)
    app.extensions["csrf"].exempt(api.bp)  # token-authenticated JSON: no cookie can authorize a call
    register_context(app)
