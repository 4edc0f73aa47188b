"""The consultant's decision on a block, on the web: the form and its refusals, the audit
trail, who may decide, the patient page and the printable summary, the block-summary export,
and the patient list's "needs attention" (a reviewed block leaves it until something new)."""

import csv
import html as htmllib
import io
import json
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Block, BlockDecision, Entry, Patient, User
from diary.interchange import csv_export as export
from diary.services import audit
from diary.services import blocks as block_service
from tests.conftest import post_form, sign_in
from tests.web.helpers import (
    NOW,
    audit_rows,
    checked_value,
    error_after,
    every_table,
    input_value,
    post_entry,
    textarea_value,
)
from tests.web.test_patient_list import OLD_BLOCK, listing, positive_then_waned, rows

pytestmark = pytest.mark.usefixtures("fixed_now")

DR = "dr@clinic.example"
SECRET_NOTE = "Book with the same agent, 4711"
GOOD = {"agrees": "yes", "plan": "repeat", "planned_on": "2025-07-01", "note": SECRET_NOTE}


def recorded_when_observed(app, pid: int) -> None:
    """Entries are stamped created_at by the real clock, the tests' clock stands still in
    2025: put each entry's created_at at its observed_at, as a phone online would."""
    with app.app_context():
        db.session.execute(sa.update(Entry).where(Entry.patient_id == pid)
                           .values(created_at=Entry.observed_at))
        db.session.commit()


class Clinic:
    pid: int
    block_id: int
    clinic_id: int


@pytest.fixture
def clinic(app, world, as_clinician):
    """Rita: a positive block on 1 June whose relief has waned (a repeat is due today, 15 June),
    her diary recorded as it was kept (created when observed), in Dr Test's clinic."""
    c = Clinic()
    c.pid = world.patient(world.clinician_id, name="Rita Repeat", record="MRN-0042",
                          email="rita@home.example")
    positive_then_waned(app, c.pid)
    recorded_when_observed(app, c.pid)
    with app.app_context():
        db.session.execute(sa.update(Block).where(Block.patient_id == c.pid)
                           .values(created_at=Block.performed_at))
        c.block_id = db.session.scalar(sa.select(Block.id).where(Block.patient_id == c.pid))
        db.session.commit()
    c.clinic_id = world.clinic_of(world.clinician_id)
    return c


def url(c: Clinic) -> str:
    return f"/clinic/blocks/{c.block_id}/decision"


def decide(client, c: Clinic, **changes):
    data = {**GOOD, **changes}
    return post_form(client, url(c), {k: v for k, v in data.items() if v is not None})


def saved(app) -> list[BlockDecision]:
    with app.app_context():
        out = list(db.session.scalars(sa.select(BlockDecision).order_by(BlockDecision.id)))
        db.session.expunge_all()
        return out


def decision_events(app) -> list[AuditEvent]:
    return audit_rows(app, AuditEvent.action.like("decision.%"))


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", html)).split())


# ------------------------------------------------------------------------------ the form

def test_the_form_shows_the_block_and_its_verdict_in_words(as_clinician, clinic):
    page = as_clinician.get(url(clinic)).get_data(as_text=True)
    words = text_of(page)
    assert "Record the decision" in words
    assert "Block 1 · Sun 1 Jun 2025, 10:00 · Diagnostic local anaesthetic" in words
    assert "Computed verdict: Positive Positive: pain fell from 8 to 2 (75 %)" in words
    assert checked_value(page, "agrees") is None and checked_value(page, "plan") is None
    assert "Refer for neurolysis or radiofrequency" in words and "Discharge" in words
    assert 'type="date"' in page and 'min="2025-06-15"' in page  # not before today


def test_record_a_decision_audited_and_shown_on_the_patient_page_and_summary(
        app, as_clinician, clinic, world):
    response = decide(as_clinician, clinic)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/clinic/patients/{clinic.pid}#decision-{clinic.block_id}")
    [row] = saved(app)
    assert (row.block_id, row.agrees, row.reason, row.plan, row.planned_on, row.note) == (
        clinic.block_id, True, "", "repeat", date(2025, 7, 1), SECRET_NOTE)
    assert row.decided_by == world.clinician_id and row.decided_at == NOW
    [event] = decision_events(app)
    assert (event.action, event.object_id, event.patient_id, event.actor_id) == (
        "decision.create", str(row.id), clinic.pid, world.clinician_id)
    assert set(event.after) == {"agrees", "reason", "plan", "planned_on", "note"}
    assert SECRET_NOTE not in json.dumps([event.before, event.after])  # digests, never values

    page = as_clinician.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    words = text_of(page)
    assert "The decision is recorded." in words
    assert f"Dr Test agreed: repeat the block on 1 Jul 2025 — {SECRET_NOTE}" in words
    assert "Not reviewed yet" not in words
    assert f'href="/clinic/blocks/{clinic.block_id}/decision">Change decision' in page
    summary = text_of(as_clinician.get(f"/clinic/patients/{clinic.pid}/summary")
                      .get_data(as_text=True))
    assert ("The consultant's decisions Block 1 (1 Jun 2025): Dr Test agreed: repeat the "
            f"block on 1 Jul 2025 — {SECRET_NOTE}") in summary


