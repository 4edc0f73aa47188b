"""The API's resources with a staff member's access token (and a phone's device token where it
may): patients, entries (read, change, delete through the entry form and the same service),
blocks, the analysis, the consultant's decision and the CSV exports; cursor pages; problem+json
errors with the forms' messages; the OpenAPI document."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import (
    AuditEvent,
    Block,
    BlockDecision,
    Entry,
    Patient,
    PatientSummary,
    User,
)
from diary.services import audit, demo
from tests.conftest import post_form, sign_in
from tests.web.device_helpers import (
    PROBLEM,
    call,
    entry_body,
    issue_pat,
    mint_token,
    problem_of,
)
from tests.web.helpers import NOW, add_entry, audit_rows, entries, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

DR, PAT = "dr@clinic.example", "pat@home.example"


@pytest.fixture
def clinic(app, world):
    """Dr with patient P (London, a phone with a device token) and a block; tokens."""
    world.clinician_id = world.clinician(DR)
    world.patient_id = world.patient(world.clinician_id, email=PAT, record="MRN-1")
    with app.app_context():
        block = Block(patient_id=world.patient_id, kind="diagnostic_la", side="left",
                      performed_at=datetime(2025, 6, 10, 9, 0, tzinfo=UTC), utc_offset_min=60,
                      recorded_by=world.clinician_id, temp_treated_pre_c=29.0,
                      temp_treated_10_c=33.5, temp_other_pre_c=29.2, pre_pain=7,
                      agent="lidocaine 1%", level="L3")
        db.session.add(block)
        db.session.commit()
        world.block_id = block.id
    world.read = issue_pat(app, world.clinician_id, "read")
    world.write = issue_pat(app, world.clinician_id, "read write")
    phone = app.test_client()
    sign_in(phone, PAT)
    world.device = mint_token(phone)
    world.api = app.test_client()
    return world


def get(world, path, token=None, **kwargs):
    return call(world.api, "GET", path, token or world.read, **kwargs)


def all_pages(world, path, token=None, limit=2) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = get(world, path, token, query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert pages < 100


# ------------------------------------------------------------------ patients

def test_the_patient_list_gives_the_clinic_list_s_statuses(app, clinic):
    body = get(clinic, "/api/v1/patients").get_json()
    [item] = body["items"]
    assert body["next_cursor"] is None
    assert item["id"] == clinic.patient_id and item["record_number"] == "MRN-1"
    assert item["treated_side"] == "left" and item["condition"] == "crps"
    assert item["timezone"] == "Europe/London" and item["temp_unit"] == "C"
    summary = item["summary"]
    with app.app_context():
        line = db.session.get(PatientSummary, clinic.patient_id)
        codes = [c for c in line.statuses.split(",") if c]
    assert sorted(s["code"] for s in summary["statuses"]) == sorted(codes) and codes
    assert all(s["label"] and isinstance(s["urgent"], bool) for s in summary["statuses"])
    assert summary["last_block_date"] == "2025-06-10"
    detail = get(clinic, f"/api/v1/patients/{clinic.patient_id}").get_json()
    assert detail == item


def test_a_device_token_sees_only_its_own_patient_without_the_clinic_s_line(app, clinic):
    other = clinic.patient(clinic.clinician_id, name="Other", email="o@home.example")
    body = get(clinic, "/api/v1/patients", clinic.device).get_json()
    assert [p["id"] for p in body["items"]] == [clinic.patient_id]
    assert body["items"][0]["summary"] is None
    problem_of(get(clinic, f"/api/v1/patients/{other}", clinic.device), 404)


def test_cursor_pages_give_every_patient_exactly_once(app, clinic):
    ids = [clinic.patient_id] + [clinic.patient(clinic.clinician_id, name=f"P{n}")
                                 for n in range(6)]
    clinic.patient(clinic.clinician("y@clinic.example"), name="Not mine")
    for limit in (1, 2, 3, 7, 100):
        items = all_pages(clinic, "/api/v1/patients", limit=limit)
        assert [p["id"] for p in items] == sorted(ids), limit


def test_cursor_pages_give_every_entry_exactly_once_oldest_first(app, clinic):
    when = datetime(2025, 6, 12, 8, 0, tzinfo=UTC)
    made = [add_entry(app, clinic.patient_id, when + timedelta(hours=n % 3), pain=n)
            for n in range(7)]  # several share a time: the id breaks the tie
    deleted = add_entry(app, clinic.patient_id, when, deleted_at=NOW)
    items = all_pages(clinic, f"/api/v1/patients/{clinic.patient_id}/entries", limit=2)
    assert sorted(e["id"] for e in items) == sorted(made) and deleted not in str(items)
    keys = [(e["observed_at"], e["id"]) for e in items]
    assert keys == sorted(keys)
    assert items[0]["observed_at"] == "2025-06-12T09:00:00+01:00"  # London summer time


def test_cursor_pages_give_every_block_exactly_once(app, clinic):
    with app.app_context():
        for n in range(4):
            db.session.add(Block(patient_id=clinic.patient_id, kind="therapeutic_la",
                                 side="left", recorded_by=clinic.clinician_id,
                                 performed_at=datetime(2025, 5, 1 + n % 2, tzinfo=UTC)))
        db.session.commit()
    items = all_pages(clinic, f"/api/v1/patients/{clinic.patient_id}/blocks", limit=2)
    assert len(items) == 5 and len({b["id"] for b in items}) == 5
    assert [b["performed_at"] for b in items] == sorted(b["performed_at"] for b in items)


@pytest.mark.parametrize(("query", "field"), [
    ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "x"}, "limit"),
    ({"limit": "-1"}, "limit"), ({"limit": "١٠"}, "limit"), ({"cursor": "!!!"}, "cursor"),
    ({"cursor": "bm90IGpzb24"}, "cursor"), ({"cursor": "WyJ4Il0"}, "cursor"),
    ({"cursor": "x" * 500}, "cursor"), ({"cursor": "W10"}, "cursor"),
    ({"cursor": "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiwxXQ"}, "cursor"),  # year 1
    ({"cursor": "WyIyMDI1LTA2LTEyVDA4OjAwOjAwKzAwOjAwIiwiXHUwMDAwIl0"}, "cursor"),  # NUL id
])
@pytest.mark.parametrize("path", ["/api/v1/patients", "/api/v1/patients/{p}/entries",
                                  "/api/v1/patients/{p}/blocks"])
def test_a_bad_page_parameter_is_a_400_with_a_message(app, clinic, query, field, path):
    response = get(clinic, path.format(p=clinic.patient_id), query_string=query)
    body = problem_of(response, 400)
    assert list(body["errors"]) == [field] and body["errors"][field][0] == body["detail"]


# ------------------------------------------------------------------ entries

def test_an_entry_reads_in_the_patient_s_zone_and_celsius(app, clinic):
    f_patient = clinic.patient(clinic.clinician_id, name="Kiwi", unit="F",
                               tz="Pacific/Auckland")
    entry_id = add_entry(app, f_patient, datetime(2025, 6, 14, 22, 0, tzinfo=UTC),
                         temp_treated_c=30.5, side_effects="back_soreness;leg_numbness")
    body = get(clinic, f"/api/v1/entries/{entry_id}").get_json()
    assert body["observed_at"] == "2025-06-15T10:00:00+12:00"
    assert body["temp_treated_c"] == 30.5 and body["temp_other_c"] is None
    assert body["side_effects"] == ["back_soreness", "leg_numbness"]
    assert body["patient_id"] == f_patient and body["pain"] == 5


def test_put_changes_an_entry_through_the_edit_form_s_rules(app, clinic):
    entry_id = add_entry(app, clinic.patient_id, datetime(2025, 6, 15, 9, 0, tzinfo=UTC))
    path = f"/api/v1/entries/{entry_id}"
    before = every_table(app)
    bad = call(clinic.api, "PUT", path, clinic.write, json={
        "observed_at": "2025-06-15T10:00", "pain": 11, "temp_unit": "C",
        "temp_treated": "55"})
    body = problem_of(bad, 422)
    assert body["errors"]["pain"] == ["Please tap a number from 0 to 10."]
    assert "15.0 °C and 40.0 °C" in body["errors"]["temp_treated"][0]
    future = problem_of(call(clinic.api, "PUT", path, clinic.write, json={
        "observed_at": "2025-06-16T10:00", "pain": 3, "temp_unit": "C"}), 422)
    assert future["errors"]["observed_at"]
    changed = every_table(app)
    assert [t for t in changed if changed[t] != before[t]] == ["access_token", "audit_event"]
    good = {"observed_at": "2025-06-15T10:00", "pain": 2, "temp_unit": "F",
            "temp_treated": "86.0", "notes": "after lunch"}
    response = call(clinic.api, "PUT", path, clinic.write, json=good)
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()
    assert result["changed"] is True and result["entry"]["pain"] == 2
    assert result["entry"]["temp_treated_c"] == 30.0 and result["entry"]["id"] == entry_id
    [entry] = entries(app)
    assert entry.pain == 2 and entry.notes == "after lunch" and entry.id == entry_id
    [event] = audit_rows(app, AuditEvent.action == "entry.update")
    assert event.actor_id == clinic.clinician_id and "after lunch" not in repr(event.after)
    again = call(clinic.api, "PUT", path, clinic.write, json=good).get_json()
    assert again["changed"] is False
    assert len(audit_rows(app, AuditEvent.action == "entry.update")) == 1


def test_the_patient_s_phone_changes_and_deletes_its_own_entries(app, clinic):
    entry_id = add_entry(app, clinic.patient_id, datetime(2025, 6, 15, 9, 0, tzinfo=UTC))
    path = f"/api/v1/entries/{entry_id}"
    response = call(clinic.api, "PUT", path, clinic.device, json={
        "observed_at": "2025-06-15T10:00", "pain": 1, "temp_unit": "C"})
    assert response.status_code == 200 and response.get_json()["entry"]["pain"] == 1
    assert call(clinic.api, "DELETE", path, clinic.device).status_code == 204
    [event] = audit_rows(app, AuditEvent.action == "entry.delete")
    with app.app_context():
        patient_user = db.session.get(Patient, clinic.patient_id).user_id
    assert event.actor_id == patient_user


def test_delete_is_the_service_s_soft_delete(app, clinic):
    entry_id = add_entry(app, clinic.patient_id, datetime(2025, 6, 15, 9, 0, tzinfo=UTC))
    path = f"/api/v1/entries/{entry_id}"
    response = call(clinic.api, "DELETE", path, clinic.write)
    assert response.status_code == 204 and response.get_data() == b""
    [entry] = entries(app)
    assert entry.deleted_at is not None  # kept for the record, left out everywhere
    [event] = audit_rows(app, AuditEvent.action == "entry.delete")
    assert event.actor_id == clinic.clinician_id and event.patient_id == clinic.patient_id
    problem_of(get(clinic, path), 404)
    problem_of(call(clinic.api, "DELETE", path, clinic.write), 404)
    with app.app_context():
        assert db.session.get(PatientSummary, clinic.patient_id).valid_until is None


def test_staff_send_an_entry_on_a_patient_s_behalf(app, clinic):
    body = entry_body(pain=4)
    missing = problem_of(call(clinic.api, "POST", "/api/v1/entries", clinic.write,
                              json=body), 422)
    assert missing["errors"] == {"patient_id": [
        "Please give the patient_id of the diary this entry is for."]}
    other = clinic.patient(clinic.clinician("y@clinic.example"), name="Not mine")
    problem_of(call(clinic.api, "POST", "/api/v1/entries", clinic.write,
                    json={**body, "patient_id": other}), 404)
    response = call(clinic.api, "POST", "/api/v1/entries", clinic.write,
                    json={**body, "patient_id": clinic.patient_id})
    assert response.status_code == 201
    [entry] = entries(app)
    assert entry.patient_id == clinic.patient_id and entry.entered_by == clinic.clinician_id
    [event] = audit_rows(app, AuditEvent.action == "entry.create")
    assert event.actor_id == clinic.clinician_id


def test_a_discharged_patient_s_diary_takes_no_entry_by_any_token(app, clinic):
    """Staff token or the patient's phone: 410, the diary closed, nothing written."""
    response = call(clinic.api, "POST", "/api/v1/entries", clinic.write,
                    json={**entry_body(pain=4), "patient_id": clinic.patient_id})
    entry_id = response.get_json()["id"]
    with app.app_context():
        db.session.get(Patient, clinic.patient_id).archived_at = NOW
        db.session.commit()
    before = every_table(app)
    sent = [
        call(clinic.api, "POST", "/api/v1/entries", clinic.write,
             json={**entry_body(pain=3), "patient_id": clinic.patient_id}),
        call(clinic.api, "PUT", f"/api/v1/entries/{entry_id}", clinic.write,
             json=entry_body(pain=2)),
        call(clinic.api, "DELETE", f"/api/v1/entries/{entry_id}", clinic.write),
        call(clinic.api, "POST", "/api/v1/entries", clinic.device, json=entry_body(pain=3)),
    ]
    for response in sent:
        assert problem_of(response, 410)["title"] in ("The diary is closed",
                                                      "Your diary is closed")
    after = every_table(app)
    before.pop("audit_event"), after.pop("audit_event")  # the staff token's uses are audited
    before.pop("access_token"), after.pop("access_token")  # (and their last use noted)
    before.pop("device_token"), after.pop("device_token")
    assert after == before


