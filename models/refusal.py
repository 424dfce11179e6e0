"""A refusal: something the rules do not allow, raised before anything was written.

Models raise `Refusal(code, **params)`; the sentence a person reads is made in one place,
i18n/refusals.py, from the code and the params (amounts stay `Decimal` with their currency until then),
so the same refusal reads right on a page, in an htmx message and in the user's language.
"""
from __future__ import annotations


class Refusal(Exception):
    """`code` names the rule; `params` hold what the message shows; `field` the form field it is about."""

    def __init__(self, code: str, field: str | None = None, **params):
        super().__init__(f"{code}: {params}" if params else code)
        self.code, self.field, self.params = code, field, params

    @property
    def message(self) -> str:
        """The sentence for the reader, in the current language."""
        from i18n.refusals import refusal_text

        return refusal_text(self)

    def __str__(self) -> str:
        return self.message
