"""A reading entered by a nurse or consultant on a patient's behalf (issue 12): the patient's
own form and service, audited, and "entered by" wherever the entry is shown or exported."""

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest

from diary.data.db import db
from diary.data.models import AuditEvent, Entry, Patient
from diary.interchange import fhir
from tests.conftest import input_value, post_form, sign_in
from tests.web.helpers import (
    FULL_ENTRY,
    NOW,
    add_entry,
    audit_rows,
    checked_value,
    entries,
    error_after,
    every_table,
    textarea_value,
)
from tests.web.test_fhir_export import bearer, check_bundle, staff_token

pytestmark = pytest.mark.usefixtures("fixed_now")

DR, NURSE, RECORDS, PATIENT = ("dr@clinic.example", "jo@clinic.example",
                               "rec@clinic.example", "pat@home.example")
LINE = "You are entering a reading for"


@pytest.fixture
def clinic(world):
    """A consultant, a nurse and a records officer of one clinic, and the consultant's patient
    (who has joined, so the patient's own entries are entered by the patient)."""
    world.dr = world.clinician(DR, "Dr Test")
    cid = world.clinic_of(world.dr)
    world.nurse = world.staff(NURSE, "Jo Nurse", roles=("nurse",), clinic=cid)
    world.records = world.staff(RECORDS, "Rita Records", roles=("records",), clinic=cid)
    world.pid = world.patient(world.dr, "Pat Test", email=PATIENT, record="R-1")
    return world


def signed_in(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def form_url(pid):
    return f"/clinic/patients/{pid}/entries/new"


def form_data(client, pid, **fields) -> dict:
    """A submit of the clinic's form as the page offers it (client id, time, unit)."""
    page = client.get(form_url(pid))
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    data = {"client_id": input_value(html, "client_id"),
            "observed_at": input_value(html, "observed_at"),
            "csrf_token": input_value(html, "csrf_token"),
            "temp_unit": checked_value(html, "temp_unit"), **fields}
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_names_the_patient_and_offers_their_unit_zone_and_a_fresh_id(app, clinic):
    nurse = signed_in(app, NURSE)
    html = nurse.get(form_url(clinic.pid)).get_data(as_text=True)
    assert f"{LINE} <strong>Pat Test</strong>" in html
    assert "(it will show as entered by you)" in html
    assert uuid.UUID(input_value(html, "client_id")).version == 4
    assert input_value(html, "observed_at") == "2025-06-15T11:30"  # 10:30 UTC is 11:30 BST
    assert checked_value(html, "temp_unit") == "C"
    assert checked_value(html, "pain") is None


def test_a_fahrenheit_patient_in_auckland_gets_their_unit_and_time(app, clinic, world):
    pid = world.patient(clinic.dr, "Kiri", record="R-2", unit="F", tz="Pacific/Auckland")
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, pid, pain="3", temp_treated="86.0", temp_other="88.7")
    assert data["temp_unit"] == "F"
    assert data["observed_at"] == "2025-06-15T22:30"  # NZST, UTC+12
    assert nurse.post(form_url(pid), data=data).status_code == 302
    [entry] = entries(app, Entry.patient_id == pid)
    assert (entry.temp_treated_c, entry.temp_other_c) == (30.0, 31.5)
    assert entry.observed_at == NOW and entry.utc_offset_min == 720