# ------------------------------------------------------------------ blocks and analysis

def test_a_block_reads_with_clinic_temperatures_in_celsius(app, clinic):
    body = get(clinic, f"/api/v1/blocks/{clinic.block_id}").get_json()
    assert body["performed_at"] == "2025-06-10T10:00:00+01:00"
    assert body["kind"] == "diagnostic_la" and body["agent"] == "lidocaine 1%"
    assert body["clinic_temperatures"] == [
        {"minute": 0, "treated_c": 29.0, "other_c": 29.2},
        {"minute": 10, "treated_c": 33.5, "other_c": None}]
    listed = get(clinic, f"/api/v1/patients/{clinic.patient_id}/blocks").get_json()
    assert listed["items"] == [body]


@pytest.fixture
def demo_api(app, clock):
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    clock.now = now
    with app.app_context():
        demo.seed(now)
        ids = {p.record_number: p.id for p in db.session.scalars(sa.select(Patient))}
        clinician = db.session.scalar(sa.select(User.id).where(
            User.email == demo.CLINICIAN_EMAIL))
    token = issue_pat(app, clinician, at=now)
    return ids, token, app.test_client()


def _blocks(app, patient_id):
    with app.app_context():
        return list(db.session.scalars(sa.select(Block).where(
            Block.patient_id == patient_id, Block.deleted_at.is_(None))
            .order_by(Block.performed_at)))


