"""CSV exports (one patient, or the clinic over a range of dates) and imports."""

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectChoice, StringField

from diary.clinical import limits
from diary.data.exports import DateRange

WHAT_LABELS = {"entries": "Diary entries", "blocks": "Blocks",
               "block-summary": "Block summary (the analysis of each block)"}
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
        day, problem = limits.parse_day(text)
        if problem:
            field.errors = [*field.errors, problem]
        return day


class ImportForm(FlaskForm):
    entries = FileField("Diary entries (CSV)")
    blocks = FileField("Blocks (CSV, optional)")
