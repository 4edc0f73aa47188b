"""A clinician's analysis thresholds: one field per setting, built from the settings."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import Optional

from diary.clinical.settings import SETTING_LIMITS, Settings, SettingsError
from diary.web.forms.fields import DecimalTextField, WholeNumberField


def setting_kind(name: str) -> type:
    """bool, int or float: the type of the setting's default."""
    return type(getattr(Settings(), name))


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def setting_range_text(name: str) -> str:
    lo, hi, _label, unit = SETTING_LIMITS[name][:4]
    return f"{_number(lo)} to {_number(hi)}{' ' + unit if unit else ''}"


class SettingsForm(FlaskForm):
    """One field per threshold of SETTING_LIMITS (added below the class)."""

    def check(self) -> Settings | None:
        """The new settings, or None with a message on every field that is wrong."""
        ok = self.validate()
        values = {}
        for name, limit in SETTING_LIMITS.items():
            lo, hi, label = limit.lo, limit.hi, limit.label
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
            return Settings(**values)
        except SettingsError as exc:
            for name, message in exc.errors.items():
                label = SETTING_LIMITS[name][2]
                self[name].errors = [*self[name].errors, f"{label} {message}."]
            return None

    def fill_from(self, settings: Settings) -> None:
        for name, value in settings.as_dict().items():
            self[name].data = value


class SettingDecimalField(DecimalTextField):
    """Shows a setting as typed (0.25 stays 0.25), not rounded to one decimal."""

    format = staticmethod(_number)


def _add_setting_fields() -> None:
    # Built from the settings, so a new threshold appears here by itself.
    for name, limit in SETTING_LIMITS.items():
        kind = setting_kind(name)
        label, unit = limit.label, limit.unit
        text = f"{label} ({unit})" if unit else label
        # The description carries where the default comes from, for the page to show.
        if kind is bool:
            field = BooleanField(label, description=limit.source)
        elif kind is int:
            field = WholeNumberField(text, validators=[Optional()], description=limit.source)
        else:
            field = SettingDecimalField(text, validators=[Optional()], description=limit.source)
        setattr(SettingsForm, name, field)


_add_setting_fields()
