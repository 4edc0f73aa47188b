"""The consultant's block form (docs/clinical.md, "What the clinic records")."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from diary.clinical import limits, units, vocab
from diary.clinical.localtime import LOCAL_FORMAT, offset_minutes
from diary.web.forms.common import ChoiceField, choices
from diary.web.forms.fields import (
    DecimalTextField,
    WholeNumberField,
    check_temperatures,
    local_time,
    plain_text,
    strip,
)

FEET = {"treated": "Treated foot", "other": "Other foot"}
TEMP_ROWS = [(0, "pre", "Before the block")] + [
    (m, str(m), f"{m} min after") for m in vocab.CLINIC_TEMP_MINUTES if m]


def temp_field_name(foot: str, suffix: str) -> str:
    """The form field for one clinic temperature; the column adds `_c` (it is stored in °C)."""
    return f"temp_{foot}_{suffix}"


class BlockForm(FlaskForm):
    performed_at = StringField("When the block was done",
                               validators=[InputRequired("Please give the date and time.")])
    side = ChoiceField("Side", choices=choices(vocab.SIDES),
                      validators=[InputRequired("Please choose the side.")])
    kind = ChoiceField("Kind of block", choices=choices(vocab.BLOCK_KINDS),
                      validators=[InputRequired("Please choose the kind of block.")])
    level = StringField("Level(s)", filters=[strip], validators=[
        Optional(), Length(max=limits.LEVEL_MAX,
               message=f"Please keep the level under {limits.LEVEL_MAX} characters."),
        plain_text])
    agent = StringField("Agent", filters=[strip], validators=[
        Optional(), Length(max=limits.AGENT_MAX,
               message=f"Please keep the agent under {limits.AGENT_MAX} characters."),
        plain_text])
    volume_ml = DecimalTextField("Volume (ml)", validators=[Optional()])
    long_acting = BooleanField("Long-acting agent (the patient is asked for readings to 8 h)")
    pre_pain = WholeNumberField("Pain before the block (0–10)", validators=[Optional()])
    temp_unit = ChoiceField("Clinic thermometer shows", choices=choices(vocab.TEMP_UNITS),
                            validators=[Optional()])
    confirm_unusual = BooleanField("I checked: these temperatures are right, save them")
    somatic_spread = BooleanField("Somatic spread seen (leg numbness or weakness)")
    sedation = BooleanField("Sedation given")
    confirmed_other_means = BooleanField(
        "Sympathetic block confirmed by other means (sweat test, sympathogalvanic response, "
        "perfusion index rise)")
    notes = TextAreaField("Notes", validators=[
        Optional(), Length(max=limits.NOTES_MAX,
                           message=f"Please keep notes under {limits.NOTES_MAX} characters."),
        plain_text])

    warnings: dict[str, str]
    twice: str | None = None    # which of two equal wall times was taken
    celsius: dict[str, float]

    def temp_fields(self, foot: str):
        """(row label, field) for one foot, before the block first."""
        return [(label, self[temp_field_name(foot, suffix)]) for _m, suffix, label in TEMP_ROWS]

    def check(self, tz: str, now: datetime, record_created: datetime) -> bool:
        """Validate the block, including the rules that need the patient and the clock."""
        self.warnings, self.celsius = {}, {}
        ok = self.validate()
        when = self.local_time(tz)
        if when is None:
            ok = False
        elif when > now + units.FUTURE_GRACE:
            self.performed_at.errors = [*self.performed_at.errors,
                                        "That time is in the future. Please record a block once "
                                        "it has been done."]
            ok = False
        elif when < record_created - limits.BLOCK_HISTORY_LIMIT:
            self.performed_at.errors = [*self.performed_at.errors, limits.BLOCK_TOO_OLD]
            ok = False
        ok = self._check_range(self.pre_pain, 0, 10, "Please give pain as a whole number from "
                               "0 to 10.") and ok
        volume = f"Please give a volume from 0 to {limits.VOLUME_MAX_ML:g} ml."
        ok = self._check_range(self.volume_ml, 0, limits.VOLUME_MAX_ML, volume) and ok
        unit = self.temp_unit.data
        typed = [f for foot in FEET for _label, f in self.temp_fields(foot) if f.data is not None]
        if typed and unit not in vocab.TEMP_UNITS:
            if not self.temp_unit.errors:
                self.temp_unit.errors = [*self.temp_unit.errors, "Please choose °C or °F."]
            return False
        temps = [field for foot in FEET for _label, field in self.temp_fields(foot)]
        ok = check_temperatures(temps, unit, self.celsius, self.warnings) and ok
        if ok and self.warnings and not self.confirm_unusual.data:
            ok = False  # the page asks the clinician to confirm the unusual readings
        return ok

    @staticmethod
    def _check_range(field, lo, hi, message) -> bool:
        if field.data is None or field.errors or lo <= field.data <= hi:
            return not field.errors
        field.errors = [*field.errors, message]
        return False

    def local_time(self, tz: str) -> datetime | None:
        """The time typed, in the patient's zone; None with the field's error set."""
        return local_time(self, self.performed_at, tz)

    def values(self, tz: str) -> dict:
        """The block's columns, in stored units (°C, UTC)."""
        when = self.local_time(tz)
        out = {
            "performed_at": when,
            "utc_offset_min": offset_minutes(when),
            "side": self.side.data,
            "kind": self.kind.data,
            "level": self.level.data or "",
            "agent": self.agent.data or "",
            "volume_ml": self.volume_ml.data,
            "long_acting": bool(self.long_acting.data),
            "pre_pain": self.pre_pain.data,
            "somatic_spread": bool(self.somatic_spread.data),
            "sedation": bool(self.sedation.data),
            "confirmed_other_means": bool(self.confirmed_other_means.data),
            "notes": self.notes.data or "",
        }
        for foot in FEET:
            for _m, suffix, _label in TEMP_ROWS:
                name = temp_field_name(foot, suffix)
                out[f"{name}_c"] = self.celsius.get(name)
        return out

    def fill_from(self, block, tz: str, unit: str) -> None:
        """Prefill for editing, converting back to the patient's unit and time zone."""
        self.performed_at.data = block.performed_at.astimezone(ZoneInfo(tz)).strftime(
            LOCAL_FORMAT)
        self.temp_unit.data = unit
        for name in ("side", "kind", "level", "agent", "volume_ml", "long_acting", "pre_pain",
                     "somatic_spread", "sedation", "confirmed_other_means", "notes"):
            self[name].data = getattr(block, name)
        for foot in FEET:
            for _m, suffix, _label in TEMP_ROWS:
                name = temp_field_name(foot, suffix)
                value = getattr(block, f"{name}_c")
                self[name].data = None if value is None else round(
                    units.from_celsius(value, unit), 1)


def _add_temp_fields() -> None:
    # Twelve alike fields, named after the columns they fill.
    for foot, foot_label in FEET.items():
        for _m, suffix, row_label in TEMP_ROWS:
            setattr(BlockForm, temp_field_name(foot, suffix),
                    DecimalTextField(f"{foot_label}, {row_label.lower()}",
                                     validators=[Optional()]))


_add_temp_fields()
