"""CSV exports (one patient, or the clinic over a range of dates) and imports."""

import re
from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectChoice, StringField

from diary.clinical import limits
from diary.data.exports import DateRange

WHAT_LABELS = {"entries": "Diary entries", "blocks": "Blocks",
               "block-summary": "Block summary (the analysis of each block)"}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_INPUT = {"type": "date", "min": limits.FIRST_DATE.isoformat(),
               "max": limits.LAST_DATE.isoformat()}


class ExportForm(FlaskForm):
    include_deleted = BooleanField("Include deleted entries and blocks "
                                   "(adds a deleted_at column)")


class ClinicExportForm(ExportForm):
    what = RadioField("What to export", default="entries",
                      choices=[SelectChoice(k, v) for k, v in WHAT_LABELS.items()])
    date_from = StringField("From (optional)", render_kw=_DATE_INPUT)
    date_to = StringField("To (optional)", render_kw=_DATE_INPUT)

    def dates(self) -> DateRange | None:
        """The range, or None with the fields' errors set."""
        first, last = self._date(self.date_from), self._date(self.date_to)
        if self.date_from.errors or self.date_to.errors:
            return None
        if first and last and first > last:
            self.date_to.errors = ["The end date is before the start date."]
            return None
        return DateRange(first, last)

    @staticmethod
    def _date(field) -> date | None:
        text = (field.data or "").strip()
        if not text:
            return None
        try:
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError:
            field.errors = [*field.errors, "Please give a date like 2025-06-30."]
            return None
        if not limits.date_in_range(day):  # year 1 or 9999 overflowed as a UTC bound
            field.errors = [*field.errors, limits.DATE_RANGE_HELP]
            return None
        return day


class ImportForm(FlaskForm):
    entries = FileField("Diary entries (CSV)")
    blocks = FileField("Blocks (CSV, optional)")
