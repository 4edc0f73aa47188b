"""Each clinician's analysis thresholds: shown with their defaults and ranges, validated,
saved for that clinician alone, audited, and reset."""

import html as htmllib
import re

import pytest
import sqlalchemy as sa

from diary.clinical.settings import SETTING_LIMITS, Settings
from diary.data.db import db
from diary.data.models import AuditEvent, ClinicSettings
from diary.services import clinic_settings
from tests.conftest import input_value, post_form, sign_in

URL = "/clinic/settings"
DEFAULTS = Settings().as_dict()
NUMBERS = [n for n, v in DEFAULTS.items() if not isinstance(v, bool)]
SWITCHES = [n for n, v in DEFAULTS.items() if isinstance(v, bool)]


def form_data(client) -> dict:
    """The settings form as the page offers it: every number as shown, ticked boxes as 'y'."""
    page = client.get(URL).get_data(as_text=True)
    data = {"csrf_token": input_value(page, "csrf_token")}
    for name in NUMBERS:
        data[name] = htmllib.unescape(input_value(page, name))
    for name in SWITCHES:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        if re.search(r"\bchecked\b", tag):
            data[name] = "y"
    return data


def save(client, **changes):
    data = {**form_data(client), **changes}
    return client.post(URL, data={k: v for k, v in data.items() if v is not None})


def stored(app, clinician_id):
    with app.app_context():
        row = db.session.scalar(sa.select(ClinicSettings).where(
            ClinicSettings.clinician_id == clinician_id))
        return None if row is None else dict(row.values)


def effective(app, clinician_id) -> Settings:
    with app.app_context():
        return clinic_settings.settings_for(clinician_id)


def settings_events(app) -> list[AuditEvent]:
    with app.app_context():
        out = list(db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.object_type == "settings").order_by(AuditEvent.id)))
        db.session.expunge_all()
        return out


def test_page_shows_every_threshold_with_label_unit_default_and_range(as_clinician):
    page = htmllib.unescape(as_clinician.get(URL).get_data(as_text=True))
    for name, (lo, hi, label, _unit, _source) in SETTING_LIMITS.items():
        assert label in page, name
        if name in NUMBERS:
            shown = input_value(page, name)
            assert float(shown) == DEFAULTS[name], name
            assert f"allowed {lo:g} to {hi:g}" in page, name
    assert "Default 50 %; allowed 1 to 99 %." in page
    assert "Default 6 h; allowed 4 to 8 h." in page
    assert "Default 2 °C; allowed 0.5 to 5 °C." in page
    assert "Default off." in page  # the optional differential-rise rule


def test_every_setting_names_the_source_of_its_default(as_clinician):
    page = htmllib.unescape(as_clinician.get(URL).get_data(as_text=True))
    for name, limit in SETTING_LIMITS.items():
        assert limit.source, name
        # The source sits in the setting's own hint, after its default.
        pattern = (rf'<p class="hint" id="{name}-hint">([^<]*)</p>' if name in NUMBERS
                   else rf'name="{name}".*?<p class="hint">([^<]*)</p>')
        hint = re.search(pattern, page, re.S)
        assert hint and hint.group(1).endswith(f"Source: {limit.source}."), name
    assert "Default 2 °C; allowed 0.5 to 5 °C. Source: Park & Nahm 2010." in page
    assert "Default 3 days; allowed 1 to 7 days. Source: rule (§7)." in page
    assert "Default 0.5 points; allowed 0.1 to 2 points. Source: our choice." in page
    assert "Default off. Source: Stevens 1998 (off by default)." in page


FOLLOW_UP = {"checkpoint_near_days": ("3", "5", "8"), "checkpoint_far_days": ("7", "10", "15"),
             "rest_pain_nights_days": ("7", "14", "2"), "touch_after_days": ("7", "14", "0"),
             "pgic_high_relief_pct": ("50", "60", "100"),
             "pgic_low_relief_pct": ("30", "25", "0"),
             "touch_change_points": ("0.5", "1.5", "2.5")}