def test_a_nurse_enters_a_reading_saved_audited_and_entered_by_her(app, clinic):
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, clinic.pid, **FULL_ENTRY, observed_at="2025-06-15T09:00")
    response = nurse.post(form_url(clinic.pid), data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/clinic/patients/{clinic.pid}#entries")
    [entry] = entries(app)
    assert (entry.id, entry.patient_id, entry.entered_by) == (
        data["client_id"], clinic.pid, clinic.nurse)
    assert entry.observed_at == datetime(2025, 6, 15, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert (entry.pain, entry.temp_treated_c, entry.temp_other_c) == (6, 28.4, 30.1)
    assert entry.side_effects == "back_soreness;leg_numbness"
    assert entry.notes == FULL_ENTRY["notes"]
    [event] = audit_rows(app, AuditEvent.action == "entry.create")
    assert (event.actor_id, event.patient_id, event.object_id) == (
        clinic.nurse, clinic.pid, entry.id)
    assert "pain" in event.after  # the audit keeps digests of the values, not the values
    page = nurse.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    assert "The reading is saved in Pat Test&#39;s diary, entered by you." in page


def test_entered_by_shows_on_the_clinic_page_and_the_patient_s_history(app, clinic):
    add_entry(app, clinic.pid, datetime(2025, 6, 15, 7, 0, tzinfo=UTC), pain=4)  # own
    nurse = signed_in(app, NURSE)
    assert nurse.post(form_url(clinic.pid),
                      data=form_data(nurse, clinic.pid, pain="7")).status_code == 302

    page = signed_in(app, DR).get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    entries_table = page[page.index('id="entries"'):]
    assert entries_table.count("entered by") == 1  # the patient's own entry says nothing
    assert '<span class="meta">entered by Jo Nurse</span>' in entries_table
    assert entries_table.index("entered by Jo Nurse") < entries_table.index(">7<")

    history = signed_in(app, PATIENT).get("/diary/history").get_data(as_text=True)
    assert history.count("Entered by the clinic") == 1
    assert "Entered by the clinic (Jo Nurse)" in history
    assert history.index("Pain 7/10") < history.index("Entered by the clinic (Jo Nurse)")
    assert history.index("Entered by the clinic (Jo Nurse)") < history.index("Pain 4/10")


def test_the_entry_is_exported_with_who_entered_it(app, clinic):
    add_entry(app, clinic.pid, datetime(2025, 6, 15, 7, 0, tzinfo=UTC), pain=4)  # own
    nurse = signed_in(app, NURSE)
    assert nurse.post(form_url(clinic.pid),
                      data=form_data(nurse, clinic.pid, pain="7")).status_code == 302
    dr = signed_in(app, DR)

    r = post_form(dr, f"/clinic/patients/{clinic.pid}/export", {"what": "entries"},
                  token_from="/clinic/export")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"), newline="")))
    assert {row["pain"]: row["entered_by"] for row in rows} == {"4": PATIENT, "7": NURSE}

    r = post_form(dr, f"/clinic/patients/{clinic.pid}/export-fhir",
                  token_from=f"/clinic/patients/{clinic.pid}/records")
    resources = check_bundle(r.get_json())
    pains = {obs["valueQuantity"]["value"]: obs["performer"] for obs in resources.values()
             if obs["resourceType"] == "Observation" and obs["code"]["coding"] == [fhir.PAIN_CODE]}
    patient_ref = {"reference": f"Patient/{fhir.resource_id('patient', clinic.pid)}"}
    assert pains == {4: [patient_ref], 7: [{"type": "Practitioner", "display": "Jo Nurse"}]}


def test_the_api_says_who_entered_it(app, clinic):
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, clinic.pid, pain="7")
    assert nurse.post(form_url(clinic.pid), data=data).status_code == 302
    raw = staff_token(app, DR)
    body = app.test_client().get(f"/api/v1/entries/{data['client_id']}", headers=bearer(raw))
    assert body.status_code == 200
    assert body.get_json()["entered_by"] == clinic.nurse


def test_a_double_submit_saves_once(app, clinic):
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, clinic.pid, **FULL_ENTRY)
    assert nurse.post(form_url(clinic.pid), data=data).status_code == 302
    before = every_table(app)
    again = nurse.post(form_url(clinic.pid), data=data, follow_redirects=True)
    assert "That reading was already saved." in again.get_data(as_text=True)
    assert len(entries(app)) == 1
    assert len(audit_rows(app, AuditEvent.action == "entry.create")) == 1
    after = every_table(app)
    after.pop("audit_event"), before.pop("audit_event")  # the page view after the redirect
    after.pop("login_session"), before.pop("login_session")  # its last-seen time
    assert after == before


def test_the_same_id_with_other_answers_is_refused_plainly(app, clinic):
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, clinic.pid, pain="5")
    assert nurse.post(form_url(clinic.pid), data=data).status_code == 302
    before = every_table(app)
    html = nurse.post(form_url(clinic.pid), data={**data, "pain": "6"}).get_data(as_text=True)
    assert "already sent with different answers. Nothing new was saved" in html
    assert [e.pain for e in entries(app)] == [5]
    assert every_table(app) == before


# (field, value, words of the message shown beside the field)
BAD = [
    ("pain", "11", "Please tap a number from 0 to 10."),
    ("pain", None, "Please tap a number from 0 to 10."),
    ("pain", "<script>alert(1)</script>", "Please tap a number from 0 to 10."),
    ("temp_treated", "40.1", "between 15.0 °C and 40.0 °C"),
    ("temp_other", "=1+1", "Please type a number"),
    ("walk_max_min", "601", "between 0 and 600"),
    ("colour", "green", "Please choose one of the answers shown."),
    ("notes", "x" * 1001, "Please keep notes under 1000 characters."),
    ("notes", "before\x00after", "control"),
    ("notes", "escape \x1b[31m red", "control"),
    ("observed_at", "2025-06-15T11:36", "in the future"),
    ("observed_at", "'; DROP TABLE entry;--", "Please give a date and time."),
    ("client_id", "not-a-uuid", "Please reload the page."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD,
                         ids=[f"{f}={repr(v)[:16]}" for f, v, _ in BAD])
def test_bad_input_gets_a_clear_message_and_changes_nothing(app, clinic, field, value, message):
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, clinic.pid, **FULL_ENTRY)
    if value is None:
        data.pop(field)
    else:
        data[field] = value
    before = every_table(app)
    response = nurse.post(form_url(clinic.pid), data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in (error_after(html, field) or ""), error_after(html, field)
    assert "What you typed is kept." in html
    assert LINE in html
    assert "<script>alert" not in html
    if field != "notes":
        assert textarea_value(html, "notes") == FULL_ENTRY["notes"]
    assert every_table(app) == before


def test_an_unusual_reading_needs_the_tick_then_saves(app, clinic):
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, clinic.pid, pain="5", temp_treated="39.5")
    before = every_table(app)
    html = nurse.post(form_url(clinic.pid), data=data).get_data(as_text=True)
    assert "Please check the reading marked below" in html
    assert every_table(app) == before
    assert nurse.post(form_url(clinic.pid),
                      data={**data, "confirm_unusual": "y"}).status_code == 302
    assert [e.temp_treated_c for e in entries(app)] == [39.5]


