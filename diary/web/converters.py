"""URL converters: every `<int:...>` in a route is a row id that the database can hold.

Werkzeug's own `int` matches any length of digits, in any script (`int("١٢")` is 12), and a
number past the column's type made the database raise: a 500 on SQLite past 2^63, and on
PostgreSQL past 2^31, where ids are `integer`. Here such a path matches no route, so it is a
404, the same as an id that is not there (or not yours).
"""

from flask import Flask
from werkzeug.routing import IntegerConverter, ValidationError

from diary.clinical.limits import ID_MAX


class IdConverter(IntegerConverter):
    """`int`, in ASCII digits and at most `ID_MAX` unless a rule gives its own `max`."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> int:
        if self.max is not None and len(value.lstrip("-0")) > len(str(self.max)):
            raise ValidationError()  # and never int() of a 5,000-digit string
        return super().to_python(value)


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: a rule takes its converter when added."""
    app.url_map.converters["int"] = IdConverter
