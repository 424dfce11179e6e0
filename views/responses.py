"""The few ways a view answers, each in one place: a page or its fragment, a message into the page's message
area, a redirect that works for htmx and for plain requests, and the safe way back to where a form came from.

htmx requests that want a fragment are those that are not boosted and not a history restore (a restored
history entry must be a whole page); every answer that can be either says so with `Vary: HX-Request`.
"""
from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from flask import abort, flash, make_response, redirect, render_template, request
from peewee import DoesNotExist


def from_htmx() -> bool:
    """Any request htmx made (it will follow HX-Redirect rather than a 3xx)."""
    return request.headers.get("HX-Request") == "true"


def is_htmx() -> bool:
    """An htmx request that wants a fragment: not boosted, not a history restore."""
    headers = request.headers
    return (from_htmx() and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


def page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """Render `fragment` alone for htmx, the whole `page` otherwise; caches keep them apart."""
    response = make_response(render_template(fragment if is_htmx() else page, **context), status)
    response.vary.add("HX-Request")
    return response


def message(text: str, status: int, *, category: str = "error", title: str | None = None):
    """For htmx: `text` swapped into the page's message area (#messages), whatever the request targeted."""
    response = make_response(render_template("_message.html", message=text, category=category, title=title),
                             status)
    response.headers["HX-Retarget"] = "#messages"
    response.headers["HX-Reswap"] = "innerHTML"
    response.vary.add("HX-Request")
    return response


def message_or_back(text: str, status: int, default: str, *, category: str = "error"):
    """A message in place for htmx; for a plain form, the message flashed on the page it came from."""
    if is_htmx():
        return message(text, status, category=category)
    flash(text, category)
    return redirect(back(default), 303)


def redirect_to(url: str):
    """303 to `url`; an htmx request is sent there as a whole page load (HX-Redirect)."""
    if from_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def split_url(text: str | None) -> SplitResult | None:
    """`text` (a Referer, HX-Current-URL or `next` a client sent) split into its parts; None when it is not a
    URL at all (urlsplit raises on some, such as an unclosed "[" of an IPv6 host)."""
    try:
        return urlsplit(text or "")
    except ValueError:
        return None


def back(default: str) -> str:
    """Where a plain form POST returns to: the page it came from, if it is one of ours."""
    parts = split_url(request.referrer)
    if parts is None:
        return default
    if parts.netloc and parts.netloc != request.host:
        return default
    path = parts.path or ""
    if not path.startswith("/") or path.startswith("//"):
        return default
    return path + ("?" + parts.query if parts.query else "")


def found_or_404(lookup, *args):
    """`lookup(*args)` — a model's own look-up under its visibility rule — or 404 when it finds nothing: what an
    unknown identifier, or another company's, answers everywhere."""
    try:
        return lookup(*args)
    except DoesNotExist:
        abort(404)
