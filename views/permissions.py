"""Refusing what a user's roles do not allow (models/roles.py): 403 with a message, nothing written."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from models.roles import may


def requires(action: str):
    """A view decorator: the view runs only if the signed-in user may do `action`; otherwise 403."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not may(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
