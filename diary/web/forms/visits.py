"""The clinic visit form: the date, the Fontaine stage seen (docs/clinical.md §7), a note."""

import re
from datetime import date, datetime

from flask_wtf import FlaskForm
from wtforms import SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from diary.clinical import limits, vocab
from diary.services import visits
from diary.web.forms.common import ChoiceField
from diary.web.forms.fields import one_newline, plain_text, strip

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_HELP = "Please give the date like 2025-06-30."
NO_STAGE = "Not staged at this visit"


class VisitForm(FlaskForm):
    visited_on = StringField("Date of the visit", filters=[strip], validators=[
        InputRequired("Please give the date of the visit.")])
    fontaine = ChoiceField("Fontaine stage", choices=[SelectChoice("", NO_STAGE)] + [
        SelectChoice(code, words) for code, words in vocab.FONTAINE.items()],
        validators=[Optional()])
    note = TextAreaField("Note (optional)", filters=[one_newline], validators=[
        Optional(), Length(max=limits.NOTES_MAX,
                           message=f"Please keep the note under {limits.NOTES_MAX} characters."),
        plain_text])

    def day(self) -> date | None:
        text = self.visited_on.data or ""
        try:
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            return None

    def check(self, patient, now: datetime) -> bool:
        """Validate, including the rules that need the patient and the clock (the service's)."""
        ok = self.validate()
        if self.visited_on.data and not self.visited_on.errors and self.day() is None:
            self.visited_on.errors = [*self.visited_on.errors, DATE_HELP]
            ok = False
        if not ok:
            return False
        for name, message in visits.problems(patient, self.values(), now).items():
            self[name].errors = [*self[name].errors, message]
            ok = False
        return ok

    def values(self) -> dict:
        return {"visited_on": self.day(), "fontaine": self.fontaine.data or None,
                "note": self.note.data or ""}

    def fill_from(self, visit) -> None:
        self.visited_on.data = visit.visited_on.isoformat()
        self.fontaine.data = visit.fontaine or ""
        self.note.data = visit.note
