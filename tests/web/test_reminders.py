"""Reminders in the patient's calendar: the file (signed-in patient only), and the private
subscription link (works without a cookie, stored hashed, revocable, audited, rate limited)."""

import re
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from diary.data.db import db
from diary.data.models import AuditEvent, Block, CalendarFeed, User
from diary.data.tokens import token_hash
from tests.conftest import input_value, post_form, sign_in
from tests.web.helpers import NOW, audit_rows, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

FILE = "/diary/reminders.ics"
LINK = re.compile(r"http://localhost/calendar/([A-Za-z0-9_-]+)\.ics")
ADD = "Add reminders to my calendar"


@pytest.fixture
def app_config():
    # The link's limit per address, on; signing in never fails here, so its limits never bite.
    return {"RATELIMIT_ENABLED": True, "CALENDAR_FEED_LIMIT": "5 per minute"}


def add_block(app, patient_id, clinician_id, at) -> int:
    with app.app_context():
        block = Block(patient_id=patient_id, performed_at=at, side="left",
                      kind="diagnostic_la", recorded_by=clinician_id)
        db.session.add(block)
        db.session.commit()
        return block.id


@pytest.fixture
def booked(app, as_patient, world):
    """The signed-in patient, with a block booked for tomorrow."""
    add_block(app, world.patient_id, world.clinician_id, NOW + timedelta(days=1))
    return as_patient


def make_link(client) -> str:
    page = post_form(client, "/diary/calendar-link", token_from="/diary/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    (token,) = set(LINK.findall(html))
    assert f"webcal://localhost/calendar/{token}.ics" in html
    return token


def events(body: bytes):
    return Calendar.from_ical(body).walk("VEVENT")


# ------------------------------------------------------------------------- the file

def test_the_file_is_the_signed_in_patients_readings(app, booked):
    response = booked.get(FILE)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="block-diary-reminders.ics"')
    assert response.headers["Cache-Control"] == "no-store"
    found = events(response.get_data())
    assert len(found) >= 9  # the days before, the reading before and the block day's
    assert {str(e["SUMMARY"]) for e in found} == {"Block Diary reading"}
    assert all(e.walk("VALARM") for e in found)
    assert {e["DTSTART"].params["TZID"] for e in found} == {"Europe/London"}
    assert {str(e["URL"]) for e in found} == {"http://localhost/diary/"}
    assert "Pat Test" not in response.get_data(as_text=True)


def test_the_file_needs_a_patient_sign_in(app, client, world):
    world.clinician_id = world.clinician()
    world.patient(world.clinician_id, email="pat@home.example")
    anonymous = client.get(FILE)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/sign-in?next=")
    sign_in(client, "dr@clinic.example")
    assert client.get(FILE).status_code == 404  # a clinician has no diary of their own


def test_the_entry_form_offers_the_file_once_a_block_is_booked(app, as_patient, world):
    assert ADD not in as_patient.get("/diary/").get_data(as_text=True)
    add_block(app, world.patient_id, world.clinician_id, NOW + timedelta(days=3))
    html = as_patient.get("/diary/").get_data(as_text=True)
    assert ADD in html and f'href="{FILE}"' in html


def test_the_account_page_offers_the_file_a_link_and_push(app, as_patient):
    html = as_patient.get("/diary/account").get_data(as_text=True)
    assert ADD in html and f'href="{FILE}"' in html
    assert "some calendar apps never ring the" in html  # why the file is the default
    assert "Make a private calendar link" in html
    assert f'data-key="{app.config["VAPID_PUBLIC_KEY"]}"' in html
    assert '<script src="/static/js/push.js" defer></script>' in html
    assert "Remind me on this phone" in html


# --------------------------------------------------------------- the subscription link

def test_the_link_works_without_a_cookie_and_is_stored_hashed(app, booked, world):
    token = make_link(booked)
    with app.app_context():
        feed = db.session.scalar(sa.select(CalendarFeed))
        assert feed.token_hash == token_hash(token) and feed.patient_id == world.patient_id
    assert token not in repr(every_table(app))
    stranger = app.test_client()  # a calendar app: no cookie at all
    response = stranger.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    assert events(response.get_data())
    assert response.get_data() == booked.get(FILE).get_data()
    # Shown once: the account page afterwards says a link exists, not what it is.
    html = booked.get("/diary/account").get_data(as_text=True)
    assert token not in html and "You have a private link" in html


def test_the_link_is_audited_when_made_and_when_read(app, booked, world):
    token = make_link(booked)
    app.test_client().get(f"/calendar/{token}.ics", environ_base={"REMOTE_ADDR": "192.0.2.8"})
    rows = audit_rows(app, AuditEvent.action.like("calendar_feed.%"))
    assert [(r.action, r.patient_id) for r in rows] == [
        ("calendar_feed.create", world.patient_id), ("calendar_feed.read", world.patient_id)]
    assert rows[1].remote_addr == "192.0.2.8" and rows[1].actor_id is None


def test_a_revoked_link_is_gone(app, booked):
    token = make_link(booked)
    response = post_form(booked, "/diary/calendar-link/revoke", token_from="/diary/account")
    assert response.status_code == 302
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404
    assert "calendar_feed.revoke" in [r.action for r in audit_rows(app)]
    html = booked.get("/diary/account").get_data(as_text=True)
    assert "Make a private calendar link" in html and "You have a private link" not in html


def test_a_new_link_replaces_the_old_one(app, booked):
    old = make_link(booked)
    new = make_link(booked)
    stranger = app.test_client()
    assert stranger.get(f"/calendar/{old}.ics").status_code == 404
    assert stranger.get(f"/calendar/{new}.ics").status_code == 200


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 101, "bad.token-with-dot"])
def test_unknown_tokens_are_404_and_write_nothing(app, booked, token):
    make_link(booked)
    before = every_table(app)
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404
    assert every_table(app) == before


