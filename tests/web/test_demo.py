"""The demo clinic shows a newcomer every verdict and every status (issue 12): found by what
the app computes for each demo patient, never by name, at any time of day the demo is made."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from diary.clinical.summary import FOLLOW_UP, PENDING
from diary.data.db import db
from diary.data.models import (
    Block,
    ClinicVisit,
    Entry,
    Membership,
    Patient,
    PatientSummary,
    User,
)
from diary.services import demo
from diary.web.follow_up import follow_up
from tests.conftest import sign_in
from tests.web.helpers import NOW

# A summer noon, a late evening and a winter early morning (UTC): each demo patient's zone
# sees a different hour, and the block done "two hours ago" falls on another local day.
MOMENTS = (NOW, datetime(2026, 6, 15, 23, 40, tzinfo=UTC),
           datetime(2027, 1, 12, 5, 5, tzinfo=UTC))


def _seed(app, clock, now):
    clock.now = now
    with app.app_context():
        demo.seed(now)


def _findings(app, client, now) -> list[dict]:
    """Each demo patient as the consultant's list (after it is looked at) and the patient
    page's follow-up see them."""
    assert sign_in(client, demo.CLINICIAN_EMAIL, demo.DEMO_PASSWORD).status_code == 302
    listing = client.get("/clinic/")
    assert listing.status_code == 200
    found = []
    with app.app_context():
        for patient in db.session.scalars(sa.select(Patient).order_by(Patient.id)):
            line = db.session.get(PatientSummary, patient.id)
            fu = follow_up(patient, now)
            last = fu.analysis.done_blocks[-1]
            found.append({
                "patient": patient, "statuses": set(line.statuses.split(",")) - {""},
                "verdict": line.last_verdict, "last": last, "analysis": fu.analysis,
                "last_entry_at": line.last_entry_at, "failed": line.failed})
    found.append(listing.get_data(as_text=True))
    return found


def _one(found, what, test):
    matches = [f for f in found if test(f)]
    assert matches, f"no demo patient shows {what}"
    return matches[0]


@pytest.mark.parametrize("now", MOMENTS, ids=["noon", "late-evening", "winter-dawn"])
def test_every_verdict_and_status_is_in_the_demo(app, client, clock, now):
    _seed(app, clock, now)
    *found, listing = _findings(app, client, now)
    assert len(found) >= 8 and not any(f["failed"] for f in found)
    assert listing.count('class="tag demo">DEMO<') >= 8

    _one(found, "a positive block with a repeat due",
         lambda f: f["verdict"] == "positive" and "repeat_due" in f["statuses"])
    _one(found, "a negative block", lambda f: f["verdict"] == "negative")
    _one(found, "a partial block", lambda f: f["verdict"] == "partial")
    odd = _one(found, "an uninterpretable block", lambda f: f["verdict"] == "uninterpretable")
    # With its reason, in words, on the card.
    assert odd["last"].reasons and "because" in odd["last"].explanation
    assert any(r.code == "somatic_spread" for r in odd["last"].reasons)

    # A block done about two hours ago: its window open, a few readings in it so far.
    open_now = _one(found, "a block whose window is open now",
                    lambda f: f["verdict"] == PENDING)
    block = open_now["last"]
    assert block.pending and timedelta(hours=1) <= now - block.block.performed_at <= timedelta(
        hours=3)
    assert block.window_start < now < block.window_end
    assert 2 <= block.peak.n_entries <= 6
    assert "awaiting_block_day_readings" not in open_now["statuses"]  # readings are coming in

    # A neurolysis for limb ischaemia, followed up for months: checkpoints to day 90 done.
    limb = _one(found, "a neurolysis for limb ischaemia",
                lambda f: f["verdict"] == FOLLOW_UP and f["patient"].condition == "pad_clti")
    checkpoints = {c.day: c for c in limb["last"].limb_follow_up.checkpoints}
    assert checkpoints[90].state == "done" and checkpoints[90].relief_pct is not None
    assert (now - limb["last"].block.performed_at).days >= 90

    _one(found, "a thin baseline", lambda f: "thin_baseline" in f["statuses"]
         and f["last"].baseline.thin)
    quiet = _one(found, "a quiet diary", lambda f: "no_recent_entries" in f["statuses"])
    assert now - quiet["last_entry_at"] >= timedelta(days=7)  # many days, not just three


