"""A clinician's own analysis thresholds (shared/CLINICAL.md §3)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import analysis, clinic_settings
from ..forms import ConfirmForm
from ..forms_blocks import SettingsForm, setting_range_text
from ..security import clinician_required

bp = Blueprint("settings", __name__, url_prefix="/clinic")

GROUPS = [
    ("Did the block take? (clinic temperatures, treated foot)",
     ["temp_rise_confirmed_c", "temp_rise_equivocal_c", "temp_absolute_c",
      "temp_rise_within_min", "use_differential_rise", "differential_rise_c"]),
    ("Baseline pain", ["baseline_days", "baseline_min_days", "low_baseline",
                       "b0_lookback_hours"]),
    ("Diagnostic response in the anaesthetic window",
     ["window_start_min", "window_hours", "positive_pct", "positive_points",
      "positive_consecutive", "partial_pct", "prolonged_pct", "prolonged_hours_after_window"]),
    ("Duration and waning of relief",
     ["rolling_days", "dur50_pct", "dur30_pct", "consecutive_days_below",
      "back_to_baseline_pct"]),
    ("Repeat timing and series review",
     ["repeat_min_days", "series_blocks_without_positive", "series_no_lengthening",
      "max_la_blocks_12m"]),
    ("Foot temperature and walking",
     ["asymmetry_c", "asymmetry_exclude_hours", "walk_days", "walk_gain_min", "walk_gain_pct"]),
    ("Patient list", ["no_recent_entries_days"]),
]


def _groups() -> list[tuple[str, list[str]]]:
    # A threshold added to analysis.py later still shows, under "Other".
    known = {n for _title, names in GROUPS for n in names}
    groups = [(t, [n for n in names if n in analysis.SETTING_LIMITS]) for t, names in GROUPS]
    rest = [n for n in analysis.SETTING_LIMITS if n not in known]
    return [g for g in groups + [("Other", rest)] if g[1]]


def _default_text(name: str) -> str:
    value = getattr(analysis.Settings(), name)
    if isinstance(value, bool):
        return "on" if value else "off"
    unit = analysis.SETTING_LIMITS[name][3]
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{shown} {unit}".strip()


@bp.route("/settings", methods=["GET", "POST"])
@clinician_required
def edit():
    form = SettingsForm()
    if request.method == "GET":
        form.fill_from(clinic_settings.settings_for(current_user.id))
    else:
        new = form.check()
        if new is not None:
            changed = clinic_settings.save(current_user, new)
            flash("Your settings are saved." if changed else "Nothing was changed.")
            return redirect(url_for("settings.edit"))
    return render_template("clinic/settings.html", form=form, groups=_groups(),
                           default=_default_text, limits=setting_range_text,
                           reset_form=ConfirmForm())


@bp.post("/settings/reset")
@clinician_required
def reset():
    if ConfirmForm().validate_on_submit():
        changed = clinic_settings.save(current_user, analysis.Settings(), "settings.reset")
        flash("Every setting is back to its default." if changed
              else "Your settings were already the defaults.")
    return redirect(url_for("settings.edit"))
