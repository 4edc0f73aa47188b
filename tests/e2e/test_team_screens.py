"""The clinic-as-a-team screens (staff, patient management, decisions, readings entered for a
patient, the audit page), on the demo clinic at desktop and phone size, light and dark: axe
finds nothing at any impact, nothing runs off the page, and the error states read as well as
the empty forms. Nothing here changes the demo clinic (only GETs and refused forms)."""

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import Block, Patient, User

from .conftest import assert_no_sideways_scroll, axe_violations, sign_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo clinic's published password
EVERY_IMPACT = ("minor", "moderate", "serious", "critical")


def demo_ids(live, demo) -> dict:
    with live.app.app_context():
        try:
            patient = db.session.scalar(sa.select(Patient).where(
                Patient.record_number == "DEMO-001"))
            block = db.session.scalar(sa.select(Block.id).where(
                Block.patient_id == patient.id, Block.deleted_at.is_(None))
                .order_by(Block.performed_at.desc()).limit(1))
            nurse = db.session.scalar(sa.select(User.id).where(User.email == demo.NURSE_EMAIL))
            return {"patient": patient.id, "block": block, "nurse": nurse}
        finally:
            db.session.remove()


def screens(ids) -> list[tuple[str, str, str | None]]:
    """(name, path, the submit button to press empty for the error state, or None)."""
    p, b, n = ids["patient"], ids["block"], ids["nurse"]
    return [
        ("staff", "/clinic/staff/", None),
        ("staff-person", f"/clinic/staff/{n}", None),
        ("staff-invite", "/clinic/staff/invite", "Invite"),
        ("patient-edit", f"/clinic/patients/{p}/edit", None),
        ("discharge", f"/clinic/patients/{p}/discharge", None),
        ("handover", f"/clinic/patients/{p}/handover", None),
        ("decision", f"/clinic/blocks/{b}/decision", None),
        ("reading-for-patient", f"/clinic/patients/{p}/entries/new", "Save the reading"),
        ("audit", "/clinic/audit?date_from=yesterday", None),
        ("discharged-list", "/clinic/?show=discharged", None),
    ]


@pytest.mark.parametrize(("kind", "scheme"), [("desktop", "light"), ("phone", "dark")])
def test_the_team_screens_pass_axe_and_fit(open_context, live, demo_clinic, axe_source, kind,
                                           scheme):
    ids = demo_ids(live, demo_clinic)
    w = open_context(kind, f"team-{kind}", color_scheme=scheme)
    page = w.page
    sign_in(page, demo_clinic.CLINICIAN_EMAIL, DEMO_PASSWORD)
    page.wait_for_url("**/clinic/")
    width = 360 if kind == "phone" else 1280
    found = {}
    for name, path, submit in screens(ids):
        response = page.goto(path)
        assert response.status in (200, 400), (path, response.status)
        assert_no_sideways_scroll(page, width)
        found[name] = axe_violations(page, axe_source, EVERY_IMPACT)
        w.shot(name)
        if submit:
            page.get_by_role("button", name=submit, exact=True).click()
            page.wait_for_load_state()
            assert page.locator(".error, [role=alert]").count() > 0, name
            found[f"{name} (errors)"] = axe_violations(page, axe_source, EVERY_IMPACT)
            w.shot(f"{name}-errors")
    assert {k: v for k, v in found.items() if v} == {}


def test_a_nurse_and_a_records_officer_see_only_what_they_may_do(open_context, live,
                                                                  demo_clinic):
    ids = demo_ids(live, demo_clinic)
    patient = f"/clinic/patients/{ids['patient']}"
    for email, offered, withheld in (
            (demo_clinic.NURSE_EMAIL, ["Edit details", "Enter a reading", "Add a block"],
             ["Discharge", "Hand over", "Record decision", "Change decision"]),
            (demo_clinic.RECORDS_EMAIL, ["Printable summary"],
             ["Edit details", "Enter a reading", "Add a block", "Discharge",
              "Record decision"])):
        w = open_context("desktop", f"team-{email.split('@')[0]}")
        sign_in(w.page, email, DEMO_PASSWORD)
        w.page.goto(patient)
        for words in offered:
            assert w.page.get_by_text(words, exact=False).count() > 0, (email, words)
        for words in withheld:
            assert w.page.get_by_role("link", name=words).count() == 0, (email, words)
            assert w.page.get_by_role("button", name=words).count() == 0, (email, words)
        w.shot("patient")