def test_before_any_decision_the_pages_say_not_reviewed(as_clinician, clinic):
    page = as_clinician.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    assert "Not reviewed yet" in text_of(page)
    assert f'href="/clinic/blocks/{clinic.block_id}/decision">Record decision' in page
    summary = as_clinician.get(f"/clinic/patients/{clinic.pid}/summary").get_data(as_text=True)
    assert "Block 1 (1 Jun 2025): Not reviewed yet" in text_of(summary)


def test_change_a_decision_prefilled_audited_before_and_after(app, as_clinician, clinic):
    decide(as_clinician, clinic)
    form = as_clinician.get(url(clinic)).get_data(as_text=True)
    assert "Change the decision" in text_of(form)
    assert checked_value(form, "agrees") == "yes" and checked_value(form, "plan") == "repeat"
    assert input_value(form, "planned_on") == "2025-07-01"
    assert textarea_value(form, "note") == SECRET_NOTE

    response = decide(as_clinician, clinic, agrees="no", reason="Relief lasted four days only",
                      plan="discharge", planned_on="")

    assert response.status_code == 302
    [row] = saved(app)
    assert (row.agrees, row.reason, row.plan, row.planned_on, row.note) == (
        False, "Relief lasted four days only", "discharge", None, SECRET_NOTE)
    create, update = decision_events(app)
    assert update.action == "decision.update" and update.object_id == create.object_id
    changed = {"agrees", "reason", "plan", "planned_on"}  # the note did not change
    assert set(update.before) == set(update.after) == changed
    with app.app_context():
        assert update.before["plan"] == audit._digest("repeat")
        assert update.after["plan"] == audit._digest("discharge")
    words = text_of(as_clinician.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True))
    assert "The decision is changed." in words
    assert (f"Dr Test disagreed (Relief lasted four days only): discharge — {SECRET_NOTE}"
            in words)

    again = decide(as_clinician, clinic, agrees="no", reason="Relief lasted four days only",
                   plan="discharge", planned_on="")
    assert again.status_code == 302
    assert len(decision_events(app)) == 2  # nothing changed, nothing audited
    assert "Nothing was changed." in text_of(
        as_clinician.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True))


def test_another_plan_may_carry_its_date(app, as_clinician, clinic):
    """The service's one rule set (shared with the API): the date is needed for a repeat and
    may be given for another plan (the day of the referral)."""
    assert decide(as_clinician, clinic, plan="refer_neurolysis_rf",
                  planned_on="2025-08-04", note="").status_code == 302
    [row] = saved(app)
    assert (row.plan, row.planned_on) == ("refer_neurolysis_rf", date(2025, 8, 4))
    words = text_of(as_clinician.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True))
    assert "Dr Test agreed: refer for neurolysis or radiofrequency on 4 Aug 2025" in words


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"agrees": "no"}, "reason", "Please say why you do not agree with the verdict."),
    ({"agrees": "no", "reason": "   "}, "reason",
     "Please say why you do not agree with the verdict."),
    ({"agrees": None}, "agrees", "Please say whether you agree with the verdict."),
    ({"agrees": "maybe"}, "agrees", "Not a valid choice."),
    ({"plan": None}, "plan", "Please choose a plan."),
    ({"plan": "amputate"}, "plan", "Not a valid choice."),
    ({"planned_on": None}, "planned_on", "Please give the date of the repeat block."),
    ({"planned_on": "2025-06-14"}, "planned_on", "The date cannot be in the past."),
    ({"planned_on": "12/01/2027"}, "planned_on", "Please give the date like 2027-01-12."),
    ({"planned_on": "2025-02-30"}, "planned_on", "Please give the date like 2027-01-12."),
    ({"planned_on": "2500-01-01"}, "planned_on", "Please give the date like 2027-01-12."),
    ({"note": "x" * 1001}, "note", "Please keep the note under 1000 characters."),
    ({"note": "bell\x07 and NUL\x00"}, "note", "Please remove the special (control) characters."),
    ({"agrees": "no", "reason": "y" * 1001}, "reason",
     "Please keep the reason under 1000 characters."),
    ({"agrees": "no", "reason": "esc\x1b[31m"}, "reason",
     "Please remove the special (control) characters."),
])
def test_bad_input_is_refused_by_its_field_and_changes_nothing(app, as_clinician, clinic,
                                                               changes, field, message):
    as_clinician.get(url(clinic))  # the sign-in's last-seen write is done before we look
    before = every_table(app)

    response = decide(as_clinician, clinic, **changes)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_after(page, field) == htmllib.escape(message, quote=False)
    assert "Nothing was saved" in page
    assert every_table(app) == before


