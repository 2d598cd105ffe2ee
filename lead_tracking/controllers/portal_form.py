"""What resellers type in the portal, checked before anything reaches the database.

Every field of a portal form goes through :class:`PortalForm`: control characters (a NUL byte makes
PostgreSQL refuse the query), lengths, numbers within a monetary range, dates strictly parsed and
within a sensible window, ids written in ASCII digits. A bad value becomes an error message for the
form, shown again with what the reseller typed, and nothing is written.
"""

import datetime
import math
import re

from odoo import _, fields
from odoo.tools import email_normalize

# C0 control characters and DEL; tabs and line breaks are allowed in multi-line texts only.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\t\r\n]")
_ASCII_ID = re.compile(r"[0-9]{1,9}")
# A phone number as people write it: digits, spaces, + ( ) - . / and an extension.
_PHONE = re.compile(r"\+?[0-9 ().\-/]+((x|ext\.?) ?[0-9]{1,6})?", re.IGNORECASE)
MAX_AMOUNT = 1e12  # far above any deal, far below what a float or numeric(16, 2) refuses
SEARCH_MAX = 100


def clean_search(value):
    """A search term safe for a query: control characters dropped, at most SEARCH_MAX characters."""
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", value)).strip()[:SEARCH_MAX]


class PortalForm:
    """The values of one posted form: each ``text``/``amount``/``date``/``choice`` call reads a field,
    records the cleaned value in ``values`` or a message in ``errors``."""

    def __init__(self, post, lang):
        self.post = post
        self.lang = lang
        self.values = {}
        self.errors = {}

    def _raw(self, name):
        value = self.post.get(name)
        return value if isinstance(value, str) else ""

    def text(self, name, max_length, required=False, multiline=False, message=None):
        """A text of at most ``max_length`` characters, trimmed."""
        value = self._raw(name).strip()
        if _CONTROL.search(value) or (not multiline and _LINE_BREAKS.search(value)):
            self.errors[name] = _("Remove the control characters from this field.")
        elif len(value) > max_length:
            self.errors[name] = _("Keep this field under %(count)s characters.", count=max_length)
        elif required and not value:
            self.errors[name] = message or _("This field is required.")
        else:
            self.values[name] = value
        return self.values.get(name)

    def email(self, name, max_length=254, required=False):
        """An email address, or empty unless ``required``."""
        value = self.text(name, max_length, required=required, message=_("Give an email address."))
        if value and not email_normalize(value):
            self.errors[name] = _("Give a valid email address.")
            self.values.pop(name, None)
        return self.values.get(name)

    def phone(self, name, max_length=64, required=False):
        """A phone number (digits, spaces, + ( ) - . / and an extension; at least 4 digits), or empty."""
        value = self.text(name, max_length, required=required, message=_("Give a phone number."))
        if value and (not _PHONE.fullmatch(value) or sum(char in "0123456789" for char in value) < 4):
            self.errors[name] = _("Give a phone number: digits, spaces and + ( ) - . / only.")
            self.values.pop(name, None)
        return self.values.get(name)

    def amount(self, name, required=False):
        """A non-negative amount (in the reader's number format, or plain digits with a dot)."""
        raw = self._raw(name).strip()
        if not raw and not required:
            self.values[name] = 0.0
            return 0.0
        text = raw.replace("\u00a0", "").replace(" ", "")
        if self.lang.thousands_sep and self.lang.thousands_sep != self.lang.decimal_point:
            text = text.replace(self.lang.thousands_sep, "")
        text = text.replace(self.lang.decimal_point, ".")
        try:
            if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
                raise ValueError(text)
            amount = float(text)
            if not math.isfinite(amount) or amount > MAX_AMOUNT:
                raise ValueError(text)
        except ValueError:
            self.errors[name] = _("Give an amount between 0 and %(max)s, for example %(example)s.",
                                  max=self.lang.format("%.0f", MAX_AMOUNT, grouping=True),
                                  example=self.lang.format("%.2f", 12500, grouping=True))
            return None
        self.values[name] = amount
        return amount

    def date(self, name, earliest, latest, required=False, message=None):
        """A date between ``earliest`` and ``latest``: as a date field sends it (YYYY-MM-DD) or in the
        reader's date format, nothing more and nothing less."""
        raw = self._raw(name).strip()
        if not raw:
            if required:
                self.errors[name] = message or _("Give a date.")
            else:
                self.values[name] = False
            return self.values.get(name)
        value = None
        for pattern in ("%Y-%m-%d", self.lang.date_format):
            try:
                value = datetime.datetime.strptime(raw, pattern).date()
                break
            except ValueError:
                continue
        example = fields.Date.today().strftime(self.lang.date_format)
        if value is None:
            self.errors[name] = _("Give a date such as %(example)s.", example=example)
        elif not earliest <= value <= latest:
            self.errors[name] = _(
                "Give a date between %(start)s and %(end)s.",
                start=earliest.strftime(self.lang.date_format), end=latest.strftime(self.lang.date_format),
            )
        else:
            self.values[name] = value
        return self.values.get(name)

    def choice(self, name, allowed, message):
        """The id of one of the ``allowed`` ids, written in ASCII digits."""
        raw = self._raw(name).strip()
        if not raw:
            return None
        if not _ASCII_ID.fullmatch(raw) or int(raw) not in allowed:
            self.errors[name] = message
            return None
        self.values[name] = int(raw)
        return self.values[name]
