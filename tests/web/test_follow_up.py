"""The consultant's follow-up page and printable summary, on the demo clinic."""

import json
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Patient
from diary.services import demo
from tests.conftest import sign_in

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def demo_clinic(app, clock):
    clock.now = NOW
    with app.app_context():
        demo.seed(NOW)
        return {p.record_number: p.id for p in db.session.scalars(sa.select(Patient))}


@pytest.fixture
def consultant(client, demo_clinic):
    assert sign_in(client, demo.CLINICIAN_EMAIL, demo.DEMO_PASSWORD).status_code == 302
    return client


def _cards(html):
    return re.findall(r'<article class="card block-card verdict-(\w+)"', html)


def test_demo_verdicts_and_repeat_banner(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-001']}").get_data(as_text=True)
    assert _cards(html) == ["positive", "positive"]  # newest first
    assert 'class="banner due"' in html and "Repeat due" in html
    assert "Positive: pain fell from 7 to 2 (71 %)" in html
    other = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-002']}").get_data(as_text=True)
    assert _cards(other) == ["positive", "negative"]
    assert "not a diagnostic block" in other and 'class="banner due"' not in other


def test_charts_are_json_in_figures_with_captions(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-001']}").get_data(as_text=True)
    blobs = re.findall(r'<script type="application/json" class="chart-data" '
                       r'data-target="([\w-]+)">(.*?)</script>', html, re.S)
    assert [target for target, _ in blobs] == ["timeline", "relief-comparison"]
    for _, blob in blobs:
        assert json.loads(blob)["data"]
    assert html.count("<figcaption>") >= 2
    # Every script is either data or from our own origin: nothing inline to run.
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'type="application/json"' in tag or re.search(r'src="/(static|assets)/', tag), tag


def test_viewing_is_audited_without_content(consultant, demo_clinic, app):
    pid = demo_clinic["DEMO-001"]
    consultant.get(f"/clinic/patients/{pid}")
    consultant.get(f"/clinic/patients/{pid}/summary")
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.patient_id == pid, AuditEvent.action.like("patient.%"))).all()
    assert "patient.view" in actions and "patient.summary" in actions


def test_summary_is_printable(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-001']}/summary").get_data(
        as_text=True)
    assert "follow-up" in html and "Printed" in html
    assert _cards(html) == ["positive", "positive"]
    assert "css/clinic.css" in html


def test_another_clinician_sees_nothing(app, demo_clinic, world):
    world.clinician(email="else@clinic.example")
    other = app.test_client()
    sign_in(other, "else@clinic.example")
    for pid in demo_clinic.values():
        for url in (f"/clinic/patients/{pid}", f"/clinic/patients/{pid}/summary"):
            assert other.get(url).status_code == 404


def test_patients_cannot_open_the_follow_up(app, demo_clinic):
    patient = app.test_client()
    sign_in(patient, demo.PATIENT_EMAIL, demo.DEMO_PASSWORD)
    assert patient.get(f"/clinic/patients/{demo_clinic['DEMO-001']}/summary").status_code == 404


def test_a_patient_with_no_diary_still_has_a_page(as_clinician, world):
    pid = world.patient(world.clinician_id)
    html = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    assert "No blocks recorded yet" in html
