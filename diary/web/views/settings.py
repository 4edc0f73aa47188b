"""A clinician's own analysis thresholds (docs/clinical.md, "Settings")."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from diary.clinical.settings import SETTING_GROUPS, SETTING_LIMITS, Settings
from diary.data.clinic_settings import settings_for
from diary.services import clinic_settings
from diary.web.forms.common import ConfirmForm
from diary.web.forms.settings import SettingsForm, setting_range_text
from diary.web.security import staff_required

bp = Blueprint("settings", __name__, url_prefix="/clinic")

def _default_text(name: str) -> str:
    value = getattr(Settings(), name)
    if isinstance(value, bool):
        return "on" if value else "off"
    unit = SETTING_LIMITS[name].unit
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{shown} {unit}".strip()


@bp.route("/settings", methods=["GET", "POST"])
@staff_required("settings")
def edit():
    form = SettingsForm()
    if request.method == "GET":
        form.fill_from(settings_for(current_user.id))
    else:
        new = form.check()
        if new is not None:
            changed = clinic_settings.save(current_user, new)
            flash("Your settings are saved." if changed else "Nothing was changed.")
            return redirect(url_for("settings.edit"))
    return render_template("clinic/settings.html", form=form, groups=list(SETTING_GROUPS.items()),
                           default=_default_text, limits=setting_range_text,
                           reset_form=ConfirmForm())


@bp.post("/settings/reset")
@staff_required("settings")
def reset():
    if ConfirmForm().validate_on_submit():
        changed = clinic_settings.save(current_user, Settings(), "settings.reset")
        flash("Every setting is back to its default." if changed
              else "Your settings were already the defaults.")
    return redirect(url_for("settings.edit"))
