"""Form fields that read numbers written with ASCII digits only, keeping what was typed."""

from datetime import datetime

from wtforms import SelectMultipleField, StringField, ValidationError, widgets

from diary.clinical import limits, units
from diary.clinical.localtime import parse_local


class _NumberText(StringField):
    parse = staticmethod(units.parse_int)
    message = "Please type a whole number, like 12."

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.raw = text[:20]  # shown back to correct; a number is never longer
        # Parse all of it: parsing only the shown part would accept "12<spaces>junk".
        self.data = self.parse(text) if text else None
        if text and self.data is None:
            raise ValueError(self.message)

    def _value(self):
        raw = getattr(self, "raw", None)
        if raw is not None:
            return raw
        return "" if self.data is None else self.format(self.data)

    @staticmethod
    def format(value):
        return str(value)


class WholeNumberField(_NumberText):
    pass


class DecimalTextField(_NumberText):
    parse = staticmethod(units.parse_decimal)
    message = "Please type a number, like 31.5."

    @staticmethod
    def format(value):
        return f"{value:.1f}"


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def check_temperatures(fields, unit: str, celsius: dict, warnings: dict) -> bool:
    """Check typed skin temperatures (docs/clinical.md §4); fill °C values and warnings
    by field name, put errors on the fields; False if any was refused."""
    ok = True
    for field in fields:
        if field.data is None or field.errors:
            continue
        result = units.check_skin_temp(field.data, unit)
        if result.error:
            field.errors = [*field.errors, result.error]
            ok = False
        else:
            celsius[field.name] = result.celsius
            if result.warning:
                warnings[field.name] = result.warning
    return ok


def plain_text(form, field):
    if limits.has_control(field.data):
        raise ValidationError("Please remove the special (control) characters.")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def one_newline(value):
    """CRLF (and a lone CR) to LF, as the patient's browser counted them."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def local_time(form, field, tz: str) -> datetime | None:
    """Read a typed local time with the one parser; on refusal put its message on the field.

    A time that happened twice is kept as the first; `form.twice` then says which was taken.
    """
    parsed = parse_local(field.data, tz)
    form.twice = parsed.twice
    if parsed.error and not field.errors:  # "Please give the time." may say it already
        field.errors = [*field.errors, parsed.error]
    return parsed.when