def test_the_analysis_is_the_consultant_s_page_s(app, demo_api):
    ids, token, api = demo_api
    blocks = _blocks(app, ids["DEMO-001"])
    found = [call(api, "GET", f"/api/v1/blocks/{b.id}/analysis", token).get_json()
             for b in blocks]
    assert [a["verdict"] for a in found] == ["positive", "positive"]  # as the page's cards
    first = found[0]
    assert first["block_id"] == blocks[0].id and first["number"] == 1
    assert first["verdict_label"] == "Positive" and first["explanation"]
    assert first["technical"]["grade"] in ("confirmed", "equivocal", "not_confirmed",
                                           "overridden", "unknown")
    assert first["baseline"]["b0"] is not None and first["baseline"]["b7"] is not None
    assert first["peak"]["relief_pct"] > 0 and "dur50" in first["duration"]
    assert {"present", "note"} <= set(first["prolonged"])
    assert all(set(r) == {"code", "text"} for r in first["reasons"])
    assert first["limb_follow_up"] is None
    assert "+01:00" in first["window_start"]


def test_a_neurolysis_analysis_carries_its_checkpoints_and_flags(app, demo_api):
    ids, token, api = demo_api
    neuro = next(b for b in _blocks(app, ids["DEMO-002"]) if b.kind == "neurolysis")
    body = call(api, "GET", f"/api/v1/blocks/{neuro.id}/analysis", token).get_json()
    follow = body["limb_follow_up"]
    assert [c["day"] for c in follow["checkpoints"]] == [7, 30, 90, 180]
    assert follow["checkpoints"][1]["wound"] == "healing"
    assert follow["checkpoints"][3]["state"] == "upcoming"
    assert follow["flags"][0]["code"] == "wound" and follow["flags"][0]["urgent"] is True


