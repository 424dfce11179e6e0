"""Blueprints, one per area, and the one helper that decides between a page and its fragment."""
from flask import Flask, make_response, render_template, request


def is_htmx_fragment_request() -> bool:
    """An htmx request that wants a fragment: not boosted, not a history restore."""
    environ = request.environ  # read directly: a missing header costs Werkzeug an exception
    return (
        environ.get("HTTP_HX_REQUEST") == "true"
        and environ.get("HTTP_HX_BOOSTED") != "true"
        and environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true"
    )


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """Render `fragment` alone for htmx, the whole `page` otherwise; caches keep them apart."""
    template = fragment if is_htmx_fragment_request() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def register_blueprints(app: Flask) -> None:
    from . import account, auth, errors, invoices, language, orders, requests
    from . import cart, checkout, gateway, products
    from .context import register_context

    for module in (auth, errors, invoices, account, language, orders, requests):
        app.register_blueprint(module.bp)
    for module in (cart, products, checkout, gateway):
        app.register_blueprint(module.bp)
    register_context(app)
