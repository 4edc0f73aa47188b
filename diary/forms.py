"""Every form of the app: the one place field rules live."""

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, Regexp

from . import units, vocab
from .fields import (
    DecimalTextField,
    MultiCheckboxField,
    WholeNumberField,
    check_temperatures,
    one_newline,
    plain_text,
    strip,
)

# \Z, not $: "$" also matches before a final newline, letting "<uuid>\n" through.
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"
CHOOSE = "Please choose one of the answers shown."
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
TIMEZONES = sorted(available_timezones() - {"localtime", "Factory"})


def choices(mapping) -> list[SelectChoice]:
    return [SelectChoice(code, words) for code, words in mapping.items()]


class SignInForm(FlaskForm):
    email = StringField("Email or user name", filters=[strip],
                        validators=[DataRequired("Please type your email or user name."),
                                    Length(max=254), plain_text])
    password = PasswordField("Password", validators=[DataRequired("Please type your password."),
                                                     Length(max=200)])
    remember = BooleanField("Keep me signed in on this phone", default=True)


class PasswordMixin:
    password = PasswordField("New password", validators=[
        DataRequired("Please choose a password."),
        Length(min=10, max=200, message="Please use at least 10 characters.")])
    confirm = PasswordField("Type it again", validators=[
        DataRequired("Please type the password again."),
        EqualTo("password", message="The two passwords are not the same.")])


class AcceptInviteForm(PasswordMixin, FlaskForm):
    email = StringField(
        "Email or a user name you will remember", filters=[strip],
        validators=[DataRequired("Please choose how you will sign in."),
                    Length(min=3, max=254, message="Please use 3 to 254 characters."),
                    Regexp(r"^[A-Za-z0-9._%+@-]+$",
                           message="Use letters, numbers and . _ - @ only."), plain_text])


class ClinicianForm(FlaskForm):
    """A clinician account made on the command line, to the same rules as the web forms."""
    email = StringField("Email", filters=[strip], validators=[
        DataRequired("Please give an email."),
        Length(max=254, message="Please keep the email under 254 characters."),
        Regexp(r"^[^\s@]+@[^\s@]+\Z", message="Please give an email like name@clinic.example."),
        plain_text])
    name = StringField("Name", filters=[strip], validators=[
        DataRequired("Please give a name."),
        Length(max=120, message="Please keep the name under 120 characters."), plain_text])