def test_the_link_stops_with_the_patients_account(app, booked, world):
    token = make_link(booked)
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.email == "pat@home.example")).active = False
        db.session.commit()
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404


def test_one_patient_cannot_turn_off_anothers_link(app, booked, world):
    token = make_link(booked)
    world.patient(world.clinician_id, name="Other", email="other@home.example")
    other = app.test_client()
    sign_in(other, "other@home.example")
    assert post_form(other, "/diary/calendar-link/revoke",
                     token_from="/diary/account").status_code == 302
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 200


def test_reading_links_is_rate_limited_per_address(app, booked):
    token = make_link(booked)
    guesser, calendar_app = app.test_client(), app.test_client()
    codes = [guesser.get(f"/calendar/guess{n:040d}.ics",
                         environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code
             for n in range(6)]
    assert codes == [404] * 5 + [429]
    assert guesser.get(f"/calendar/{token}.ics",
                       environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 429
    assert calendar_app.get(f"/calendar/{token}.ics",
                            environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 200


def test_the_files_events_follow_the_schedule_in_the_patients_zone(app, client, world):
    """A patient in Auckland: the 20:00 readings of the days after the block are at 20:00
    there, whatever UTC says."""
    world.clinician_id = world.clinician()
    pid = world.patient(world.clinician_id, email="kiwi@home.example", tz="Pacific/Auckland")
    add_block(app, pid, world.clinician_id, NOW - timedelta(hours=2))
    sign_in(client, "kiwi@home.example")
    found = events(client.get(FILE).get_data())
    june = [e for e in found if e["DTSTART"].to_ical().startswith(b"202506")]
    evening = [e for e in june if e["DTSTART"].to_ical().endswith(b"T200000")]
    assert len(evening) >= 7
    for event in evening:
        assert event["DTSTART"].params["TZID"] == "Pacific/Auckland"
        assert event.decoded("DTSTART").astimezone(UTC).hour == 8  # NZST is UTC+12 in June
    # Late September, New Zealand's clocks have gone forward: 20:00 there is 07:00 UTC.
    spring = [e for e in found if e["DTSTART"].to_ical() == b"20251005T200000"]
    assert [e.decoded("DTSTART").astimezone(UTC).hour for e in spring] == [7]


def test_the_form_token_is_needed_to_make_a_link(app, booked):
    page = booked.get("/diary/account").get_data(as_text=True)
    assert input_value(page, "csrf_token")
    before = every_table(app)
    assert booked.post("/diary/calendar-link", data={}).status_code == 400
    assert every_table(app) == before
