"""The portal form parser on its own, without a database: every rule of controllers/portal_form.py
against values typed by hand, in two number and date formats."""

import datetime
import unittest

from odoo.addons.lead_tracking.controllers.portal_form import MAX_AMOUNT, SEARCH_MAX, PortalForm, clean_search


class Lang:
    """The part of a ``res.lang`` record the parser reads: separators, date format, ``format``."""

    def __init__(self, thousands_sep=",", decimal_point=".", date_format="%m/%d/%Y"):
        self.thousands_sep = thousands_sep
        self.decimal_point = decimal_point
        self.date_format = date_format

    def format(self, percent, value, grouping=False):
        whole, _dot, fraction = (percent % value).partition(".")
        if grouping:
            whole = f"{int(whole):,}".replace(",", self.thousands_sep)
        return whole + (self.decimal_point + fraction if fraction else "")


ENGLISH = Lang()
BELGIAN = Lang(thousands_sep=".", decimal_point=",", date_format="%d/%m/%Y")
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


def form(lang=ENGLISH, **post):
    return PortalForm(post, lang)


class TestCleanSearch(unittest.TestCase):
    def test_clean_search(self):
        self.assertEqual(clean_search(None), "")
        self.assertEqual(clean_search(["a"]), "")
        self.assertEqual(clean_search("  a\tb\r\nc \x00d\x7f "), "a b  c d")
        self.assertEqual(clean_search("x" * (SEARCH_MAX + 5)), "x" * SEARCH_MAX)
        self.assertEqual(SEARCH_MAX, 100)


class TestText(unittest.TestCase):
    def test_trimmed_value_is_kept(self):
        parsed = form(name="  Ann  ")
        self.assertEqual(parsed.text("name", 10), "Ann")
        self.assertEqual((parsed.values, parsed.errors), ({"name": "Ann"}, {}))

    def test_control_characters_and_line_breaks(self):
        parsed = form(a="x\x00y", b="x\ny", c="x\ty", d="one\ntwo\tthree", e="one\n\x1b")
        for name in "abc":
            self.assertIsNone(parsed.text(name, 50))
            self.assertEqual(parsed.errors[name], "Remove the control characters from this field.")
        self.assertEqual(parsed.text("d", 50, multiline=True), "one\ntwo\tthree")
        self.assertIsNone(parsed.text("e", 50, multiline=True))
        self.assertIn("e", parsed.errors)
        self.assertNotIn("d", parsed.errors)

    def test_length(self):
        parsed = form(ok="x" * 5, long="x" * 6)
        self.assertEqual(parsed.text("ok", 5), "xxxxx")
        self.assertIsNone(parsed.text("long", 5))
        self.assertEqual(parsed.errors, {"long": "Keep this field under 5 characters."})

    def test_required(self):
        parsed = form(blank="   ", other=["not", "a", "string"])
        self.assertIsNone(parsed.text("blank", 5, required=True))
        self.assertEqual(parsed.errors["blank"], "This field is required.")
        self.assertIsNone(parsed.text("missing", 5, required=True, message="Name it."))
        self.assertEqual(parsed.errors["missing"], "Name it.")
        # a value that is not a string (a repeated field) reads as empty
        self.assertEqual(parsed.text("other", 5), "")
        self.assertEqual(parsed.values, {"other": ""})


class TestEmailAndPhone(unittest.TestCase):
    def test_email(self):
        parsed = form(good=" ann@example.com ", bad="ann@", blank="")
        self.assertEqual(parsed.email("good"), "ann@example.com")
        self.assertIsNone(parsed.email("bad"))
        self.assertEqual(parsed.errors["bad"], "Give a valid email address.")
        self.assertNotIn("bad", parsed.values)
        self.assertEqual(parsed.email("blank"), "")
        self.assertIsNone(parsed.email("missing", required=True))
        self.assertEqual(parsed.errors["missing"], "Give an email address.")
        self.assertIsNone(form(long="a" * 250 + "@b.co").email("long"))

    def test_phone(self):
        good = ("+32 (0)470 12-34.56", "02/555 55 55 ext. 12", "+1 555 0100 x7", "1234")
        parsed = form(**{f"p{i}": value for i, value in enumerate(good)})
        for index, value in enumerate(good):
            self.assertEqual(parsed.phone(f"p{index}"), value)
        self.assertEqual(parsed.errors, {})
        message = "Give a phone number: digits, spaces and + ( ) - . / only."
        # an extension letter is no digit: "12 x3" has three
        for value in ("123", "12 X3", "call me", "12345 ext", "+32 470 ٣٣٣٣", "1234 ext. 1234567"):
            parsed = form(p=value)
            self.assertIsNone(parsed.phone("p"), value)
            self.assertEqual(parsed.errors, {"p": message}, value)
            self.assertNotIn("p", parsed.values)
        parsed = form(blank="")
        self.assertEqual(parsed.phone("blank"), "")
        self.assertIsNone(parsed.phone("missing", required=True))
        self.assertEqual(parsed.errors["missing"], "Give a phone number.")
        self.assertIsNone(form(p="1" * 65).phone("p"))