class PatientForm(FlaskForm):
    display_name = StringField("Name", filters=[strip], validators=[
        DataRequired("Please give the patient's name."), Length(max=120), plain_text])
    record_number = StringField("Record number (optional)", filters=[strip], validators=[
        Optional(), Length(max=40),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9 /_.-]*$",
               message="Use letters, numbers, spaces and / _ . - only.")])
    treated_side = RadioField("Treated side", choices=choices(vocab.SIDES), default="left",
                              invalid_choice_message=CHOOSE)
    condition = SelectField("Condition", choices=choices(vocab.CONDITIONS), default="crps",
                            invalid_choice_message=CHOOSE)
    temp_unit = RadioField("Temperature unit", choices=choices(vocab.TEMP_UNITS), default="C",
                           invalid_choice_message=CHOOSE)
    timezone = SelectField("Time zone", choices=[SelectChoice(z) for z in TIMEZONES],
                           default="Europe/London",
                           invalid_choice_message="Please choose a time zone from the list.")


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change something."""


class EntryForm(FlaskForm):
    client_id = HiddenField(validators=[Regexp(UUID_RE, message="Please reload the page.")])
    observed_at = StringField("When", validators=[InputRequired("Please give the time.")])
    pain = RadioField("Pain now", choices=[SelectChoice(str(n)) for n in range(11)],
                      validators=[InputRequired("Please tap a number from 0 to 10.")],
                      invalid_choice_message="Please tap a number from 0 to 10.")
    temp_unit = RadioField("Thermometer shows", choices=choices(vocab.TEMP_UNITS),
                           validators=[InputRequired("Please choose °C or °F.")],
                           invalid_choice_message="Please choose °C or °F.")
    temp_treated = DecimalTextField("Treated foot", validators=[Optional()])
    temp_other = DecimalTextField("Other foot", validators=[Optional()])
    confirm_unusual = BooleanField("I checked: the reading is right, save it")
    colour = RadioField("Colour of the treated foot", choices=choices(vocab.COLOURS),
                        validators=[Optional()], invalid_choice_message=CHOOSE)
    feels = RadioField("Compared with the other foot it feels", choices=choices(vocab.FEELS),
                       validators=[Optional()], invalid_choice_message=CHOOSE)
    walk_pain_free_min = WholeNumberField("Minutes I walked before the leg hurt",
                                          validators=[Optional()])
    walk_max_min = WholeNumberField("Minutes I walked before I had to stop",
                                    validators=[Optional()])
    did_not_walk = BooleanField("I did not walk today")
    swelling = RadioField("Swelling", choices=choices(vocab.SWELLING), validators=[Optional()],
                          invalid_choice_message=CHOOSE)
    sweating = RadioField("Sweating of the treated foot", choices=choices(vocab.SWEATING),
                          validators=[Optional()], invalid_choice_message=CHOOSE)
    # A fixed message: the default one repeats the (possibly hostile) value sent.
    side_effects = MultiCheckboxField("Since the block I have had",
                                      choices=choices(vocab.SIDE_EFFECTS),
                                      invalid_choice_message="Please tick only the answers shown.")
    rescue_medication = BooleanField("I took extra pain medicine since my last entry")
    # Browsers count a line break as one character against maxlength but send it as CRLF.
    notes = TextAreaField("Anything else (optional)", filters=[one_newline], validators=[
        Optional(), Length(max=units.NOTES_MAX,
                           message=f"Please keep notes under {units.NOTES_MAX} characters."),
        plain_text])

    warnings: dict[str, str]

    def check(self, tz: str, now: datetime, record_created: datetime) -> bool:
        """Validate the whole entry, including rules that need the patient and the clock."""
        self.warnings = {}
        ok = self.validate()
        when = self.local_time(tz)
        if when is None:
            if not self.observed_at.errors:  # "Please give the time." says it already
                self.observed_at.errors = [*self.observed_at.errors,
                                           "Please give a date and time."]
            ok = False
        elif (msg := units.check_observed_at(when, now, record_created)):
            self.observed_at.errors = [*self.observed_at.errors, msg]
            ok = False
        unit = self.temp_unit.data if self.temp_unit.data in vocab.TEMP_UNITS else "C"
        self.celsius = {}
        ok = check_temperatures((self.temp_treated, self.temp_other), unit, self.celsius,
                                self.warnings) and ok
        if self.did_not_walk.data and (self.walk_pain_free_min.data or self.walk_max_min.data):
            self.did_not_walk.errors = [
                "You ticked 'did not walk' but gave walking minutes: please choose one."]
            ok = False
        for name, msg in units.check_walking(self.walk_pain_free_min.data,
                                             self.walk_max_min.data).items():
            field = self[name]
            field.errors = [*field.errors, msg]
            ok = False
        if ok and self.warnings and not self.confirm_unusual.data:
            ok = False  # the page asks them to confirm the unusual reading
        return ok

    def local_time(self, tz: str) -> datetime | None:
        text = (self.observed_at.data or "").strip()
        if not text.isascii():  # strptime's %Y would read other scripts' digits
            return None
        try:
            naive = datetime.strptime(text, LOCAL_FORMAT)
        except ValueError:
            return None
        return naive.replace(tzinfo=ZoneInfo(tz))

    def values(self, tz: str) -> dict:
        """The entry's columns, in stored units (°C, UTC)."""
        when = self.local_time(tz)
        walked = not self.did_not_walk.data
        return {
            "observed_at": when,
            "utc_offset_min": int(when.utcoffset().total_seconds() // 60),
            "pain": int(self.pain.data),
            "temp_treated_c": self.celsius.get("temp_treated"),
            "temp_other_c": self.celsius.get("temp_other"),
            "colour": self.colour.data or None,
            "feels": self.feels.data or None,
            "walk_pain_free_min": self.walk_pain_free_min.data if walked else None,
            "walk_max_min": self.walk_max_min.data if walked else None,
            "did_not_walk": bool(self.did_not_walk.data),
            "swelling": self.swelling.data or None,
            "sweating": self.sweating.data or None,
            "side_effects": ";".join(c for c in vocab.SIDE_EFFECTS
                                     if c in (self.side_effects.data or [])),
            "rescue_medication": bool(self.rescue_medication.data),
            "notes": self.notes.data or "",
        }

    def fill_from(self, entry, tz: str, unit: str) -> None:
        """Prefill for editing, converting back to the patient's unit and time zone."""
        self.client_id.data = entry.id
        self.observed_at.data = entry.observed_at.astimezone(ZoneInfo(tz)).strftime(LOCAL_FORMAT)
        self.pain.data = str(entry.pain)
        self.temp_unit.data = unit
        for field, value in ((self.temp_treated, entry.temp_treated_c),
                             (self.temp_other, entry.temp_other_c)):
            field.data = None if value is None else round(units.from_celsius(value, unit), 1)
        for name in ("colour", "feels", "swelling", "sweating", "walk_pain_free_min",
                     "walk_max_min", "did_not_walk", "rescue_medication", "notes"):
            self[name].data = getattr(entry, name)
        self.side_effects.data = entry.side_effect_codes
