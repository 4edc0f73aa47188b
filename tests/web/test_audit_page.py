"""The audit page: plain words, the clinic's local time, filters, the patients' own sign-ins,
and each viewer sees only what they may (consultants their patients, admins their clinic)."""

import html as html_text
import re
from datetime import UTC, datetime

import pytest

from diary.data.db import db
from diary.data.models import AuditEvent, Clinic, User
from diary.services import audit
from diary.web.views import audit_log
from tests.conftest import post_form, sign_in
from tests.web.helpers import audit_rows, every_table, user_id

pytestmark = pytest.mark.usefixtures("fixed_now")

JUNE_NOON = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def record(app, monkeypatch, action, *, at=JUNE_NOON, actor=None, patient_id=None,
           object_type="patient", object_id=None, before=None, after=None):
    """An audit event written as the services write it, at a chosen time."""
    monkeypatch.setattr(audit, "utcnow", lambda: at)
    with app.test_request_context():
        who = db.session.get(User, actor) if actor else None
        audit.record(action, object_type, object_id if object_id is not None else patient_id,
                     patient_id=patient_id, actor=who, before=before, after=after)
        db.session.commit()
    monkeypatch.undo()


def page(client, **query) -> str:
    response = client.get("/clinic/audit", query_string=query)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def rows(html: str) -> list[str]:
    """The table's rows as plain text, one string per event."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    found = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [" ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", r)).split()) for r in found]


@pytest.fixture
def two_clinics(app, world):
    """Dr Mine (clinic A) with Alice (who has an account); Dr Other (clinic B) with Bob."""
    mine = world.clinician()
    theirs = world.clinician(email="other@clinic.example", name="Dr Other")
    alice = world.patient(mine, name="Alice Mine", email="alice@home.example", record="A-1")
    bob = world.patient(theirs, name="Bob Theirs", email="bob@home.example", record="B-1")
    return {"mine": mine, "theirs": theirs, "alice": alice, "bob": bob,
            "clinic": world.clinic_of(mine)}


def test_words_not_codes_and_no_values(app, client, two_clinics, monkeypatch):
    for pid in (two_clinics["alice"], two_clinics["bob"]):
        record(app, monkeypatch, "patient.create", actor=two_clinics["mine"], patient_id=pid,
               after={"display_name": "secret words", "record_number": "R"})
    record(app, monkeypatch, "block.update", actor=two_clinics["mine"], object_type="block",
           object_id=7, patient_id=two_clinics["alice"],
           before={"pain": 6, "temp_other_10_c": 30.1}, after={"pain": 4, "temp_other_10_c": 31})
    sign_in(client, "dr@clinic.example")
    html = page(client)
    assert "Alice Mine" in html and "Bob Theirs" not in html
    listed = rows(html)
    assert any("Signed in" in r and "Dr Test" in r for r in listed)  # their own sign-in
    assert any("Added a patient" in r and "Recorded: Name, Record number" in r for r in listed)
    assert any("Changed a block" in r and "Changed: Pain, Other foot, at 10 min" in r
               and "Block 7" in r for r in listed)
    for code in ("auth.sign_in", "patient.create", "block.update", "temp_other_10_c",
                 "display_name", "secret words"):
        assert code not in " ".join(listed), code


def test_times_are_in_the_clinics_zone_with_its_name(app, client, two_clinics, monkeypatch):
    record(app, monkeypatch, "patient.view", actor=two_clinics["mine"],
           patient_id=two_clinics["alice"])
    sign_in(client, "dr@clinic.example")
    html = page(client, action="patient.view")
    [line] = rows(html)
    assert "15 Jun 2025, 13:00:00 BST" in line  # 12:00 UTC in June is 13:00 in London
    assert "When (Europe/London)" in html
    with app.app_context():
        db.session.get(Clinic, two_clinics["clinic"]).timezone = "Pacific/Auckland"
        db.session.commit()
    [line] = rows(page(client, action="patient.view"))
    assert "16 Jun 2025, 00:00:00 NZST" in line


def test_a_patients_own_sign_in_shows_for_their_consultant_only(app, client, two_clinics,
                                                                 monkeypatch):
    assert sign_in(client, "alice@home.example").status_code == 302
    sign_in(app.test_client(), "alice@home.example", password="wrong password 1")
    [ok] = audit_rows(app, AuditEvent.action == "auth.sign_in")
    [failed] = audit_rows(app, AuditEvent.action == "auth.sign_in_failed")
    # Named on the patient's diary from now on.
    assert ok.patient_id == failed.patient_id == two_clinics["alice"]
    # A sign-in recorded before that (no patient named) is found through the account.
    record(app, monkeypatch, "auth.sign_out", actor=user_id(app, "alice@home.example"),
           object_type="user", object_id=user_id(app, "alice@home.example"))

    mine = app.test_client()
    sign_in(mine, "dr@clinic.example")
    listed = rows(page(mine, patient="Alice"))
    assert any("Signed in" in r and "patient · alice@home.example" in r for r in listed)
    assert any("Sign-in refused" in r and "Alice Mine" in r for r in listed)
    assert any("Signed out" in r and "Alice Mine" in r for r in listed)

    other = app.test_client()
    sign_in(other, "other@clinic.example")
    html = page(other)
    assert "Alice" not in html and "alice@home.example" not in html
    assert "No patient you may see matches “Alice”." in page(other, patient="Alice")


def test_the_invite_accepted_is_shown_with_the_patient(app, client, two_clinics, monkeypatch):
    record(app, monkeypatch, "invite.accept", actor=user_id(app, "alice@home.example"),
           object_type="invite", object_id=3, patient_id=two_clinics["alice"])
    sign_in(client, "dr@clinic.example")
    [line] = rows(page(client, action="invite.accept"))
    assert "Accepted an invite" in line and "Alice Mine (A-1)" in line


def test_an_admin_sees_their_clinics_staff_events(app, client, world, two_clinics,
                                                    monkeypatch):
    clinic = two_clinics["clinic"]
    admin = world.staff("admin@clinic.example", "Ann Admin", roles=("admin",), clinic=clinic)
    nurse = world.staff("nurse@clinic.example", "Nina Nurse", roles=("nurse",), clinic=clinic)
    record(app, monkeypatch, "staff.roles", actor=admin, object_type="user", object_id=nurse,
           before={"roles": ["nurse"]}, after={"roles": ["nurse", "records"]})
    record(app, monkeypatch, "auth.sign_in", actor=nurse, object_type="user", object_id=nurse)
    record(app, monkeypatch, "auth.sign_in", actor=two_clinics["theirs"], object_type="user",
           object_id=two_clinics["theirs"])  # the other clinic's consultant
    for pid in (two_clinics["alice"], two_clinics["bob"]):
        record(app, monkeypatch, "patient.view", actor=None, patient_id=pid)
    sign_in(client, "admin@clinic.example")
    listed = rows(page(client))
    assert any("Changed a staff member's roles" in r and "Account: Nina Nurse" in r
               and "Changed: Roles" in r for r in listed)
    assert any("Signed in" in r and "Nina Nurse" in r for r in listed)
    assert not any("Dr Other" in r for r in listed)
    # Their clinic's patients too, and not the other clinic's.
    assert any("Alice Mine" in r for r in listed)
    assert not any("Bob Theirs" in r for r in listed)

    consultant = app.test_client()
    sign_in(consultant, "dr@clinic.example")
    assert not any("Nina Nurse" in r for r in rows(page(consultant)))


def test_each_filter_narrows(app, client, world, two_clinics, monkeypatch):
    clinic = two_clinics["clinic"]
    nurse = world.staff("nurse@clinic.example", "Nina Nurse", roles=("nurse",), clinic=clinic)
    carol = world.patient(two_clinics["mine"], name="Carol Second", record="C-9")
    alice, dr = two_clinics["alice"], two_clinics["mine"]
    record(app, monkeypatch, "patient.view", actor=dr, patient_id=alice,
           at=datetime(2025, 6, 10, 9, tzinfo=UTC))
    record(app, monkeypatch, "block.create", actor=nurse, patient_id=carol, object_type="block",
           object_id=1, at=datetime(2025, 6, 12, 9, tzinfo=UTC))
    # 23:30 UTC on the 13th is 00:30 on the 14th in London: a day of the clinic's.
    record(app, monkeypatch, "patient.view", actor=nurse, patient_id=carol,
           at=datetime(2025, 6, 13, 23, 30, tzinfo=UTC))
    sign_in(client, "dr@clinic.example")

    everything = rows(page(client))
    assert len(everything) == 4  # three, and the doctor's own sign-in
    by_name = rows(page(client, patient="carol"))
    assert len(by_name) == 2 and all("Carol Second" in r for r in by_name)
    assert rows(page(client, patient="c-9")) == by_name  # by record number, any case
    by_person = rows(page(client, person="Nina"))
    assert len(by_person) == 2 and all("Nina Nurse" in r for r in by_person)
    assert rows(page(client, person="nurse@clinic")) == by_person
    views = rows(page(client, action="patient.view"))
    assert len(views) == 2 and all("Opened the patient's page" in r for r in views)
    on_the_14th = rows(page(client, **{"from": "2025-06-14", "to": "2025-06-14"}))
    assert len(on_the_14th) == 1 and "14 Jun 2025, 00:30:00 BST" in on_the_14th[0]
    until_the_12th = rows(page(client, to="2025-06-12"))
    assert len(until_the_12th) == 2
    assert not any("Jun 2025, 00:30" in r for r in until_the_12th)
    since_the_11th = rows(page(client, **{"from": "2025-06-11"}))
    assert len(since_the_11th) == 3  # the 12th, the 14th and today's sign-in
    both = rows(page(client, person="Nina", action="block.create"))
    assert len(both) == 1 and "Recorded a block" in both[0]
    assert "No one you may see matches “Zed”." in page(client, person="Zed")
    assert rows(page(client, patient="Alice", action="block.create")) == [
        "No events match the filters."]


@pytest.mark.parametrize("query, message", [
    ({"action": "not.a.code"}, "Please choose one of the actions in the list."),
    ({"action": "x" * 5000}, "Please choose one of the actions in the list."),
    ({"from": "2025-13-01"}, "Please give a date like 2025-06-30."),
    ({"from": "15/06/2025"}, "Please give a date like 2025-06-30."),
    ({"to": "2025-06-15\x00"}, "Please give a date like 2025-06-30."),
    ({"from": "0001-01-01"}, "Please give a date between 1900 and 2200."),
    ({"to": "9999-12-31"}, "Please give a date between 1900 and 2200."),
    ({"from": "2025-06-15", "to": "2025-06-01"}, "The end date is before the start date."),
])
def test_bad_filters_get_a_clear_message_and_change_nothing(app, as_clinician, query,
                                                           message):
    before = every_table(app)
    response = as_clinician.get("/clinic/audit", query_string=query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    assert "<tbody>" not in html  # nothing listed under a filter that was not applied
    assert every_table(app) == before


@pytest.mark.parametrize("query", [
    {"patient": "\x00'; DROP TABLE audit_event; --"}, {"person": "%_\\" * 100},
    {"patient": "é" * 10_000}, {"before": "99999999999999999999"}, {"before": "-1"},
])
def test_hostile_text_is_no_server_error(app, as_clinician, query):
    before = every_table(app)
    response = as_clinician.get("/clinic/audit", query_string=query)
    assert response.status_code in (200, 400)
    assert every_table(app) == before


def test_paging_keeps_the_filters(app, as_clinician, world, monkeypatch):
    pid = world.patient(world.clinician_id, name="Dee Paged")
    for hour in (8, 9, 10):
        record(app, monkeypatch, "patient.view", actor=world.clinician_id, patient_id=pid,
               at=datetime(2025, 6, 15, hour, tzinfo=UTC))
    monkeypatch.setattr(audit_log, "PAGE", 2)
    html = page(as_clinician, action="patient.view")
    assert len(rows(html)) == 2
    link = html_text.unescape(re.search(r'href="([^"]*before=[^"]*)"', html).group(1))
    assert "action=patient.view" in link
    older = as_clinician.get(link).get_data(as_text=True)
    [last] = rows(older)
    assert "15 Jun 2025, 09:00:00 BST" in last  # 08:00 UTC, the oldest


def test_the_filters_are_labelled(as_clinician):
    html = page(as_clinician)
    for name in ("patient", "person", "action", "from", "to"):
        assert re.search(rf'<label for="f-{name}">', html), name
        assert re.search(rf'id="f-{name}" name="{name}"', html), name
    assert html.count('<th scope="col">') == 7


def test_patients_cannot_open_the_audit_page(as_patient):
    assert as_patient.get("/clinic/audit").status_code == 404


def test_a_records_officer_or_nurse_cannot_open_it(app, client, world):
    clinic = world.clinic_of(world.clinician())
    world.staff("nurse@clinic.example", roles=("nurse", "records"), clinic=clinic)
    sign_in(client, "nurse@clinic.example")
    assert client.get("/clinic/audit").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/clinic/audit")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_sign_out_names_the_patients_diary(app, client, two_clinics):
    sign_in(client, "alice@home.example")
    assert post_form(client, "/sign-out", token_from="/diary/").status_code == 302
    [ev] = audit_rows(app, AuditEvent.action == "auth.sign_out")
    assert ev.patient_id == two_clinics["alice"]