class TestAmount(unittest.TestCase):
    def test_empty(self):
        parsed = form(blank=" ")
        self.assertEqual(parsed.amount("blank"), 0.0)
        self.assertEqual(parsed.values, {"blank": 0.0})
        self.assertIsNone(parsed.amount("missing", required=True))
        self.assertIn("missing", parsed.errors)

    def test_formats(self):
        cases = [
            (ENGLISH, "12,500.50", 12500.5),
            (ENGLISH, "12500", 12500.0),
            (ENGLISH, "1\u00a0250 000", 1250000.0),
            (BELGIAN, "12.500,50", 12500.5),
            (BELGIAN, "12500.50", 1250050.0),  # a dot groups thousands in Belgium
            (BELGIAN, "7,25", 7.25),
            (Lang(thousands_sep="", decimal_point="."), "3.5", 3.5),
            (Lang(thousands_sep=".", decimal_point="."), "3.5", 3.5),  # one sign for both: a decimal point
            (ENGLISH, str(int(MAX_AMOUNT)), MAX_AMOUNT),
        ]
        for lang, raw, expected in cases:
            parsed = form(lang, a=raw)
            self.assertEqual(parsed.amount("a"), expected, raw)
            self.assertEqual((parsed.values, parsed.errors), ({"a": expected}, {}), raw)

    def test_refused(self):
        for raw in ("-5", "1e5", "nan", "inf", "12.", ".5", "1.2.3", "abc", str(int(MAX_AMOUNT) + 1), "9" * 400):
            parsed = form(a=raw)
            self.assertIsNone(parsed.amount("a"), raw)
            self.assertEqual(parsed.values, {}, raw)
            self.assertEqual(
                parsed.errors["a"], "Give an amount between 0 and 1,000,000,000,000, for example 12,500.00.", raw
            )
        parsed = form(BELGIAN, a="x")
        parsed.amount("a")
        self.assertEqual(parsed.errors["a"], "Give an amount between 0 and 1.000.000.000.000, for example 12.500,00.")


class TestDate(unittest.TestCase):
    def test_empty(self):
        parsed = form(blank="")
        self.assertIs(parsed.date("blank", START, END), False)
        self.assertEqual(parsed.values, {"blank": False})
        self.assertIsNone(parsed.date("missing", START, END, required=True))
        self.assertEqual(parsed.errors["missing"], "Give a date.")
        self.assertIsNone(parsed.date("other", START, END, required=True, message="When?"))
        self.assertEqual(parsed.errors["other"], "When?")

    def test_formats_and_window(self):
        cases = [
            (ENGLISH, "2026-03-04", datetime.date(2026, 3, 4)),
            (ENGLISH, "03/04/2026", datetime.date(2026, 3, 4)),
            (BELGIAN, "03/04/2026", datetime.date(2026, 4, 3)),
            (ENGLISH, "2026-01-01", START),
            (ENGLISH, " 2026-12-31 ", END),
        ]
        for lang, raw, expected in cases:
            parsed = form(lang, d=raw)
            self.assertEqual(parsed.date("d", START, END), expected, raw)
            self.assertEqual((parsed.values, parsed.errors), ({"d": expected}, {}), raw)
        for raw in ("2025-12-31", "2027-01-01"):
            parsed = form(d=raw)
            self.assertIsNone(parsed.date("d", START, END))
            self.assertEqual(parsed.errors["d"], "Give a date between 01/01/2026 and 12/31/2026.")
            self.assertNotIn("d", parsed.values)
        for raw in ("tomorrow", "2026-02-30", "2026-03-04T10:00", "13/31/2026"):
            parsed = form(d=raw)
            self.assertIsNone(parsed.date("d", START, END), raw)
            self.assertRegex(parsed.errors["d"], r"^Give a date such as \d\d/\d\d/\d{4}\.$", raw)


class TestChoice(unittest.TestCase):
    def test_choice(self):
        allowed = {3, 12}
        parsed = form(a=" 12 ", b="7", c="٣", d="+3", e="", f="1234567890", g="03")
        self.assertEqual(parsed.choice("a", allowed, "Pick one."), 12)
        self.assertEqual(parsed.choice("g", allowed, "Pick one."), 3)
        self.assertIsNone(parsed.choice("e", allowed, "Pick one."))
        self.assertIsNone(parsed.choice("missing", allowed, "Pick one."))
        for name in "bcdf":
            self.assertIsNone(parsed.choice(name, allowed | {1234567890}, "Pick one."), name)
            self.assertEqual(parsed.errors[name], "Pick one.")
        self.assertEqual(parsed.values, {"a": 12, "g": 3})
        self.assertEqual(set(parsed.errors), set("bcdf"))
