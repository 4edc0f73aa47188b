"""A patient's details (adding one, changing them) and their consultant."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, Optional, Regexp

from diary.clinical import limits, vocab
from diary.clinical.localtime import TIMEZONES
from diary.web.forms.common import CHOOSE, choices
from diary.web.forms.fields import plain_text, strip

CHOOSE_CONSULTANT = "Please choose the patient's consultant."


class PatientForm(FlaskForm):
    display_name = StringField("Name", filters=[strip], validators=[
        DataRequired("Please give the patient's name."), Length(max=limits.NAME_MAX), plain_text])
    record_number = StringField("Record number (optional)", filters=[strip], validators=[
        Optional(), Length(max=limits.RECORD_MAX),
        Regexp(limits.RECORD_NUMBER.pattern + r"\Z", message=limits.RECORD_NUMBER_HELP)])
    treated_side = RadioField("Treated side", choices=choices(vocab.SIDES), default="left",
                              invalid_choice_message=CHOOSE)
    condition = SelectField("Condition", choices=choices(vocab.CONDITIONS), default="crps",
                            invalid_choice_message=CHOOSE)
    temp_unit = RadioField("Temperature unit", choices=choices(vocab.TEMP_UNITS), default="C",
                           invalid_choice_message=CHOOSE)
    timezone = SelectField("Time zone", choices=[SelectChoice(z) for z in TIMEZONES],
                           default="Europe/London",
                           invalid_choice_message="Please choose a time zone from the list.")


def _consultant_field(label: str, **kwargs):
    return SelectField(label, choices=[],
                       invalid_choice_message="Please choose one of the clinic's consultants.",
                       **kwargs)


def _as_id(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


def _offer(field, consultants, blank: bool) -> None:
    field.choices = ([SelectChoice("", "Choose the consultant")] if blank else []) + [
        SelectChoice(str(u.id), u.name) for u in consultants]


class NewPatientForm(PatientForm):
    """Adding a patient: their details and the consultant responsible for them."""

    consultant = _consultant_field("Consultant")

    @classmethod
    def for_clinic(cls, consultants, signer_id: int) -> "NewPatientForm":
        """The signer is the default when they are one of the consultants; anyone else (a
        nurse) must choose."""
        mine = any(u.id == signer_id for u in consultants)
        form = cls(consultant=str(signer_id) if mine else "")
        _offer(form.consultant, consultants, blank=not mine)
        return form

    def validate_consultant(self, field):
        if not field.data and not field.errors:
            raise ValidationError(CHOOSE_CONSULTANT)

    @property
    def consultant_id(self) -> int | None:
        return _as_id(self.consultant.data)


class HandoverForm(FlaskForm):
    """Hand the patient over: any of the clinic's other consultants (the service says why
    another choice is refused)."""

    consultant = _consultant_field("New consultant", validate_choice=False)

    @classmethod
    def for_patient(cls, consultants, current_id: int) -> "HandoverForm":
        form = cls(consultant="")
        _offer(form.consultant, [u for u in consultants if u.id != current_id], blank=True)
        return form

    def validate_consultant(self, field):
        if not field.data:
            raise ValidationError("Please choose the consultant to hand the patient over to.")

    @property
    def consultant_id(self) -> int | None:
        return _as_id(self.consultant.data)
