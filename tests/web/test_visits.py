"""The consultant records, corrects and deletes clinic visits with the Fontaine stage
(docs/clinical.md §7): the form, its refusals, the audit trail and who may touch which visit."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, ClinicVisit
from diary.services import visits as visit_service
from tests.conftest import post_form, sign_in
from tests.web.helpers import NOW, checked_value, error_after, every_table, textarea_value

SECRET_NOTE = "Ulcer on the hallux smaller, 4711"
VALID = {"visited_on": "2025-06-14", "fontaine": "iv", "note": SECRET_NOTE}

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def pid(as_clinician, world):
    return world.patient(world.clinician_id)


def live_visits(app, patient_id) -> list[ClinicVisit]:
    with app.app_context():
        out = list(db.session.scalars(sa.select(ClinicVisit).where(
            ClinicVisit.patient_id == patient_id, ClinicVisit.deleted_at.is_(None))
            .order_by(ClinicVisit.id)))
        db.session.expunge_all()
        return out


def visit_events(app) -> list[AuditEvent]:
    with app.app_context():
        out = list(db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.object_type == "visit").order_by(AuditEvent.id)))
        db.session.expunge_all()
        return out


def record(client, pid, **changes):
    data = {**VALID, **changes}
    return post_form(client, f"/clinic/patients/{pid}/visits/new",
                     {k: v for k, v in data.items() if v is not None})


def test_record_a_visit_and_see_it_on_the_patient_page(app, as_clinician, pid, world):
    page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    assert "Clinic visits (Fontaine stage)" in page and "No clinic visits recorded yet" in page
    assert f'href="/clinic/patients/{pid}/visits/new">Record a clinic visit</a>' in page
    form = as_clinician.get(f"/clinic/patients/{pid}/visits/new").get_data(as_text=True)
    assert 'type="date"' in form and 'value="2025-06-15"' in form  # today, in London
    assert checked_value(form, "fontaine") is None

    response = record(as_clinician, pid)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/clinic/patients/{pid}#visits")
    [visit] = live_visits(app, pid)
    assert (visit.visited_on, visit.fontaine, visit.note) == (date(2025, 6, 14), "iv",
                                                              SECRET_NOTE)
    assert visit.recorded_by == world.clinician_id
    [event] = visit_events(app)
    assert (event.action, event.object_id, event.patient_id, event.actor_id) == (
        "visit.create", str(visit.id), pid, world.clinician_id)
    assert set(event.after) == {"visited_on", "fontaine", "note"}
    assert SECRET_NOTE not in json.dumps([event.before, event.after])  # digests, never values
    page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    assert "The clinic visit is recorded." in page
    assert "14 Jun 2025" in page and "IV — ulcer or gangrene" in page and SECRET_NOTE in page
    assert f'href="/clinic/visits/{visit.id}/edit"' in page


def test_edit_a_visit_is_audited_and_nothing_changed_writes_nothing(app, as_clinician, pid):
    record(as_clinician, pid)
    [visit] = live_visits(app, pid)
    url = f"/clinic/visits/{visit.id}/edit"
    form = as_clinician.get(url).get_data(as_text=True)
    assert 'value="2025-06-14"' in form and checked_value(form, "fontaine") == "iv"
    assert textarea_value(form, "note") == SECRET_NOTE

    before = every_table(app)
    same = post_form(as_clinician, url, VALID)
    assert same.status_code == 302 and every_table(app) == before
    assert "Nothing was changed." in as_clinician.get(same.headers["Location"]).get_data(
        as_text=True)

    changed = post_form(as_clinician, url, {**VALID, "fontaine": "iii", "note": ""})
    assert changed.status_code == 302
    [visit] = live_visits(app, pid)
    assert (visit.fontaine, visit.note) == ("iii", "")
    events = visit_events(app)
    assert [e.action for e in events] == ["visit.create", "visit.update"]
    assert set(events[-1].after) == {"fontaine", "note"}

    unstaged = post_form(as_clinician, url, {**VALID, "fontaine": ""})
    assert unstaged.status_code == 302
    assert live_visits(app, pid)[0].fontaine is None


def test_delete_a_visit_asks_first_then_hides_it(app, as_clinician, pid):
    record(as_clinician, pid)
    [visit] = live_visits(app, pid)
    url = f"/clinic/visits/{visit.id}/delete"
    ask = as_clinician.get(url).get_data(as_text=True)
    assert "Delete this clinic visit?" in ask and "Yes, delete it" in ask
    assert [v.id for v in live_visits(app, pid)] == [visit.id]  # the question wrote nothing

    response = post_form(as_clinician, url, {})

    assert response.status_code == 302
    assert live_visits(app, pid) == []
    with app.app_context():
        row = db.session.get(ClinicVisit, visit.id)
        assert row.deleted_at is not None  # kept, only marked
    assert [e.action for e in visit_events(app)] == ["visit.create", "visit.delete"]
    page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    assert SECRET_NOTE not in page and "No clinic visits recorded yet" in page
    assert as_clinician.get(f"/clinic/visits/{visit.id}/edit").status_code == 404
    assert as_clinician.get(url).status_code == 404


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"visited_on": "2025-06-16"}, "visited_on", "That date is in the future"),
    ({"visited_on": "2014-12-31"}, "visited_on", "more than ten years before"),
    ({"visited_on": "1899-12-31"}, "visited_on", "between 1900 and 2200"),
    ({"visited_on": "14/06/2025"}, "visited_on", "like 2025-06-30"),
    ({"visited_on": "2025-02-30"}, "visited_on", "like 2025-06-30"),
    ({"visited_on": "２０２５-06-14"}, "visited_on", "like 2025-06-30"),
    ({"visited_on": ""}, "visited_on", "Please give the date of the visit."),
    ({"fontaine": "v"}, "fontaine", "Not a valid choice"),
    ({"note": "x" * 1001}, "note", "under 1000 characters"),
    ({"note": "bad\x00note"}, "note", "control"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_saved(app, as_clinician, pid, changes,
                                                               field, message):
    before = every_table(app)

    response = record(as_clinician, pid, **changes)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Please look at the marked fields below" in html
    assert message in (error_after(html, field) or ""), error_after(html, field)
    assert every_table(app) == before


def test_a_visit_today_in_the_patients_zone_is_allowed(app, as_clinician, world):
    # 10:30 UTC on 15 June is already 16 June on Kiritimati (UTC+14).
    pid = world.patient(world.clinician_id, tz="Pacific/Kiritimati")
    assert record(as_clinician, pid, visited_on="2025-06-16").status_code == 302
    assert live_visits(app, pid)[0].visited_on == date(2025, 6, 16)
    assert record(as_clinician, pid, visited_on="2025-06-17").status_code == 200


def test_a_note_of_exactly_the_limit_is_kept(app, as_clinician, pid):
    assert record(as_clinician, pid, note="n" * 1000).status_code == 302
    assert len(live_visits(app, pid)[0].note) == 1000


def test_the_service_refuses_what_the_form_would(app, pid, world):
    with app.app_context():
        from diary.data.models import Patient, User

        patient = db.session.get(Patient, pid)
        user = db.session.get(User, world.clinician_id)
        for values in ({"visited_on": date(2025, 6, 16)}, {"visited_on": None},
                       {"visited_on": date(2025, 6, 1), "fontaine": "v"},
                       {"visited_on": date(2025, 6, 1), "note": "x" * 1001}):
            with pytest.raises(ValueError):
                visit_service.create(patient, values, user, NOW)
        db.session.rollback()
    assert live_visits(app, pid) == [] and visit_events(app) == []


def test_the_clinic_visits_section_is_shown_for_every_condition(app, as_clinician, world):
    for condition in ("crps", "pad_clti"):
        pid = world.patient(world.clinician_id, name=f"P {condition}")
        with app.app_context():
            from diary.data.models import Patient

            db.session.get(Patient, pid).condition = condition
            db.session.commit()
        page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
        assert 'id="visits"' in page and "Record a clinic visit" in page


def test_newest_visit_first_with_its_stage(app, as_clinician, pid):
    record(as_clinician, pid, visited_on="2025-01-10", fontaine="iv", note="first")
    record(as_clinician, pid, visited_on="2025-04-10", fontaine="iii", note="second")
    record(as_clinician, pid, visited_on="2025-03-01", fontaine=None, note="unstaged")
    page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    section = page.split('id="visits"')[1].split("</section>")[0]
    assert section.index("second") < section.index("unstaged") < section.index("first")
    assert "not staged" in section
    assert "(3)" in section


def test_another_clinician_and_patients_cannot_touch_a_visit(app, as_clinician, pid, world):
    record(as_clinician, pid)
    [visit] = live_visits(app, pid)
    world.clinician(email="else@clinic.example")
    world.patient(world.clinician_id, name="Pat", email="pat@home.example")
    for who in ("else@clinic.example", "pat@home.example"):
        other = app.test_client()
        assert sign_in(other, who).status_code == 302
        before = every_table(app)
        for url in (f"/clinic/visits/{visit.id}/edit", f"/clinic/visits/{visit.id}/delete",
                    f"/clinic/patients/{pid}/visits/new"):
            assert other.get(url).status_code == 404
            token_page = "/clinic/" if who.startswith("else") else "/diary/history"
            response = post_form(other, url, {**VALID, "note": "sneaky"}, token_from=token_page)
            assert response.status_code == 404
        assert every_table(app) == before
    anonymous = app.test_client()
    response = anonymous.get(f"/clinic/visits/{visit.id}/edit")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_unknown_visits_are_not_there(as_clinician, pid):
    assert as_clinician.get("/clinic/visits/987654/edit").status_code == 404
    assert as_clinician.get("/clinic/patients/987654/visits/new").status_code == 404


def test_in_the_americas_tomorrow_is_still_the_future(app, as_clinician, world):
    # 10:30 UTC on 15 June is 06:30 in New York: 15 June is today there, the 16th is not.
    pid = world.patient(world.clinician_id, tz="America/New_York")
    assert record(as_clinician, pid, visited_on="2025-06-16").status_code == 200
    assert record(as_clinician, pid, visited_on="2025-06-15").status_code == 302


def test_a_hostile_note_is_shown_as_text(app, as_clinician, pid):
    assert record(as_clinician, pid, note='<script>alert(1)</script>"x').status_code == 302
    page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