def test_a_post_without_the_page_s_token_saves_nothing(app, clinic):
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, clinic.pid, pain="5")
    data["csrf_token"] = "forged"
    before = every_table(app)
    assert nurse.post(form_url(clinic.pid), data=data).status_code == 400
    assert every_table(app) == before


@pytest.mark.parametrize("who", [DR, NURSE])
def test_consultants_and_nurses_see_the_link(app, clinic, who):
    html = signed_in(app, who).get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    assert f'href="/clinic/patients/{clinic.pid}/entries/new">Enter a reading</a>' in html


def test_a_records_officer_is_refused_and_shown_no_link(app, clinic):
    records = signed_in(app, RECORDS)
    html = records.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    assert "Diary entries" in html and "Enter a reading" not in html
    assert records.get(form_url(clinic.pid)).status_code == 403
    token = input_value(html, "csrf_token")
    before = every_table(app)
    r = records.post(form_url(clinic.pid), data={
        "csrf_token": token, "client_id": str(uuid.uuid4()), "pain": "5", "temp_unit": "C",
        "observed_at": "2025-06-15T11:00"})
    assert r.status_code == 403
    assert every_table(app) == before


def test_a_patient_gets_not_found(app, clinic):
    patient = signed_in(app, PATIENT)
    assert patient.get(form_url(clinic.pid)).status_code == 404
    token = input_value(patient.get("/diary/").get_data(as_text=True), "csrf_token")
    before = every_table(app)
    r = patient.post(form_url(clinic.pid), data={
        "csrf_token": token, "client_id": str(uuid.uuid4()), "pain": "5", "temp_unit": "C",
        "observed_at": "2025-06-15T11:00"})
    assert r.status_code == 404
    assert every_table(app) == before


def test_nobody_signed_in_is_sent_to_sign_in(app, clinic):
    r = app.test_client().get(form_url(clinic.pid))
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]


@pytest.mark.parametrize("roles", [("nurse",), ("consultant",)])
def test_another_clinic_s_patient_is_not_found(app, clinic, world, roles):
    stranger = world.staff("far@away.example", "Far Away", roles=roles)
    theirs = world.patient(world.clinician("dr@away.example", clinic=world.clinic_of(stranger)),
                           "Their Patient", record="T-1")
    client = signed_in(app, "far@away.example")
    assert client.get(form_url(theirs)).status_code == 200
    assert client.get(form_url(clinic.pid)).status_code == 404
    data = form_data(client, theirs, pain="5")
    before = every_table(app)
    assert client.post(form_url(clinic.pid), data=data).status_code == 404
    assert every_table(app) == before
    assert client.get(form_url(999_999)).status_code == 404


def test_a_discharged_patient_s_diary_is_closed(app, clinic):
    nurse = signed_in(app, NURSE)
    data = form_data(nurse, clinic.pid, pain="5")  # the form was open before the discharge
    with app.app_context():
        db.session.get(Patient, clinic.pid).archived_at = datetime(2025, 6, 15, 10, 0,
                                                                    tzinfo=UTC)
        db.session.commit()
    before = every_table(app)
    r = nurse.post(form_url(clinic.pid), data=data)
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "Pat Test is discharged: their diary is closed to new readings" in html
    assert "nothing was saved" in html
    assert every_table(app) == before
    page = nurse.get(form_url(clinic.pid)).get_data(as_text=True)
    assert "is discharged" in page and 'name="pain"' not in page
    patient_page = nurse.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    assert "Enter a reading" not in patient_page
    assert entries(app) == []


def test_a_hostile_staff_name_is_shown_as_text(app, clinic, world):
    world.staff("evil@clinic.example", "<b>Evil</b>", roles=("nurse",),
                clinic=world.clinic_of(clinic.dr))
    evil = signed_in(app, "evil@clinic.example")
    assert evil.post(form_url(clinic.pid),
                     data=form_data(evil, clinic.pid, pain="5")).status_code == 302
    page = signed_in(app, DR).get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    assert "entered by &lt;b&gt;Evil&lt;/b&gt;" in page and "<b>Evil</b>" not in page
    history = signed_in(app, PATIENT).get("/diary/history").get_data(as_text=True)
    assert "Entered by the clinic (&lt;b&gt;Evil&lt;/b&gt;)" in history