def test_the_follow_up_settings_are_shown_saved_and_refused_out_of_range(app, as_clinician,
                                                                         world):
    page = htmllib.unescape(as_clinician.get(URL).get_data(as_text=True))
    assert "Follow-up after neurolysis or radiofrequency (limb ischaemia)" in page
    assert "The patient's own judgement (PGIC) and touch pain" in page
    for name, (default, _good, _bad) in FOLLOW_UP.items():
        assert input_value(page, name) == default, name
    r = save(as_clinician, **{name: bad for name, (_d, _g, bad) in FOLLOW_UP.items()})
    assert r.status_code == 200 and "Nothing was saved." in r.get_data(as_text=True)
    for name in FOLLOW_UP:
        assert f'<p class="error" id="{name}-error">' in r.get_data(as_text=True), name
    assert stored(app, world.clinician_id) is None

    r = save(as_clinician, **{name: good for name, (_d, good, _b) in FOLLOW_UP.items()})
    assert r.status_code == 302
    s = effective(app, world.clinician_id)
    assert (s.checkpoint_near_days, s.checkpoint_far_days, s.rest_pain_nights_days,
            s.touch_after_days, s.pgic_high_relief_pct, s.pgic_low_relief_pct,
            s.touch_change_points) == (5, 10, 14, 14, 60, 25, 1.5)


def test_saving_stores_only_the_changes_and_audits_them(app, as_clinician, world):
    r = save(as_clinician, positive_pct="60", window_hours="8", asymmetry_c="1.25",
             use_differential_rise="y")
    assert r.status_code == 302 and r.headers["Location"].endswith(URL)
    assert stored(app, world.clinician_id) == {"positive_pct": 60, "window_hours": 8,
                                               "asymmetry_c": 1.25,
                                               "use_differential_rise": True}
    s = effective(app, world.clinician_id)
    assert (s.positive_pct, s.window_hours, s.asymmetry_c, s.use_differential_rise) == (
        60, 8, 1.25, True)
    assert s.partial_pct == 30  # untouched thresholds keep the default

    [ev] = settings_events(app)
    assert ev.action == "settings.update" and ev.actor_id == world.clinician_id
    changed = {"positive_pct", "window_hours", "asymmetry_c", "use_differential_rise"}
    assert set(ev.before) == set(ev.after) == changed
    assert ev.before["positive_pct"] != ev.after["positive_pct"]

    page = as_clinician.get(URL).get_data(as_text=True)
    assert "Your settings are saved." in page
    assert input_value(page, "positive_pct") == "60"
    assert input_value(page, "asymmetry_c") == "1.25"  # shown as saved, not rounded


def test_switching_an_option_off_again(app, as_clinician, world):
    save(as_clinician, use_differential_rise="y")
    assert effective(app, world.clinician_id).use_differential_rise
    save(as_clinician, use_differential_rise=None)  # an unticked box is not sent
    assert not effective(app, world.clinician_id).use_differential_rise
    assert stored(app, world.clinician_id) == {}


def test_saving_unchanged_settings_writes_nothing(app, as_clinician, world):
    r = save(as_clinician)
    assert r.status_code == 302
    assert "Nothing was changed." in as_clinician.get(URL).get_data(as_text=True)
    assert stored(app, world.clinician_id) is None and settings_events(app) == []


def _outside(name: str) -> list[str]:
    """Values just outside the allowed range, written as a clinician would type them."""
    lo, hi = SETTING_LIMITS[name][:2]
    if isinstance(DEFAULTS[name], int):
        return [str(hi + 1)] + ([str(lo - 1)] if lo >= 1 else [])
    step = 0.1 if lo >= 0.2 else 0.01
    return [f"{hi + step:g}", f"{lo - step:g}"]


