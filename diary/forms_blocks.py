"""The consultant's forms: a block (shared/CLINICAL.md §2) and the analysis settings (§3)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from . import analysis, units, vocab
from .fields import DecimalTextField, WholeNumberField, check_temperatures, plain_text, strip
from .forms import LOCAL_FORMAT, choices

VOLUME_MAX_ML = 50.0
# Consultants may record blocks given long before the diary began, but not from another era.
BLOCK_HISTORY_LIMIT = timedelta(days=10 * 365)

FEET = {"treated": "Treated foot", "other": "Other foot"}
TEMP_ROWS = [(0, "pre", "Before the block")] + [
    (m, str(m), f"{m} min after") for m in vocab.CLINIC_TEMP_MINUTES if m]


def temp_field_name(foot: str, suffix: str) -> str:
    """The form field for one clinic temperature; the column adds `_c` (it is stored in °C)."""
    return f"temp_{foot}_{suffix}"


class ChoiceField(RadioField):
    """Radio buttons whose missing answer is reported once, by their own validators."""

    def pre_validate(self, form):
        if self.data not in (None, ""):
            super().pre_validate(form)


class BlockForm(FlaskForm):
    performed_at = StringField("When the block was done",
                               validators=[InputRequired("Please give the date and time.")])
    side = ChoiceField("Side", choices=choices(vocab.SIDES),
                      validators=[InputRequired("Please choose the side.")])
    kind = ChoiceField("Kind of block", choices=choices(vocab.BLOCK_KINDS),
                      validators=[InputRequired("Please choose the kind of block.")])
    level = StringField("Level(s)", filters=[strip], validators=[
        Optional(), Length(max=40, message="Please keep the level under 40 characters."),
        plain_text])
    agent = StringField("Agent", filters=[strip], validators=[
        Optional(), Length(max=120, message="Please keep the agent under 120 characters."),
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
        Optional(), Length(max=units.NOTES_MAX,
                           message=f"Please keep notes under {units.NOTES_MAX} characters."),
        plain_text])

    warnings: dict[str, str]
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
            if not self.performed_at.errors:
                self.performed_at.errors = [*self.performed_at.errors,
                                            "Please give a date and time."]
            ok = False
        elif when > now + units.FUTURE_GRACE:
            self.performed_at.errors = [*self.performed_at.errors,
                                        "That time is in the future. Please record a block once "
                                        "it has been done."]
            ok = False
        elif when < record_created - BLOCK_HISTORY_LIMIT:
            self.performed_at.errors = [*self.performed_at.errors,
                                        "That is more than ten years before the patient's record "
                                        "was made. Please check the date."]
            ok = False
        ok = self._check_range(self.pre_pain, 0, 10, "Please give pain as a whole number from "
                               "0 to 10.") and ok
        ok = self._check_range(self.volume_ml, 0, VOLUME_MAX_ML,
                               f"Please give a volume from 0 to {VOLUME_MAX_ML:g} ml.") and ok
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
        try:
            naive = datetime.strptime((self.performed_at.data or "").strip(), LOCAL_FORMAT)
        except ValueError:
            return None
        return naive.replace(tzinfo=ZoneInfo(tz))

    def values(self, tz: str) -> dict:
        """The block's columns, in stored units (°C, UTC)."""
        when = self.local_time(tz)
        out = {
            "performed_at": when,
            "utc_offset_min": int(when.utcoffset().total_seconds() // 60),
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


# ---------------------------------------------------------------------------------- settings

def setting_kind(name: str) -> type:
    """bool, int or float: the type of the setting's default."""
    return type(getattr(analysis.Settings(), name))


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def setting_range_text(name: str) -> str:
    lo, hi, _label, unit = analysis.SETTING_LIMITS[name]
    return f"{_number(lo)} to {_number(hi)}{' ' + unit if unit else ''}"


class SettingsForm(FlaskForm):
    """One field per threshold of analysis.SETTING_LIMITS (added below the class)."""

    def check(self) -> analysis.Settings | None:
        """The new settings, or None with a message on every field that is wrong."""
        ok = self.validate()
        values = {}
        for name, (lo, hi, label, _unit) in analysis.SETTING_LIMITS.items():
            field = self[name]
            if setting_kind(name) is bool:
                values[name] = bool(field.data)
                continue
            if field.errors:
                continue
            if field.data is None:
                field.errors = [*field.errors, f"Please give a value ({setting_range_text(name)})."]
                ok = False
            elif not lo <= field.data <= hi:
                field.errors = [*field.errors,
                                f"{label}: please give a value from {setting_range_text(name)}."]
                ok = False
            else:
                values[name] = field.data
        if not ok:
            return None
        try:
            return analysis.Settings(**values)
        except analysis.SettingsError as exc:
            for name, message in exc.errors.items():
                label = analysis.SETTING_LIMITS[name][2]
                self[name].errors = [*self[name].errors, f"{label} {message}."]
            return None

    def fill_from(self, settings: analysis.Settings) -> None:
        for name, value in settings.as_dict().items():
            self[name].data = value


class SettingDecimalField(DecimalTextField):
    """Shows a setting as typed (0.25 stays 0.25), not rounded to one decimal."""

    format = staticmethod(_number)


def _add_setting_fields() -> None:
    # Built from SETTING_LIMITS so a new threshold in analysis.py appears here by itself.
    for name, (_lo, _hi, label, unit) in analysis.SETTING_LIMITS.items():
        kind = setting_kind(name)
        text = f"{label} ({unit})" if unit else label
        if kind is bool:
            field = BooleanField(label)
        elif kind is int:
            field = WholeNumberField(text, validators=[Optional()])
        else:
            field = SettingDecimalField(text, validators=[Optional()])
        setattr(SettingsForm, name, field)


_add_setting_fields()
