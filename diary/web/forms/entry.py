"""The patient's diary entry (docs/clinical.md, "What the patient records")."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from diary.clinical import limits, units, vocab, wording
from diary.clinical.localtime import LOCAL_FORMAT, offset_minutes
from diary.web.forms.common import CHOOSE, choices
from diary.web.forms.fields import (
    DecimalTextField,
    MultiCheckboxField,
    WholeNumberField,
    check_temperatures,
    local_time,
    one_newline,
    plain_text,
)

# \Z, not $: "$" also matches before a final newline, letting "<uuid>\n" through.
UUID_RE = limits.UUID.pattern + r"\Z"

# The phone's words for the follow-up answers (docs/clinical.md §7, §8); the codes stored are
# vocab's, and every one of them has its words here (a missing one fails at import).
TOUCH_PAIN_WORDS = {code: {"none": "No", "mild": "A little", "marked": "A lot"}[code]
                    for code in vocab.TOUCH_PAIN}
WOUND_WORDS = {code: {"none": "No wound", "healing": "Yes, healing",
                      "unchanged": "Yes, no change", "worse": "Yes, worse",
                      "new": "Yes, a new one"}[code] for code in vocab.WOUND}
YES_NO = {"yes": "Yes", "no": "No"}
_YES_NO_VALUE = {"yes": True, "no": False}
# The answers' words for the history (`answers` in patient/_entry.html).
ANSWER_WORDS = {"touch_pain": TOUCH_PAIN_WORDS, "wound": WOUND_WORDS, "pgic": vocab.PGIC}
LIMB_FIELDS = ("night_rest_pain", "wound")


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
    # §8, on every entry.
    touch_pain = RadioField("Does light touch on your foot hurt (socks, bedsheets)?",
                            choices=choices(TOUCH_PAIN_WORDS), validators=[Optional()],
                            invalid_choice_message=CHOOSE)
    # §7, for limb ischaemia or after neurolysis / RF (see `offer`); not answered stays NULL.
    night_rest_pain = RadioField("Did pain in your leg wake you last night, or make you hang "
                                 "your leg down?", choices=choices(YES_NO),
                                 validators=[Optional()], invalid_choice_message=CHOOSE)
    wound = RadioField("Is there a sore or wound on your foot?", choices=choices(WOUND_WORDS),
                       validators=[Optional()], invalid_choice_message=CHOOSE)
    # §8, when a prompt asks for it (see `offer`).
    pgic = RadioField("Since your block, the pain in your leg is…", choices=choices(vocab.PGIC),
                      validators=[Optional()], invalid_choice_message=CHOOSE)
    # A fixed message: the default one repeats the (possibly hostile) value sent.
    side_effects = MultiCheckboxField("Since the block I have had",
                                      choices=choices(vocab.SIDE_EFFECTS),
                                      invalid_choice_message="Please tick only the answers shown.")
    rescue_medication = BooleanField("I took extra pain medicine since my last entry")
    # Browsers count a line break as one character against maxlength but send it as CRLF.
    notes = TextAreaField("Anything else (optional)", filters=[one_newline], validators=[
        Optional(), Length(max=limits.NOTES_MAX,
                           message=f"Please keep notes under {limits.NOTES_MAX} characters."),
        plain_text])

    warnings: dict[str, str]
    twice: str | None = None    # which of two equal wall times was taken
    show_limb = show_pgic = True    # which follow-up questions the page shows (`offer`)
    asked: tuple[str, ...] = ()     # schedule.ASKS codes asked today: marked on the page

    def offer(self, side: str, limb: bool, pgic: bool, asked=()) -> None:
        """Which follow-up questions the page shows: the limb questions (§7) to the patients
        they are for (`limb`), PGIC (§8) when a prompt asks for it (`pgic`), and either of
        them whenever the form already holds an answer or a refusal for it: the entry being
        changed, or what was sent back. An answer sent is checked and kept whether or not
        the page showed its question (a form opened before midnight, an entry kept while
        signed out). `asked`: the questions today's prompts ask (marked "asked today")."""
        self.name_feet(side)
        self.show_limb = limb or any(_holds(self[name]) for name in LIMB_FIELDS)
        self.show_pgic = pgic or _holds(self.pgic)
        self.asked = tuple(asked)

    def name_feet(self, side: str) -> None:
        """The labels name the patient's feet and leg from their treated side ("Left foot
        (treated)", "Pain in your left leg"): words only, the fields stay as they are."""
        f = wording.feet(side)
        self.temp_treated.label.text = f.treated
        self.temp_other.label.text = f.other
        self.colour.label.text = f"Colour of {f.foot}"
        self.colour.choices = choices({**vocab.COLOURS, "same": f.same_colour})
        self.feels.label.text = f"Compared with {f.second}, {f.first} feels"
        self.walk_pain_free_min.label.text = f"Minutes I walked before {f.my_leg} hurt"
        self.sweating.label.text = f"Sweating of {f.foot}"
        self.touch_pain.label.text = f"Does light touch on {f.foot} hurt (socks, bedsheets)?"
        self.night_rest_pain.label.text = (f"Did pain in {f.leg} wake you last night, or make "
                                           f"you hang {f.it} down?")
        self.wound.label.text = f"Is there a sore or wound on {f.either_foot}?"
        self.pgic.label.text = f"Since your block, the pain in {f.leg} is…"

    def check(self, tz: str, now: datetime, record_created: datetime) -> bool:
        """Validate the whole entry, including rules that need the patient and the clock."""
        self.warnings = {}
        ok = self.validate()
        when = self.local_time(tz)
        if when is None:
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
        """The time typed, in the patient's zone; None with the field's error set."""
        return local_time(self, self.observed_at, tz)

    def values(self, tz: str) -> dict:
        """The entry's columns, in stored units (°C, UTC)."""
        when = self.local_time(tz)
        walked = not self.did_not_walk.data
        return {
            "observed_at": when,
            "utc_offset_min": offset_minutes(when),
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
            "touch_pain": self.touch_pain.data or None,
            "night_rest_pain": _YES_NO_VALUE.get(self.night_rest_pain.data),
            "wound": self.wound.data or None,
            "pgic": self.pgic.data or None,
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
                     "walk_max_min", "did_not_walk", "rescue_medication", "notes",
                     "touch_pain", "wound", "pgic"):
            self[name].data = getattr(entry, name)
        self.night_rest_pain.data = {True: "yes", False: "no"}.get(entry.night_rest_pain)
        self.side_effects.data = entry.side_effect_codes


def _holds(field) -> bool:
    """The field carries an answer, or a refused one."""
    return field.data not in (None, "") or bool(field.errors)
