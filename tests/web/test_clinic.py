"""The consultant's pages: the patient list, adding a patient, a patient's diary."""

import html as htmllib
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Patient
from diary.services.patients import RECORD_TAKEN
from tests.conftest import input_value, post_form, sign_in
from tests.web.helpers import NOW, add_entry, audit_rows, checked_value

pytestmark = pytest.mark.usefixtures("fixed_now")

GOOD = {"display_name": "Grace Hopper", "record_number": "MRN-0042/B", "treated_side": "right",
        "condition": "pad_clti", "temp_unit": "F", "timezone": "America/New_York"}


def add(client, **changes):
    return post_form(client, "/clinic/patients/new", {**GOOD, **changes})


def rows(html: str) -> list[list[str]]:
    """The patient list's rows as cell texts (tags and extra spaces removed)."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_patient_list_shows_the_essentials(as_clinician, app, world):
    world.patient(world.clinician_id, name="Zed Last", record="R-9", tz="Pacific/Auckland")
    joined = world.patient(world.clinician_id, name="Amy First", email="amy@home.example")
    with app.app_context():
        db.session.get(Patient, joined).condition = "neuropathic"
        db.session.get(Patient, joined).treated_side = "both"
        db.session.commit()
    add_entry(app, joined, datetime(2025, 6, 10, 8, 0, tzinfo=UTC))
    add_entry(app, joined, datetime(2025, 6, 14, 23, 15, tzinfo=UTC))  # 00:15 BST on the 15th
    html = as_clinician.get("/clinic/").get_data(as_text=True)
    assert sorted(row[:5] for row in rows(html)) == [
        ["Amy First", "–", "Both", "Neuropathic leg pain", "15 Jun 2025 00:15"],
        ["Zed Last not joined yet", "R-9", "Left", "CRPS", "none yet"],
    ]


def test_archived_patients_leave_the_list(as_clinician, app, world):
    gone = world.patient(world.clinician_id, name="Archie Ved")
    with app.app_context():
        db.session.get(Patient, gone).archived_at = NOW
        db.session.commit()
    assert "Archie Ved" not in as_clinician.get("/clinic/").get_data(as_text=True)


def test_empty_list_says_what_to_do(as_clinician):
    assert "No patients yet." in as_clinician.get("/clinic/").get_data(as_text=True)


def test_add_a_patient(as_clinician, app, world):
    response = add(as_clinician)
    assert response.status_code == 302
    with app.app_context():
        patient = db.session.scalar(sa.select(Patient))
        assert (patient.display_name, patient.record_number, patient.treated_side,
                patient.condition, patient.temp_unit, patient.timezone) == tuple(GOOD.values())
        assert patient.clinician_id == world.clinician_id and patient.user_id is None
        assert patient.created_at == NOW
    assert response.headers["Location"] == f"/clinic/patients/{patient.id}/invite"
    page = as_clinician.get(response.headers["Location"]).get_data(as_text=True)
    assert "Grace Hopper is added" in page and "http://localhost/invite/" in page
    page = as_clinician.get(f"/clinic/patients/{patient.id}").get_data(as_text=True)
    assert "has not joined yet" in page
    assert "America/New_York" in page and "°F" in page
    [ev] = audit_rows(app, AuditEvent.action == "patient.create")
    assert ev.patient_id == patient.id and ev.actor_id == world.clinician_id
    assert "Grace" not in str(ev.after)  # digests only


def test_add_form_defaults(as_clinician):
    html = as_clinician.get("/clinic/patients/new").get_data(as_text=True)
    assert checked_value(html, "treated_side") == "left"
    assert checked_value(html, "temp_unit") == "C"
    assert re.search(r'<option selected value="Europe/London">|'
                     r'<option value="Europe/London" selected>', html)


def test_name_and_record_are_trimmed_and_record_is_optional(as_clinician, app):
    assert add(as_clinician, display_name="  Ada  ", record_number="   ").status_code == 302
    with app.app_context():
        patient = db.session.scalar(sa.select(Patient))
        assert (patient.display_name, patient.record_number) == ("Ada", None)


def test_many_patients_may_have_no_record_number(as_clinician, world):
    for name in ("One", "Two"):
        assert add(as_clinician, display_name=name, record_number="").status_code == 302
    assert world.count(Patient) == 2


@pytest.mark.parametrize(("field", "value", "words"), [
    ("display_name", "", "Please give the patient's name."),
    ("display_name", "   ", "Please give the patient's name."),
    ("display_name", None, "Please give the patient's name."),
    ("display_name", "x" * 121, "120"),
    ("display_name", "Bad\x00Name", "control"),
    ("record_number", "MRN<1>", "letters, numbers"),
    ("record_number", "a;b", "letters, numbers"),
    ("record_number", "'; DROP TABLE patient;--", "letters, numbers"),
    ("record_number", "-leading-dash", "letters, numbers"),
    ("record_number", "ÄÖ-1", "letters, numbers"),
    ("record_number", "١٢٣", "letters, numbers"),
    ("record_number", "x" * 41, "40"),
    ("timezone", "Mars/Olympus_Mons", "Please choose a time zone from the list."),
    ("timezone", "localtime", "Please choose a time zone from the list."),
    ("timezone", "", "Please choose a time zone from the list."),
    ("treated_side", "middle", "Please choose one of the answers shown."),
    ("condition", "flu", "Please choose one of the answers shown."),
    ("temp_unit", "K", "Please choose one of the answers shown."),
])
def test_add_patient_refuses_bad_input_beside_the_field(as_clinician, world, field, value,
                                                         words):
    data = {**GOOD, field: value} if value is not None else {
        k: v for k, v in GOOD.items() if k != field}
    response = post_form(as_clinician, "/clinic/patients/new", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    message = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S).group(1)
    assert words in htmllib.unescape(message)
    assert world.count(Patient) == 0
    for other in ("display_name", "record_number"):  # what was typed is still there
        if other != field:
            assert input_value(html, other) == GOOD[other]


def test_a_record_number_is_unique_in_one_clinic_only(as_clinician, app, world):
    assert add(as_clinician).status_code == 302
    again = add(as_clinician, display_name="Someone Else")
    assert again.status_code == 200
    assert RECORD_TAKEN in again.get_data(as_text=True)
    assert world.count(Patient) == 1

    world.clinician("other@clinic.example", "Dr Other")
    other = app.test_client()
    sign_in(other, "other@clinic.example")
    assert add(other, display_name="Their Grace").status_code == 302
    assert world.count(Patient) == 2


def test_patient_page_lists_entries_newest_first(as_clinician, app, world):
    patient = world.patient(world.clinician_id, name="Ed", email="ed@home.example")
    for day, pain in ((11, 7), (13, 3), (12, 5)):
        add_entry(app, patient, datetime(2025, 6, day, 9, 0, tzinfo=UTC), pain=pain,
                  temp_treated_c=31.0, did_not_walk=day == 12)
    html = as_clinician.get(f"/clinic/patients/{patient}").get_data(as_text=True)
    assert re.findall(r"(\d\d Jun 2025 \d\d:\d\d)</td>", html) == [
        "13 Jun 2025 10:00", "12 Jun 2025 10:00", "11 Jun 2025 10:00"]
    assert re.findall(r'<td class="num"><strong>(\d+)</strong>', html) == ["3", "5", "7"]
    assert "31.0 °C" in html and "did not walk" in html
    assert "signs in as <strong>ed@home.example</strong>" in html
    assert "Issue a new invite" in html