# ------------------------------------------------------------------ decisions

def decide(world, token=None, **fields):
    return call(world.api, "PUT", f"/api/v1/blocks/{world.block_id}/decision",
                token or world.write, json=fields)


@pytest.mark.parametrize(("fields", "errors"), [
    ({"agrees": False, "plan": "discharge"},
     {"reason": ["Please say why you do not agree with the verdict."]}),
    ({"agrees": False, "reason": "   ", "plan": "discharge"},
     {"reason": ["Please say why you do not agree with the verdict."]}),
    ({"plan": "discharge"},
     {"agrees": ["Please say whether you agree with the verdict (true or false)."]}),
    ({"agrees": "yes", "plan": "discharge"},
     {"agrees": ["Please say whether you agree with the verdict (true or false)."]}),
    ({"agrees": True, "plan": "amputate"},
     {"plan": ["Please choose a plan: repeat, refer_neurolysis_rf, other_treatment, "
               "discharge."]}),
    ({"agrees": True, "plan": "repeat"},
     {"planned_on": ["Please give the date of the repeat block."]}),
    ({"agrees": True, "plan": "repeat", "planned_on": "2025-06-14"},
     {"planned_on": ["The date cannot be in the past."]}),
    ({"agrees": True, "plan": "repeat", "planned_on": "15/07/2025"},
     {"planned_on": ["Please give the date as YYYY-MM-DD."]}),
    ({"agrees": True, "plan": "repeat", "planned_on": "2500-01-01"},
     {"planned_on": ["Please give the date as YYYY-MM-DD."]}),
    ({"agrees": True, "plan": "discharge", "note": "x" * 1001},
     {"note": ["Please keep the note under 1000 characters."]}),
    ({"agrees": True, "plan": "discharge", "note": "bell\x07"},
     {"note": ["Please remove the special (control) characters."]}),
    ({"agrees": True, "plan": "discharge", "note": 5},
     {"note": ["Please send this answer as text."]}),
])
def test_a_decision_is_checked_with_clear_messages(app, clinic, fields, errors):
    before = every_table(app)
    body = problem_of(decide(clinic, **fields), 422)
    assert body["errors"] == errors and body["title"] == "The decision was not saved"
    after = every_table(app)
    assert [t for t in after if after[t] != before[t]] == ["access_token", "audit_event"]
    assert audit_rows(app, AuditEvent.action.like("decision.%")) == []


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"data": "{not json", "content_type": "application/json"}, 400),
    ({"json": ["a list"]}, 400),
    ({"data": "agrees=1", "content_type": "application/x-www-form-urlencoded"}, 415),
])
def test_a_decision_that_is_not_a_json_object_is_refused(app, clinic, kwargs, status):
    response = call(clinic.api, "PUT", f"/api/v1/blocks/{clinic.block_id}/decision",
                    clinic.write, **kwargs)
    problem_of(response, status)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BlockDecision)) == 0