def test_every_field_at_fault_says_so_at_once(app, as_clinician, clinic):
    response = decide(as_clinician, clinic, agrees="no", plan=None, planned_on="tomorrow",
                      note="\x00")
    page = response.get_data(as_text=True)
    assert error_after(page, "reason") == "Please say why you do not agree with the verdict."
    assert error_after(page, "plan") == "Please choose a plan."
    assert error_after(page, "planned_on") == "Please give the date like 2027-01-12."
    assert error_after(page, "note") == "Please remove the special (control) characters."
    assert error_after(page, "agrees") is None
    assert saved(app) == []


def test_a_refused_change_keeps_the_decision_as_it_was(app, as_clinician, clinic):
    decide(as_clinician, clinic)
    before = every_table(app)
    response = decide(as_clinician, clinic, plan="discharge", note="z" * 1001)
    assert response.status_code == 200 and "Change the decision" in text_of(
        response.get_data(as_text=True))
    assert every_table(app) == before


def test_a_hostile_note_is_kept_as_text_escaped_on_the_pages(app, as_clinician, clinic):
    note = '<script>alert("x")</script> =HYPERLINK("http://evil.example")'
    assert decide(as_clinician, clinic, note=note).status_code == 302
    assert saved(app)[0].note == note
    for path in (f"/clinic/patients/{clinic.pid}", f"/clinic/patients/{clinic.pid}/summary"):
        page = as_clinician.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_without_a_csrf_token_nothing_is_saved(app, as_clinician, clinic):
    as_clinician.get(url(clinic))
    before = every_table(app)
    response = as_clinician.post(url(clinic), data=GOOD)
    assert response.status_code == 400  # the app's CSRF check, before the view
    assert every_table(app) == before


# ------------------------------------------------------------------------------ who may decide

@pytest.mark.parametrize("roles", [("nurse",), ("records",), ("admin",)])
def test_only_a_consultant_decides(app, client, world, clinic, roles):
    world.staff("staff@clinic.example", "Sam Staff", roles=roles, clinic=clinic.clinic_id)
    other = app.test_client()
    assert sign_in(other, "staff@clinic.example").status_code == 302
    home = "/clinic/staff/" if roles == ("admin",) else "/clinic/"
    other.get(home)  # the list's lines are brought up to date before we look
    before = every_table(app)
    assert other.get(url(clinic)).status_code == 403
    assert post_form(other, url(clinic), GOOD, token_from=home).status_code == 403
    assert every_table(app) == before
    if roles != ("admin",):  # those who see the patient see no link to decide
        page = other.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
        assert "Not reviewed yet" in text_of(page)
        assert "/decision" not in page


def test_a_nurse_sees_the_decision_but_no_link(app, world, as_clinician, clinic):
    decide(as_clinician, clinic)
    world.staff("nurse@clinic.example", "Nia Nurse", roles=("nurse",), clinic=clinic.clinic_id)
    nurse = app.test_client()
    assert sign_in(nurse, "nurse@clinic.example").status_code == 302
    page = nurse.get(f"/clinic/patients/{clinic.pid}").get_data(as_text=True)
    assert "Dr Test agreed: repeat the block on 1 Jul 2025" in text_of(page)
    assert "Change decision" not in page and "/decision" not in page


def test_a_consultant_of_another_clinic_gets_not_found(app, world, clinic):
    world.clinician(email="other@clinic.example", name="Dr Other")
    other = app.test_client()
    assert sign_in(other, "other@clinic.example").status_code == 302
    before = every_table(app)
    assert other.get(url(clinic)).status_code == 404
    assert post_form(other, url(clinic), GOOD, token_from="/clinic/").status_code == 404
    assert other.get("/clinic/blocks/999999/decision").status_code == 404
    assert every_table(app) == before


