"""Hypothesis throws hostile and nonsensical values at every form: never a 500, and
nothing invalid ever reaches the database."""

import math

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary.clinical import vocab
from diary.clinical.settings import SETTING_LIMITS, Settings
from diary.data.db import db
from diary.data.models import Block, ClinicSettings, Entry, Patient
from tests.conftest import csrf_token

NASTY = ["", " ", "NaN", "nan", "inf", "-inf", "Infinity", "1e309", "1e3", "-0", "0x10",
         "١٠", "５", "٣٢٫٥", "10.5", "-1", "11", "601", "99999999999999999999", "3,5", "33.33333",
         "<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "'; DROP TABLE entry;--",
         "\x00", "\u202e", "a" * 10_000, "2026-02-30T25:61", "0000-00-00T00:00",
         # Answers that are right for some field and wrong for others.
         "yes", "no", "none", "mild", "worse", "much_better", "Yes, healing"]
value = st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                  st.integers(-10**6, 10**6).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

ENTRY_FIELDS = ["client_id", "observed_at", "pain", "temp_unit", "temp_treated", "temp_other",
                "confirm_unusual", "colour", "feels", "walk_pain_free_min", "walk_max_min",
                "did_not_walk", "swelling", "sweating", "side_effects", "rescue_medication",
                "notes", "touch_pain", "night_rest_pain", "wound", "pgic"]


def _in(x, lo, hi):
    return x is None or (math.isfinite(x) and lo <= x <= hi)


def _entries_valid(app):
    with app.app_context():
        for e in db.session.scalars(sa.select(Entry)):
            assert 0 <= e.pain <= 10
            assert _in(e.temp_treated_c, 15, 40) and _in(e.temp_other_c, 15, 40)
            assert _in(e.walk_pain_free_min, 0, 600) and _in(e.walk_max_min, 0, 600)
            assert len(e.notes) <= 1000 and "\x00" not in e.notes
            assert e.touch_pain in (None, *vocab.TOUCH_PAIN)
            assert e.night_rest_pain in (None, True, False)
            assert e.wound in (None, *vocab.WOUND) and e.pgic in (None, *vocab.PGIC)


@FUZZ
@given(data=st.fixed_dictionaries({}, optional={f: value for f in ENTRY_FIELDS}))
def test_entry_form_survives_anything(app, as_patient, data):
    data["csrf_token"] = csrf_token(as_patient, "/diary/")
    response = as_patient.post("/diary/", data=data)
    assert response.status_code in (200, 302)
    _entries_valid(app)


BLOCK_FIELDS = ["performed_at", "side", "kind", "level", "agent", "volume_ml", "long_acting",
                "pre_pain", "temp_unit", "confirm_unusual", "somatic_spread", "sedation",
                "confirmed_other_means", "notes", "temp_treated_pre", "temp_treated_15",
                "temp_other_pre", "temp_other_30"]


@FUZZ
@given(data=st.fixed_dictionaries({}, optional={f: value for f in BLOCK_FIELDS}))
def test_block_form_survives_anything(app, as_clinician, world, data):
    pid = world.__dict__.setdefault("pid", world.patient(world.clinician_id))
    url = f"/clinic/patients/{pid}/blocks/new"
    data["csrf_token"] = csrf_token(as_clinician, url)
    assert as_clinician.post(url, data=data).status_code in (200, 302)
    with app.app_context():
        for b in db.session.scalars(sa.select(Block)):
            assert b.pre_pain is None or 0 <= b.pre_pain <= 10
            assert _in(b.volume_ml, 0, 50)
            for foot in ("treated", "other"):
                assert all(15 <= t <= 40 for t in b.clinic_temps(foot).values())


@FUZZ
@given(data=st.fixed_dictionaries({}, optional={
    f: value for f in ["display_name", "record_number", "treated_side", "condition", "temp_unit",
                       "timezone"]}))
def test_patient_form_survives_anything(app, as_clinician, data):
    data["csrf_token"] = csrf_token(as_clinician, "/clinic/patients/new")
    assert as_clinician.post("/clinic/patients/new", data=data).status_code in (200, 302)
    with app.app_context():
        for p in db.session.scalars(sa.select(Patient)):
            assert p.display_name.strip() and len(p.display_name) <= 120
            assert p.treated_side in ("left", "right", "both") and p.temp_unit in ("C", "F")


@FUZZ
@given(data=st.fixed_dictionaries({}, optional={name: value for name in SETTING_LIMITS}))
def test_settings_form_survives_anything(app, as_clinician, data):
    data["csrf_token"] = csrf_token(as_clinician, "/clinic/settings")
    assert as_clinician.post("/clinic/settings", data=data).status_code in (200, 302)
    with app.app_context():
        for row in db.session.scalars(sa.select(ClinicSettings)):
            Settings.from_mapping(row.values)  # raises if anything stored is out of range


@FUZZ
@given(email=value, password=value)
def test_sign_in_survives_anything(client, email, password):
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"csrf_token": token, "email": email,
                                             "password": password})
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["pain", "temp_treated", "walk_max_min"])
def test_other_scripts_digits_are_refused(app, as_patient, world, field):
    data = {"csrf_token": csrf_token(as_patient, "/diary/"),
            "client_id": "8d0c7c5e-1111-4aaa-8bbb-123456789abc",
            "observed_at": "2026-01-01T10:00", "pain": "5", "temp_unit": "C", field: "٣٢"}
    response = as_patient.post("/diary/", data=data)
    assert response.status_code == 200 and world.count(Entry) == 0
