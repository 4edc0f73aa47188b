"""Adding a patient."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from diary.clinical import limits, vocab
from diary.clinical.localtime import TIMEZONES
from diary.web.forms.common import CHOOSE, choices
from diary.web.forms.fields import plain_text, strip


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
