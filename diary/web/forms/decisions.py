"""The consultant's decision on a block: agree or not with the verdict, why not, the plan, its
date and a note. The rules are the service's (`decisions.check`, shared with the API); this
form reads what was typed and puts each message by its field."""

import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from diary.clinical import limits, vocab
from diary.services import decisions
from diary.web.forms.common import ChoiceField
from diary.web.forms.fields import one_newline, plain_text, strip

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
AGREE = {"yes": "I agree with the verdict", "no": "I do not agree with the verdict"}
AGREE_MISSING = "Please say whether you agree with the verdict."
PLAN_MISSING = "Please choose a plan."
DATE_HELP = "Please give the date like 2027-01-12."


def _length(what: str) -> Length:
    return Length(max=limits.NOTES_MAX,
                  message=f"Please keep the {what} under {limits.NOTES_MAX} characters.")


class DecisionForm(FlaskForm):
    agrees = ChoiceField("The computed verdict", choices=[
        SelectChoice(code, words) for code, words in AGREE.items()],
        validators=[InputRequired(AGREE_MISSING)])
    reason = TextAreaField("Why you do not agree (needed if you do not agree)",
                           filters=[strip, one_newline],
                           validators=[Optional(), _length("reason"), plain_text])
    plan = ChoiceField("The plan", choices=[
        SelectChoice(code, words) for code, words in vocab.DECISION_PLANS.items()],
        validators=[InputRequired(PLAN_MISSING)])
    planned_on = StringField("Date of the repeat block", filters=[strip])
    note = TextAreaField("Note (optional)", filters=[strip, one_newline],
                         validators=[Optional(), _length("note"), plain_text])

    def day(self) -> date | None:
        text = self.planned_on.data or ""
        return decisions.parse_date(text) if _DATE.fullmatch(text) else None

    def check(self, today: date) -> bool:
        """Validate the fields, then the service's rules (the patient's today for the date),
        so that every field at fault says so at once; one message a field."""
        ok = self.validate()
        if self.planned_on.data and self.day() is None:
            self.planned_on.errors = [*self.planned_on.errors, DATE_HELP]
            ok = False
        return self.put(decisions.check(self.values(), today)) and ok

    def put(self, errors: dict[str, str]) -> bool:
        """The service's messages by their fields (not where one is shown already); True
        when there are none."""
        for name, message in errors.items():
            if not self[name].errors:
                self[name].errors = [*self[name].errors, message]
        return not errors

    def values(self) -> dict:
        return {"agrees": {"yes": True, "no": False}.get(self.agrees.data),
                "reason": self.reason.data or "",
                "plan": self.plan.data, "planned_on": self.day(),
                "note": self.note.data or ""}

    def fill_from(self, decision) -> None:
        self.agrees.data = "yes" if decision.agrees else "no"
        self.reason.data = decision.reason
        self.plan.data = decision.plan
        self.planned_on.data = decision.planned_on.isoformat() if decision.planned_on else ""
        self.note.data = decision.note
