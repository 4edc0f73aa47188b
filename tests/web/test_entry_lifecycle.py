"""Saving exactly once, changing and soft-deleting entries, and the audit trail they leave."""

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Entry
from diary.services import audit
from diary.services.entries import CONTENT
from tests.conftest import input_value, post_form, sign_in
from tests.web.helpers import (
    FULL_ENTRY,
    add_entry,
    audit_json,
    audit_rows,
    checked_value,
    entries,
    entry_page,
    error_after,
    new_entry_data,
    post_entry,
    textarea_value,
    user_id,
)

pytestmark = pytest.mark.usefixtures("fixed_now")

NOTE = "Secret note: neighbour's dog bit me"


def _history(client) -> str:
    return client.get("/diary/history").get_data(as_text=True)


# --- saved exactly once --------------------------------------------------------------------

def test_a_resent_form_saves_once(as_patient, app):
    data = new_entry_data(as_patient, **FULL_ENTRY)
    first = as_patient.post("/diary/", data=data)
    second = as_patient.post("/diary/", data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"].endswith("/diary/history")
    assert "That entry was already saved." in _history(as_patient)
    [entry] = entries(app)
    assert entry.id == data["client_id"]
    assert len(audit_rows(app, AuditEvent.action == "entry.create")) == 1


def test_a_double_tap_of_the_same_page_saves_once(as_patient, app):
    # Both taps carry the page's one client id and CSRF token.
    data = new_entry_data(as_patient, pain="7")
    responses = [as_patient.post("/diary/", data=data) for _ in range(3)]
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert len(entries(app)) == 1


def test_the_same_id_with_different_answers_is_refused(as_patient, app):
    data = new_entry_data(as_patient, **FULL_ENTRY)
    assert as_patient.post("/diary/", data=data).status_code == 302
    response = as_patient.post("/diary/", data={**data, "pain": "2", "notes": "changed"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "already sent with different answers" in error_after(html, "client_id")
    assert textarea_value(html, "notes") == "changed"  # what they typed is not lost
    [entry] = entries(app)
    assert (entry.pain, entry.notes) == (6, FULL_ENTRY["notes"])
    assert len(audit_rows(app, AuditEvent.object_type == "entry")) == 1


def test_an_id_of_another_patients_entry_is_refused_and_theirs_untouched(as_patient, app, world):
    other = world.patient(world.clinician_id, name="B", email="b@home.example")
    theirs = add_entry(app, other, datetime(2025, 6, 15, 8, 0, tzinfo=UTC), pain=3,
                       notes="theirs")
    data = new_entry_data(as_patient, pain="3", client_id=theirs)
    response = as_patient.post("/diary/", data=data)
    assert response.status_code == 200
    assert "already sent with different answers" in error_after(
        response.get_data(as_text=True), "client_id")
    [entry] = entries(app)
    assert (entry.patient_id, entry.notes) == (other, "theirs")
    assert audit_rows(app, AuditEvent.object_type == "entry") == []


def test_an_id_of_another_patients_entry_is_refused_even_with_the_same_answers(
        as_patient, app, world):
    # Same time, same pain, nothing else: answering "already saved" would confirm the id exists.
    other = world.patient(world.clinician_id, name="B", email="b@home.example")
    theirs = add_entry(app, other, datetime(2025, 6, 15, 11, 30, tzinfo=ZoneInfo("Europe/London")),
                       pain=3)
    response = post_entry(as_patient, pain="3", client_id=theirs)
    assert response.status_code == 200
    assert "That entry was already saved." not in response.get_data(as_text=True)
    assert len(entries(app)) == 1


# --- changing an entry ---------------------------------------------------------------------

@pytest.fixture
def saved(as_patient, app):
    """The id of an entry the signed-in patient saved through the form."""
    assert post_entry(as_patient, **FULL_ENTRY).status_code == 302
    return entries(app)[0].id


def test_edit_page_shows_the_entry_as_saved(as_patient, saved):
    html = entry_page(as_patient, f"/diary/entries/{saved}/edit")
    assert checked_value(html, "pain") == "6"
    assert input_value(html, "temp_treated") == "28.4"
    assert input_value(html, "walk_max_min") == "25"
    assert input_value(html, "observed_at") == "2025-06-15T11:30"
    assert checked_value(html, "colour") == "blue_purple"
    assert textarea_value(html, "notes") == FULL_ENTRY["notes"]
    assert "Save changes" in html


def test_edit_changes_the_entry_and_audits_what_changed(as_patient, app, saved):
    data = new_entry_data(as_patient, **{**FULL_ENTRY, "pain": "3", "notes": NOTE})
    data["csrf_token"] = input_value(entry_page(as_patient, f"/diary/entries/{saved}/edit"),
                                     "csrf_token")
    response = as_patient.post(f"/diary/entries/{saved}/edit", data=data)
    assert response.status_code == 302
    assert "Your changes are saved." in _history(as_patient)
    [entry] = entries(app)
    assert (entry.id, entry.pain, entry.notes) == (saved, 3, NOTE)
    assert entry.updated_at >= entry.created_at
    [ev] = audit_rows(app, AuditEvent.action == "entry.update")
    assert set(ev.before) == set(ev.after) == {"pain", "notes"}
    assert ev.before["pain"] != ev.after["pain"]


def test_edit_with_nothing_changed_writes_nothing(as_patient, app, saved):
    page = entry_page(as_patient, f"/diary/entries/{saved}/edit")
    data = new_entry_data(as_patient, **FULL_ENTRY, observed_at="2025-06-15T11:30")
    data["csrf_token"] = input_value(page, "csrf_token")
    response = as_patient.post(f"/diary/entries/{saved}/edit", data=data)
    assert response.status_code == 302
    assert "Nothing was changed." in _history(as_patient)
    assert audit_rows(app, AuditEvent.action == "entry.update") == []


def test_edit_with_bad_input_changes_nothing(as_patient, app, saved):
    page = entry_page(as_patient, f"/diary/entries/{saved}/edit")
    data = {**FULL_ENTRY, "pain": "12", "notes": "new words", "client_id": saved,
            "observed_at": "2025-06-15T11:30", "csrf_token": input_value(page, "csrf_token")}
    response = as_patient.post(f"/diary/entries/{saved}/edit", data=data)
    assert response.status_code == 200
    assert "Please tap a number" in error_after(response.get_data(as_text=True), "pain")
    assert (entries(app)[0].pain, entries(app)[0].notes) == (6, FULL_ENTRY["notes"])
    assert audit_rows(app, AuditEvent.action == "entry.update") == []


def test_edit_keeps_the_entry_id_whatever_client_id_is_sent(as_patient, app, saved):
    page = entry_page(as_patient, f"/diary/entries/{saved}/edit")
    data = {**FULL_ENTRY, "pain": "1", "client_id": "00000000-0000-4000-8000-000000000000",
            "observed_at": "2025-06-15T11:30", "csrf_token": input_value(page, "csrf_token")}
    assert as_patient.post(f"/diary/entries/{saved}/edit", data=data).status_code == 302
    assert [(e.id, e.pain) for e in entries(app)] == [(saved, 1)]


def test_fahrenheit_entry_is_edited_in_fahrenheit(client, world, app):
    clinician = world.clinician()
    patient = world.patient(clinician, email="f@home.example", unit="F")
    entry = add_entry(app, patient, datetime(2025, 6, 15, 9, 0, tzinfo=UTC),
                      temp_treated_c=33.0)
    sign_in(client, "f@home.example")
    html = entry_page(client, f"/diary/entries/{entry}/edit")
    assert input_value(html, "temp_treated") == "91.4"
    assert checked_value(html, "temp_unit") == "F"


# --- soft delete ---------------------------------------------------------------------------

def test_delete_asks_first(as_patient, saved):
    html = entry_page(as_patient, f"/diary/entries/{saved}/delete")
    assert "Delete this entry?" in html and "Pain 6/10" in html


def test_delete_is_soft(as_patient, app, world, saved):
    response = post_form(as_patient, f"/diary/entries/{saved}/delete")
    assert response.status_code == 302
    [entry] = entries(app)  # the row is still there...
    assert entry.deleted_at is not None
    history = _history(as_patient)
    assert "The entry is deleted." in history
    assert FULL_ENTRY["notes"] not in history and f"/diary/entries/{saved}/edit" not in history
    # ...but gone everywhere it is shown, and can no longer be changed.
    assert as_patient.get(f"/diary/entries/{saved}/edit").status_code == 404
    assert as_patient.get(f"/diary/entries/{saved}/delete").status_code == 404
    as_patient.post("/sign-out", data={"csrf_token": input_value(history, "csrf_token")})
    sign_in(as_patient, "dr@clinic.example")
    page = as_patient.get(f"/clinic/patients/{world.patient_id}").get_data(as_text=True)
    assert FULL_ENTRY["notes"] not in page and "No entries yet." in page
    patients = as_patient.get("/clinic/").get_data(as_text=True)
    assert "none yet" in patients  # a deleted entry is no one's "last entry"


def test_delete_twice_is_not_found(as_patient, saved):
    token = input_value(entry_page(as_patient, f"/diary/entries/{saved}/delete"), "csrf_token")
    assert as_patient.post(f"/diary/entries/{saved}/delete",
                           data={"csrf_token": token}).status_code == 302
    assert as_patient.post(f"/diary/entries/{saved}/delete",
                           data={"csrf_token": token}).status_code == 404


# --- the audit trail -----------------------------------------------------------------------

def test_create_update_delete_are_audited_without_diary_content(as_patient, app, world):
    data = new_entry_data(as_patient, **{**FULL_ENTRY, "pain": "7", "notes": NOTE})
    assert as_patient.post("/diary/", data=data).status_code == 302
    entry_id = data["client_id"]
    edit = {**data, "pain": "8", "notes": NOTE + " (again)",
            "csrf_token": input_value(entry_page(as_patient, f"/diary/entries/{entry_id}/edit"),
                                      "csrf_token")}
    assert as_patient.post(f"/diary/entries/{entry_id}/edit", data=edit).status_code == 302
    assert post_form(as_patient, f"/diary/entries/{entry_id}/delete").status_code == 302

    events = audit_rows(app, AuditEvent.object_type == "entry")
    assert [ev.action for ev in events] == ["entry.create", "entry.update", "entry.delete"]
    me = user_id(app, "pat@home.example")
    for ev in events:
        assert (ev.object_id, ev.patient_id, ev.actor_id) == (entry_id, world.patient_id, me)
        assert ev.remote_addr == "127.0.0.1"
    create, update, delete = events
    assert create.before is None and set(create.after) <= set(CONTENT)
    assert {"pain", "notes", "temp_treated_c"} <= set(create.after)
    assert set(update.before) == set(update.after) == {"pain", "notes"}
    assert set(delete.before) == set(delete.after) == {"deleted_at"}

    # Before/after hold keyed digests only, never a value.
    for ev in events:
        for side in (ev.before or {}, ev.after or {}):
            assert all(re.fullmatch(r"[0-9a-f]{16}", v) for v in side.values()), side
    dumped = audit_json(app)
    for secret in (NOTE, "neighbour", "dog bit", FULL_ENTRY["temp_treated"], "blue_purple",
                   "leg_numbness"):
        assert secret not in dumped


def test_digests_differ_for_different_values_and_match_for_equal_ones(as_patient, app):
    first = new_entry_data(as_patient, pain="7", notes=NOTE)
    second = new_entry_data(as_patient, pain="7", notes="something else")
    for data in (first, second):
        assert as_patient.post("/diary/", data=data).status_code == 302
    a, b = (ev.after for ev in audit_rows(app, AuditEvent.action == "entry.create"))
    assert a["pain"] == b["pain"]  # same value, same digest: changes stay traceable
    assert a["notes"] != b["notes"]


def test_the_audit_chain_holds_after_a_session_of_work(as_patient, app, saved):
    assert post_form(as_patient, f"/diary/entries/{saved}/delete").status_code == 302
    with app.app_context():
        count, broken = audit.verify_chain()
    assert broken is None and count >= 3  # sign-in, create, delete


def test_audit_rows_cannot_be_changed(as_patient, app, saved):
    with app.app_context():
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.update(AuditEvent).values(action="tampered"))
            db.session.flush()
        db.session.rollback()
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.delete(AuditEvent))
            db.session.flush()
        db.session.rollback()
    assert "tampered" not in json.dumps([ev.action for ev in audit_rows(app)])
    assert len(entries(app, Entry.id == saved)) == 1