def test_a_deleted_block_and_a_patient_get_not_found(app, as_clinician, clinic):
    patient = app.test_client()
    assert sign_in(patient, "rita@home.example").status_code == 302
    assert patient.get(url(clinic)).status_code == 404
    with app.app_context():
        db.session.get(Block, clinic.block_id).deleted_at = NOW
        db.session.commit()
    assert as_clinician.get(url(clinic)).status_code == 404


# ------------------------------------------------------------------------------ the export

def block_summary(client, c: Clinic) -> list[dict]:
    body = post_form(client, f"/clinic/patients/{c.pid}/export", {"what": "block-summary"},
                     token_from="/clinic/export").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_block_summary_export_carries_the_decision(app, as_clinician, clinic):
    [row] = block_summary(as_clinician, clinic)
    assert list(row)[-7:] == list(export.DECISION_COLUMNS)
    assert [row[c] for c in export.DECISION_COLUMNS] == [""] * 7  # not reviewed

    hostile = "=HYPERLINK(\"http://evil.example\"),\n+1"
    decide(as_clinician, clinic, agrees="no", reason="@SUM(A1:A9)", plan="repeat",
           note=hostile)
    [row] = block_summary(as_clinician, clinic)
    assert row["decision_agrees"] == "no"
    assert row["decision_reason"] == "'@SUM(A1:A9)"        # neutralised, as every text cell
    assert row["decision_plan"] == "repeat"
    assert row["decision_planned_on"] == "2025-07-01"
    assert row["decision_note"] == "'" + hostile
    assert row["decided_by"] == DR
    assert row["decided_at"] == "2025-06-15T10:30:00+00:00"
    assert export.restore_text(row["decision_note"]) == hostile


def test_the_export_marks_only_the_block_decided(app, as_clinician, clinic):
    with app.app_context():
        later = Block(patient_id=clinic.pid, recorded_by=db.session.get(
            Block, clinic.block_id).recorded_by, performed_at=NOW - timedelta(days=3),
            side="left", kind="diagnostic_la", agent="Bupivacaine 0.25%",
            created_at=NOW - timedelta(days=3))
        db.session.add(later)
        db.session.commit()
    decide(as_clinician, clinic, plan="discharge", planned_on="", note="")
    first, second = block_summary(as_clinician, clinic)
    assert (first["block_id"], first["decision_agrees"], first["decision_plan"]) == (
        str(clinic.block_id), "yes", "discharge")
    assert first["decision_planned_on"] == "" and first["decision_note"] == ""
    assert [second[c] for c in export.DECISION_COLUMNS] == [""] * 7


# ------------------------------------------------------------------------------ needs attention

def ritas_statuses(client) -> list[str]:
    return {name: chips for name, chips, _ in rows(listing(client))}["Rita Repeat"]


def test_a_reviewed_block_leaves_needs_attention_until_a_new_entry(app, as_clinician, clinic,
                                                                   clock):
    assert ritas_statuses(as_clinician) == ["Repeat block due"]

    decide(as_clinician, clinic)
    assert ritas_statuses(as_clinician) == []  # the line went stale with the decision

    # The next morning, Rita writes in her diary: something new, the status is back.
    clock.now = NOW + timedelta(hours=20)
    patient = app.test_client()
    assert sign_in(patient, "rita@home.example").status_code == 302
    assert post_entry(patient, pain="8").status_code == 302
    recorded_when_observed(app, clinic.pid)
    assert sign_in(as_clinician, DR).status_code == 302
    assert ritas_statuses(as_clinician) == ["Repeat block due"]

    # Deciding again takes it off again.
    decide(as_clinician, clinic, note="Seen again")
    assert ritas_statuses(as_clinician) == []


def test_a_block_recorded_after_the_decision_brings_it_back(app, as_clinician, clinic, clock):
    decide(as_clinician, clinic)
    assert ritas_statuses(as_clinician) == []
    # An older block, forgotten, recorded five minutes after the decision (by the service,
    # which marks the line stale): the last block is the same, but something new happened.
    clock.now = NOW + timedelta(minutes=5)
    with app.app_context():
        patient = db.session.get(Patient, clinic.pid)
        doctor = db.session.scalar(sa.select(User).where(User.email == DR))
        block_service.create(patient, {
            "performed_at": OLD_BLOCK - timedelta(days=20), "utc_offset_min": 60,
            "side": "left", "kind": "diagnostic_la", "agent": "Bupivacaine 0.25%",
            "created_at": clock.now}, doctor)
    assert ritas_statuses(as_clinician) == ["Repeat block due"]
