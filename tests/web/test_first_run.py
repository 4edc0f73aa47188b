"""The first run (issue 9, item 7): accepting the invite leads to one calm screen that says
what to record, when (the block-day readings), how to measure the temperature of *their* feet,
where to install the diary and turn on reminders, and then "Start my diary". The screen stays
reachable later (from the history page)."""

import html as htmllib
import re
from datetime import timedelta

import pytest

from diary.data.db import db
from diary.data.models import Patient
from tests.conftest import sign_in
from tests.web.helpers import NOW
from tests.web.test_invites import accept, issue
from tests.web.test_patient_list import add_block

pytestmark = pytest.mark.usefixtures("fixed_now")


def text(html: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def links(html: str) -> dict[str, str]:
    """Link text -> href, tags inside the link stripped."""
    return {text(inner): htmllib.unescape(href)
            for href, inner in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', html, re.S)}


@pytest.fixture
def invited(app, as_clinician, world):
    """A right-side patient in New York with a block booked for tomorrow, and their invite."""
    pid = world.patient(world.clinician_id, name="Nina Newcomer", tz="America/New_York")
    with app.app_context():
        db.session.get(Patient, pid).treated_side = "right"
        db.session.commit()
    add_block(app, pid, NOW + timedelta(days=1), kind="therapeutic_la")
    _, path = issue(as_clinician, pid)
    return path


def test_accepting_the_invite_opens_the_first_run_screen(app, invited):
    phone = app.test_client()
    response = accept(phone, invited)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/diary/welcome")
    page = phone.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    words = text(html)
    assert "Welcome to your diary" in words
    # What to record, about their own leg.
    assert "The pain in your right leg, from 0 (no pain) to 10." in words
    # When: the booked block in their own time, its kind in plain words, the block-day times.
    assert "Your block is booked for Monday 16 June at 06:30" in words
    assert ": a numbing injection (with or without a steroid)." in words
    assert "once a day, for the 7 days before it" in words
    assert "15 minutes and 30 minutes after it, then every hour until 6 hours after it" in words
    assert "All times are New York time (UTC−4)." in words
    assert "America/New_York" not in words and "anaesthetic" not in words
    # Their feet, named, in the order the form asks for them.
    assert "Your right foot was treated." in words
    assert "Measure your right foot on the sole" in words
    assert "Type it in the box “Right foot (treated)”" in words
    assert "Measure your left foot at the same spot. Type it in the box “Left foot”" in words
    # Install and reminders: the account page's sections; then the big button.
    found = links(html)
    assert found["Add the diary to your home screen"] == "/diary/account#install"
    assert found["Turn on reminders"] == "/diary/account#reminders"
    assert found["Start my diary"] == "/diary/"
    assert re.search(r'<a class="button big" href="/diary/">Start my diary</a>', html)
    # Exactly one "Start my diary": the accept form's own button now says something else.
    assert words.count("Start my diary") == 1


def test_the_accept_form_no_longer_promises_to_start_the_diary(app, invited):
    html = app.test_client().get(invited).get_data(as_text=True)
    assert "Save and continue" in html and "Start my diary" not in html


def test_the_first_run_screen_stays_reachable_from_the_history(as_patient):
    history = as_patient.get("/diary/history").get_data(as_text=True)
    assert links(history)["How to use your diary: what to record, and when"] == "/diary/welcome"
    welcome = as_patient.get("/diary/welcome")
    assert welcome.status_code == 200
    words = text(welcome.get_data(as_text=True))
    # No block booked yet: the schedule is still explained, in UK time.
    assert "Your block is booked" not in words
    assert "All times are UK time." in words


def test_a_long_acting_block_is_read_to_8_hours(app, as_patient, world):
    add_block(app, world.patient_id, NOW + timedelta(days=3), long_acting=True)
    words = text(as_patient.get("/diary/welcome").get_data(as_text=True))
    assert "then every hour until 8 hours after it" in words


def test_the_first_run_screen_is_for_patients_only(app, client, world):
    assert client.get("/diary/welcome").status_code == 302          # signed out: sign in
    world.clinician()
    assert sign_in(client, "dr@clinic.example").status_code == 302
    assert client.get("/diary/welcome").status_code == 404