def test_a_decision_is_saved_audited_and_marks_the_list_line_stale(app, clinic):
    path = f"/api/v1/blocks/{clinic.block_id}/decision"
    problem_of(get(clinic, path), 404)  # none yet
    get(clinic, "/api/v1/patients")  # the list's line is made and current
    with app.app_context():
        version = db.session.get(PatientSummary, clinic.patient_id).version
    response = decide(clinic, agrees=True, plan="repeat", planned_on="2025-07-15",
                      note="Good response")
    assert response.status_code == 200, response.get_data(as_text=True)
    saved = response.get_json()
    assert saved["status"] == "created" and saved["plan_label"] == "Repeat the block"
    assert saved["planned_on"] == "2025-07-15" and saved["decided_by"] == clinic.clinician_id
    assert get(clinic, path).get_json() == {k: v for k, v in saved.items() if k != "status"}
    [created] = audit_rows(app, AuditEvent.action == "decision.create")
    assert created.patient_id == clinic.patient_id and created.actor_id == clinic.clinician_id
    assert set(created.after) == {"agrees", "reason", "plan", "planned_on", "note"}
    assert "Good response" not in repr(created.after)
    with app.app_context():
        line = db.session.get(PatientSummary, clinic.patient_id)
        assert line.valid_until is None and line.version > version

    changed = decide(clinic, agrees=False, reason="Relief too short", plan="discharge",
                     planned_on=None, note="Good response")
    assert changed.get_json()["status"] == "updated"
    [updated] = audit_rows(app, AuditEvent.action == "decision.update")
    assert set(updated.after) == {"agrees", "reason", "plan", "planned_on"}  # changed only
    with app.app_context():
        assert updated.after["plan"] == audit._digest("discharge")
        [row] = db.session.scalars(sa.select(BlockDecision)).all()
        assert (row.agrees, row.reason, row.plan, row.planned_on) == (
            False, "Relief too short", "discharge", None)
    same = decide(clinic, agrees=False, reason="Relief too short", plan="discharge",
                  note="Good response")
    assert same.get_json()["status"] == "unchanged"
    assert len(audit_rows(app, AuditEvent.action.like("decision.%"))) == 2


def test_today_is_the_patient_s_today_for_a_repeat_date(app, clinic, clock):
    clock.now = datetime(2025, 6, 15, 23, 30, tzinfo=UTC)  # already the 16th in London
    body = problem_of(decide(clinic, agrees=True, plan="repeat", planned_on="2025-06-15"),
                      422)
    assert body["errors"] == {"planned_on": ["The date cannot be in the past."]}
    assert decide(clinic, agrees=True, plan="repeat",
                  planned_on="2025-06-16").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(BlockDecision.planned_on)) == date(2025, 6, 16)