OUT_OF_RANGE = [(name, value) for name in NUMBERS for value in _outside(name)]


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE)
def test_every_threshold_refuses_values_outside_its_range(app, as_clinician, world, name,
                                                          value):
    lo, hi, label = SETTING_LIMITS[name][:3]
    r = save(as_clinician, **{name: value})
    assert r.status_code == 200
    page = htmllib.unescape(r.get_data(as_text=True))
    assert f"{label}: please give a value from {lo:g} to {hi:g}" in page
    assert "Nothing was saved." in page
    assert input_value(r.get_data(as_text=True), name) == value  # what was typed is kept
    assert stored(app, world.clinician_id) is None and settings_events(app) == []


@pytest.mark.parametrize(("name", "value", "message"), [
    ("positive_pct", "120", "from 1 to 99 %"),
    ("window_hours", "30", "from 4 to 8 h"),
    ("temp_absolute_c", "45", "from 28 to 37 °C"),
])
def test_nonsense_thresholds_get_a_clear_message(app, as_clinician, world, name, value,
                                                 message):
    page = htmllib.unescape(save(as_clinician, **{name: value}).get_data(as_text=True))
    assert message in page
    assert stored(app, world.clinician_id) is None


@pytest.mark.parametrize(("name", "value"), [
    ("positive_pct", "fifty"), ("positive_pct", "50.5"), ("positive_pct", "\u0665\u0660"),
    ("positive_pct", "-50"), ("window_hours", "6h"), ("window_hours", "\uff16"),
    ("temp_rise_confirmed_c", "2,5,1"), ("temp_rise_confirmed_c", "1e0"),
    ("temp_rise_confirmed_c", "nan"), ("temp_rise_confirmed_c", "inf"),
    ("asymmetry_c", "\u0661.\u0665"), ("positive_pct", ""), ("asymmetry_c", " "),
])
def test_values_that_are_not_numbers_are_refused(app, as_clinician, world, name, value):
    r = save(as_clinician, **{name: value})
    assert r.status_code == 200
    assert f'<p class="error" id="{name}-error">' in r.get_data(as_text=True)
    assert stored(app, world.clinician_id) is None and settings_events(app) == []


def test_a_decimal_comma_is_read_as_a_point(app, as_clinician, world):
    save(as_clinician, temp_rise_confirmed_c="2,5")
    assert effective(app, world.clinician_id).temp_rise_confirmed_c == 2.5


@pytest.mark.parametrize(("low", "low_value", "high", "high_value"), [
    ("partial_pct", "55", "positive_pct", "50"),
    ("temp_rise_equivocal_c", "2.5", "temp_rise_confirmed_c", "2.0"),
    ("baseline_min_days", "8", "baseline_days", "7"),
    ("dur30_pct", "60", "dur50_pct", "50"),
    ("back_to_baseline_pct", "35", "dur30_pct", "30"),
    ("pgic_low_relief_pct", "60", "pgic_high_relief_pct", "50"),
])
def test_a_lower_threshold_above_its_upper_one_is_refused(app, as_clinician, world, low,
                                                          low_value, high, high_value):
    r = save(as_clinician, **{low: low_value, high: high_value})
    assert r.status_code == 200
    page = htmllib.unescape(r.get_data(as_text=True))
    assert f"{SETTING_LIMITS[low][2]} must not be more than" in page
    assert SETTING_LIMITS[high][2].lower() in page
    assert stored(app, world.clinician_id) is None and settings_events(app) == []


def test_partial_equal_to_positive_is_allowed(app, as_clinician, world):
    assert save(as_clinician, partial_pct="50", positive_pct="50").status_code == 302
    s = effective(app, world.clinician_id)
    assert s.partial_pct == s.positive_pct == 50


