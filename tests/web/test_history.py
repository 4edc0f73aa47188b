"""The patient's history: days in the patient's own time zone, newest first."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sign_in
from tests.web.helpers import add_entry, entries, post_entry

pytestmark = pytest.mark.usefixtures("fixed_now")


def days(html: str) -> list[tuple[str, list[str]]]:
    """(day heading, [entry times]) as the history page shows them, in order."""
    out = []
    for section in re.findall(r'<section class="day">(.*?)</section>', html, re.S):
        heading = re.search(r"<h2>(.*?)</h2>", section).group(1).strip()
        out.append((heading, re.findall(r'<span class="time">(.*?)</span>', section)))
    return out


@pytest.fixture
def patient_in(client, world):
    """Sign in a patient living in the given time zone; gives back their patient id."""
    def make(tz):
        clinician = world.clinician()
        patient = world.patient(clinician, email="p@home.example", tz=tz)
        assert sign_in(client, "p@home.example").status_code == 302
        return patient
    return make


def test_auckland_days_follow_auckland_midnight(client, app, patient_in):
    patient = patient_in("Pacific/Auckland")  # UTC+12 in June
    for hour, minute in ((11, 30), (12, 30), (20, 0)):
        add_entry(app, patient, datetime(2025, 6, 14, hour, minute, tzinfo=UTC))
    html = client.get("/diary/history").get_data(as_text=True)
    # All three are on 14 June in UTC, but two fall after midnight in Auckland.
    assert days(html) == [("Sunday 15 June 2025", ["08:00", "00:30"]),
                          ("Saturday 14 June 2025", ["23:30"])]


def test_new_york_evening_stays_on_its_day(client, app, patient_in):
    patient = patient_in("America/New_York")  # UTC-4 in June
    add_entry(app, patient, datetime(2025, 6, 15, 3, 30, tzinfo=UTC))  # 23:30 on the 14th
    add_entry(app, patient, datetime(2025, 6, 14, 23, 30, tzinfo=UTC))  # 19:30 on the 14th
    add_entry(app, patient, datetime(2025, 6, 14, 3, 59, tzinfo=UTC))  # 23:59 on the 13th
    html = client.get("/diary/history").get_data(as_text=True)
    assert days(html) == [("Saturday 14 June 2025", ["23:30", "19:30"]),
                          ("Friday 13 June 2025", ["23:59"])]


def test_winter_and_summer_offsets_both_apply(client, app, patient_in):
    patient = patient_in("America/New_York")
    add_entry(app, patient, datetime(2025, 1, 10, 4, 30, tzinfo=UTC))  # EST: 23:30 on the 9th
    add_entry(app, patient, datetime(2025, 6, 10, 4, 30, tzinfo=UTC))  # EDT: 00:30 on the 10th
    html = client.get("/diary/history").get_data(as_text=True)
    assert days(html) == [("Tuesday 10 June 2025", ["00:30"]),
                          ("Thursday 9 January 2025", ["23:30"])]


def test_an_entry_typed_just_after_midnight_lands_on_the_new_day(client, app, patient_in, clock):
    patient_in("Pacific/Auckland")
    clock.now = datetime(2025, 6, 14, 12, 20, tzinfo=UTC)  # 00:20 on Sunday in Auckland
    assert post_entry(client, pain="4", observed_at="2025-06-15T00:10").status_code == 302
    assert entries(app)[0].observed_at == datetime(2025, 6, 14, 12, 10, tzinfo=UTC)
    assert entries(app)[0].utc_offset_min == 720
    html = client.get("/diary/history").get_data(as_text=True)
    assert days(html) == [("Sunday 15 June 2025", ["00:10"])]


def test_clinician_sees_times_in_the_patients_zone(client, app, world, patient_in):
    patient = patient_in("Pacific/Auckland")
    add_entry(app, patient, datetime(2025, 6, 14, 12, 30, tzinfo=UTC), notes="after midnight")
    clinic = app.test_client()
    sign_in(clinic, "dr@clinic.example")
    page = clinic.get(f"/clinic/patients/{patient}").get_data(as_text=True)
    assert "15 Jun 2025 00:30" in page and "Pacific/Auckland" in page
    listing = clinic.get("/clinic/").get_data(as_text=True)
    assert "15 Jun 2025 00:30" in listing


def test_empty_history_invites_a_first_entry(as_patient):
    html = as_patient.get("/diary/history").get_data(as_text=True)
    assert "No entries yet." in html and days(html) == []


def test_only_the_patients_own_entries_are_listed(as_patient, app, world):
    other = world.patient(world.clinician_id, name="B", email="b@home.example")
    add_entry(app, other, datetime(2025, 6, 15, 9, 0, tzinfo=UTC), notes="not yours")
    add_entry(app, world.patient_id, datetime(2025, 6, 15, 9, 0, tzinfo=UTC), notes="yours")
    html = as_patient.get("/diary/history").get_data(as_text=True)
    assert "yours" in html and "not yours" not in html


def test_long_histories_page_back_to_the_very_first_entry(as_patient, app, world):
    start = datetime(2025, 4, 1, 8, 0, tzinfo=UTC)
    made = [add_entry(app, world.patient_id, start + timedelta(hours=6 * i), notes=f"n{i}")
            for i in range(70)]
    # Two entries share the minute where the first page ends.
    made.append(add_entry(app, world.patient_id, start + timedelta(hours=6 * 10), notes="twin"))
    seen, url = [], "/diary/history"
    for _ in range(5):
        html = as_patient.get(url).get_data(as_text=True)
        seen += re.findall(r'/diary/entries/([0-9a-f-]{36})/edit', html)
        older = re.search(r'href="(/diary/history\?before=[^"]+)"', html)
        if not older:
            break
        url = older.group(1).replace("&amp;", "&")
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def facts(html: str) -> list[list[str]]:
    """Each entry's listed facts, newest first, tags stripped."""
    return [[" ".join(re.sub(r"<[^>]+>", " ", li).split())
             for li in re.findall(r"<li[^>]*>(.*?)</li>", ul, re.S)]
            for ul in re.findall(r'<ul class="facts">(.*?)</ul>', html, re.S)]


def test_the_follow_up_answers_read_in_plain_words(as_patient, app, world):
    at = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
    add_entry(app, world.patient_id, at - timedelta(hours=3), touch_pain="none",
              night_rest_pain=False, wound="none")
    add_entry(app, world.patient_id, at - timedelta(hours=2), touch_pain="marked",
              night_rest_pain=True, wound="new", pgic="very_much_worse")
    add_entry(app, world.patient_id, at - timedelta(hours=1), touch_pain="mild",
              wound="unchanged", pgic="much_better")
    add_entry(app, world.patient_id, at)     # nothing answered: nothing said
    html = as_patient.get("/diary/history").get_data(as_text=True)
    assert facts(html) == [
        [],
        ["Light touch on your left foot hurts: a little",
         "Sore or wound on your left foot: yes, no change", "Pain since the block: much better"],
        ["Light touch on your left foot hurts: a lot",
         "Pain in my left leg woke me or made me hang it down at night: yes",
         "Sore or wound on your left foot: yes, a new one",
         "Pain since the block: very much worse"],
        ["Light touch on your left foot hurts: no",
         "Pain in my left leg woke me or made me hang it down at night: no",
         "No sore or wound on your left foot"],
    ]
    # The delete page shows the entry the same way.
    third = re.findall(r"/diary/entries/([0-9a-f-]{36})/edit", html)[2]
    page = as_patient.get(f"/diary/entries/{third}/delete")
    assert "Sore or wound on your left foot: yes, a new one" in page.get_data(as_text=True)