# ------------------------------------------------------------------ exports

@pytest.mark.parametrize("what", ["entries", "blocks", "block-summary"])
def test_exports_are_the_records_page_s_files_audited_the_same_way(app, clinic, what):
    add_entry(app, clinic.patient_id, datetime(2025, 6, 12, 9, 0, tzinfo=UTC), pain=6,
              notes="=HYPERLINK(\"x\")")
    response = get(clinic, f"/api/v1/patients/{clinic.patient_id}/exports/{what}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="MRN-1-{what}.csv"'
    api_file = response.get_data(as_text=True)
    page = app.test_client()
    sign_in(page, DR)
    page_file = post_form(page, f"/clinic/patients/{clinic.patient_id}/export",
                          {"what": what}, token_from="/clinic/export").get_data(as_text=True)
    assert api_file == page_file and len(list(csv.reader(io.StringIO(api_file)))) >= 2
    events = audit_rows(app, AuditEvent.action == f"export.{what}")
    assert len(events) == 2 and {e.actor_id for e in events} == {clinic.clinician_id}
    assert all(e.patient_id == clinic.patient_id for e in events)
    with app.app_context():
        assert events[0].after["via"] == audit._digest("api")


def test_an_export_with_deleted_rows_and_a_bad_flag(app, clinic):
    add_entry(app, clinic.patient_id, datetime(2025, 6, 12, 9, 0, tzinfo=UTC),
              deleted_at=NOW)
    path = f"/api/v1/patients/{clinic.patient_id}/exports/entries"
    without = get(clinic, path).get_data(as_text=True)
    with_deleted = get(clinic, path, query_string={"include_deleted": "true"})
    assert with_deleted.status_code == 200
    assert len(with_deleted.get_data(as_text=True).splitlines()) == len(
        without.splitlines()) + 1
    body = problem_of(get(clinic, path, query_string={"include_deleted": "maybe"}), 400)
    assert body["errors"] == {"include_deleted": ["Please give include_deleted as true or "
                                                  "false."]}
    problem_of(get(clinic, f"/api/v1/patients/{clinic.patient_id}/exports/everything"), 404)


def test_a_decision_leaves_the_exports_as_they_were(app, clinic):
    path = f"/api/v1/patients/{clinic.patient_id}/exports/blocks"
    before = get(clinic, path).get_data(as_text=True)
    assert decide(clinic, agrees=True, plan="discharge").status_code == 200
    assert get(clinic, path).get_data(as_text=True) == before


# ------------------------------------------------------------------ the document

def test_the_document_describes_every_resource_and_its_errors(client):
    from openapi_spec_validator import validate

    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    expected = {
        ("/api/v1/patients", "get"), ("/api/v1/patients/{patient_id}", "get"),
        ("/api/v1/patients/{patient_id}/entries", "get"), ("/api/v1/entries", "post"),
        ("/api/v1/entries/{entry_id}", "get"), ("/api/v1/entries/{entry_id}", "put"),
        ("/api/v1/entries/{entry_id}", "delete"), ("/api/v1/patients/{patient_id}/blocks", "get"),
        ("/api/v1/blocks/{block_id}", "get"), ("/api/v1/blocks/{block_id}/analysis", "get"),
        ("/api/v1/blocks/{block_id}/decision", "get"),
        ("/api/v1/blocks/{block_id}/decision", "put"),
        ("/api/v1/patients/{patient_id}/exports/{what}", "get")}
    found = {(path, method) for path, ops in doc["paths"].items() for method in ops
             if method in ("get", "put", "post", "delete")}
    assert expected <= found
    for path, method in expected:
        operation = doc["paths"][path][method]
        assert operation["security"], (path, method)
        for code in ("401", "404", "429"):
            assert set(operation["responses"][code]["content"]) == {PROBLEM}, (path, code)
        if method != "get":
            assert "403" in operation["responses"], (path, method)
    assert set(doc["components"]["securitySchemes"]) >= {"deviceToken", "accessToken"}
    put = doc["paths"]["/api/v1/blocks/{block_id}/decision"]["put"]
    schema = put["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["plan"]["enum"] == ["repeat", "refer_neurolysis_rf",
                                                    "other_treatment", "discharge"]
    assert doc["paths"]["/api/v1/patients/{patient_id}/exports/{what}"]["get"][
        "responses"]["200"]["content"].keys() == {"text/csv"}
    assert Entry  # the models the API reads