def test_reset_puts_every_threshold_back_and_is_audited(app, as_clinician, world):
    save(as_clinician, positive_pct="70", use_differential_rise="y")
    r = post_form(as_clinician, f"{URL}/reset", token_from=URL)
    assert r.status_code == 302
    assert stored(app, world.clinician_id) == {}
    assert effective(app, world.clinician_id) == Settings()
    assert [e.action for e in settings_events(app)] == ["settings.update", "settings.reset"]
    reset = settings_events(app)[-1]
    assert set(reset.after) == {"positive_pct", "use_differential_rise"}
    page = as_clinician.get(URL).get_data(as_text=True)
    assert "back to its default" in page and input_value(page, "positive_pct") == "50"


def test_reset_of_default_settings_writes_nothing(app, as_clinician, world):
    post_form(as_clinician, f"{URL}/reset", token_from=URL)
    assert settings_events(app) == []


def test_each_clinicians_settings_are_their_own(app, client, world):
    x = world.clinician(email="x@clinic.example", name="Dr X")
    y = world.clinician(email="y@clinic.example", name="Dr Y")
    sign_in(client, "x@clinic.example")
    save(client, positive_pct="70", window_hours="8")
    y_client = app.test_client()
    sign_in(y_client, "y@clinic.example")

    page = y_client.get(URL).get_data(as_text=True)
    assert input_value(page, "positive_pct") == "50" and input_value(page, "window_hours") == "6"
    assert effective(app, y) == Settings()

    save(y_client, partial_pct="40")
    post_form(y_client, f"{URL}/reset", token_from=URL)
    assert stored(app, x) == {"positive_pct": 70, "window_hours": 8}
    assert effective(app, x).positive_pct == 70
    assert effective(app, y) == Settings()


def test_stale_stored_values_fall_back_to_the_default_without_breaking_the_page(
        app, as_clinician, world):
    # A limit narrowed in a later release must not lock the clinician out of their pages.
    with app.app_context():
        db.session.add(ClinicSettings(clinician_id=world.clinician_id,
                                      values={"positive_pct": 150, "window_hours": 5,
                                              "retired_setting": 3}))
        db.session.commit()
    s = effective(app, world.clinician_id)
    assert s.positive_pct == 50 and s.window_hours == 5
    page = as_clinician.get(URL).get_data(as_text=True)
    assert input_value(page, "positive_pct") == "50" and input_value(page, "window_hours") == "5"


def test_patients_get_404(app, as_patient, world):
    assert as_patient.get(URL).status_code == 404
    for url in (URL, f"{URL}/reset"):
        r = post_form(as_patient, url, {"positive_pct": "70"}, token_from="/diary/")
        assert r.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ClinicSettings)) == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    r = client.get(URL)
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]


def test_missing_csrf_token_is_refused_and_writes_nothing(app, as_clinician, world):
    save(as_clinician, positive_pct="70")
    data = form_data(as_clinician)
    del data["csrf_token"]
    assert as_clinician.post(URL, data={**data, "positive_pct": "80"}).status_code == 400
    assert as_clinician.post(f"{URL}/reset").status_code == 400
    assert stored(app, world.clinician_id) == {"positive_pct": 70}
    assert len(settings_events(app)) == 1


def test_a_consultant_who_is_also_an_admin_has_their_own_settings(app, client, world):
    admin_id = world.staff("admin@clinic.example", "Admin", ("consultant", "admin"))
    sign_in(client, "admin@clinic.example")
    assert save(client, repeat_min_days="14").status_code == 302
    assert effective(app, admin_id).repeat_min_days == 14


@pytest.mark.parametrize("held", [("nurse",), ("records",), ("admin",)])
def test_only_consultants_have_settings(app, client, world, held):
    """The thresholds are a consultant's, for their patients: other roles get 403, and
    nothing is stored."""
    world.staff("other@clinic.example", "Other", held)
    sign_in(client, "other@clinic.example")
    assert client.get(URL).status_code == 403
    token = input_value(client.get("/account/password").get_data(as_text=True), "csrf_token")
    assert client.post(URL, data={"csrf_token": token, "positive_pct": "80"}).status_code == 403
    assert world.count(ClinicSettings) == 0