def test_the_demo_patients_are_varied_and_labelled(app, client, clock):
    _seed(app, clock, NOW)
    with app.app_context():
        patients = db.session.scalars(sa.select(Patient).order_by(Patient.id)).all()
        assert [p.record_number for p in patients] == [
            f"DEMO-{n:03}" for n in range(1, len(patients) + 1)]
        assert all(p.is_demo for p in patients)
        assert len({p.display_name for p in patients}) == len(patients)
        assert len({p.timezone for p in patients}) >= 5
        assert {p.temp_unit for p in patients} == {"C", "F"}
        assert {p.condition for p in patients} >= {"crps", "pad_clti", "neuropathic"}
        assert {p.treated_side for p in patients} >= {"left", "right"}
        for p in patients:
            # A diary that looks real: weeks of it, in the patient's own local hours.
            times = db.session.scalars(sa.select(Entry.observed_at)
                                       .where(Entry.patient_id == p.id)).all()
            assert max(times) - min(times) >= timedelta(days=40) and max(times) <= NOW
            hours = {t.astimezone(ZoneInfo(p.timezone)).hour for t in times}
            assert {9, 20} <= hours
        # The clinic's notes on the blocks and visits say DEMO.
        notes = db.session.scalars(sa.select(Block.notes)).all() + db.session.scalars(
            sa.select(ClinicVisit.note)).all()
        assert len(notes) >= 2 * len(patients) and all("DEMO" in n for n in notes)
        # Readings the nurse entered on a patient's behalf.
        helped = db.session.scalars(sa.select(Entry.patient_id).join(
            User, User.id == Entry.entered_by).where(User.email == demo.NURSE_EMAIL)).all()
    assert helped
    sign_in(client, demo.CLINICIAN_EMAIL, demo.DEMO_PASSWORD)
    page = client.get(f"/clinic/patients/{helped[0]}").get_data(as_text=True)
    assert "entered by Nurse Demo (DEMO)" in page


def test_the_staff_accounts_hold_their_roles_and_sign_in(app, clock):
    _seed(app, clock, NOW)
    with app.app_context():
        clinic_ids = set(db.session.scalars(sa.select(Membership.clinic_id)))
        assert len(clinic_ids) == 1  # one demo clinic, everyone in it
        held = {u.email: u.roles for u in db.session.scalars(
            sa.select(User).where(User.role == "staff"))}
    assert held == {demo.CLINICIAN_EMAIL: ("consultant", "admin"),
                    demo.NURSE_EMAIL: ("nurse",), demo.RECORDS_EMAIL: ("records",)}
    for email in held:
        browser = app.test_client()
        assert sign_in(browser, email, demo.DEMO_PASSWORD).status_code == 302
        listing = browser.get("/clinic/")
        assert listing.status_code == 200
        assert listing.get_data(as_text=True).count('class="tag demo">DEMO<') >= 8
        # Only the consultant, the clinic's administrator, may open the staff page.
        staff_page = browser.get("/clinic/staff/")
        assert (staff_page.status_code == 200) is (email == demo.CLINICIAN_EMAIL), email
    # Every patient login works too.
    for email, _ in demo.accounts()[3:]:
        assert sign_in(app.test_client(), email, demo.DEMO_PASSWORD).status_code == 302


def test_the_demo_command_prints_every_account_with_its_role(app, clock):
    clock.now = NOW
    result = app.test_cli_runner().invoke(args=["diary", "demo"])
    assert result.exit_code == 0, result.output
    assert demo.DEMO_PASSWORD in result.output
    lines = {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+@\S+)\s+(.+)$",
                                                         result.output, re.M)}
    assert lines[demo.CLINICIAN_EMAIL] == "Consultant, Administrator"
    assert lines[demo.NURSE_EMAIL] == "Nurse"
    assert lines[demo.RECORDS_EMAIL] == "Records officer"
    with app.app_context():
        users = db.session.scalars(sa.select(User)).all()
        assert set(lines) == {u.email for u in users}  # every account, and only those
        for patient in db.session.scalars(sa.select(Patient)):
            assert lines[patient.user.email].startswith(f"Patient {patient.display_name} (")
