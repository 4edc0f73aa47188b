"""The patient's side of blocks: reading prompts on the entry form and the history (in the
patient's time zone, by the injected clock), blocks placed among the history's days, and the
progress chart, the only patient page that loads a chart library."""

import gzip
import hashlib
import html as htmllib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from diary.data.db import db
from diary.data.models import Block
from tests.conftest import sign_in
from tests.web.helpers import add_entry, post_entry
from tests.web.test_patient_list import add_block

# A block at 11:00 UTC on Sunday 15 June 2025: 12:00 in London (BST), 23:00 in Auckland (NZST).
BLOCK_AT = datetime(2025, 6, 15, 11, tzinfo=UTC)
FAKE_PLOTLY = b"window.Plotly = {newPlot: function () {}};\n"


@pytest.fixture
def app_config(tmp_path):
    """A stand-in plotly bundle under its content-hashed name (the real one is not in git)."""
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    name = f"plotly-basic.{hashlib.sha256(FAKE_PLOTLY).hexdigest()[:16]}.min.js"
    (vendor / name).write_bytes(FAKE_PLOTLY)
    return {"PLOTLY_DIR": str(vendor)}


@pytest.fixture
def patient_in(app, client, world, clock):
    """Sign in a patient of the given time zone at the given moment; gives back their id."""
    def make(tz, at):
        clock.now = at
        world.clinician_id = world.clinician()
        pid = world.patient(world.clinician_id, email="p@home.example", tz=tz)
        assert sign_in(client, "p@home.example").status_code == 302
        return pid
    return make


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def prompt_box(html: str) -> str | None:
    """The prompt box's text, tags stripped and spaces squeezed."""
    found = re.search(r'<aside class="prompt".*?</aside>', html, re.S)
    if not found:
        return None
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def history_days(html: str) -> list[tuple[str, list[str]]]:
    """(day heading, [entry times and block headings]) in page order."""
    out = []
    for section in re.findall(r'<section class="day">(.*?)</section>', html, re.S):
        heading = re.search(r"<h2>(.*?)</h2>", section).group(1).strip()
        items = re.findall(r'<span class="time">(.*?)</span>|<h3 class="block-heading">(.*?)</h3>',
                           section)
        out.append((heading, [time or block for time, block in items]))
    return out


# ------------------------------------------------------------------------------- prompts

def test_two_hours_after_a_block_today_the_next_reading_is_due_at_its_local_time(
        app, client, patient_in):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(minutes=100))  # 13:40 BST
    add_block(app, pid, BLOCK_AT)
    for url in ("/diary/", "/diary/history"):
        box = prompt_box(page(client, url))
        assert "Next reading due 14:00 — 2 hours after your block" in box
        # The schedule's "your leg" names the patient's side (tests.conftest: left).
        assert ("note any extra pain medicine you took and any numbness or weakness in your "
                "left leg") in box


def test_the_same_block_in_auckland_is_asked_for_on_auckland_time(app, client, patient_in):
    pid = patient_in("Pacific/Auckland", BLOCK_AT + timedelta(minutes=100))  # 00:40 NZST
    add_block(app, pid, BLOCK_AT)
    box = prompt_box(page(client, "/diary/"))
    assert "Next reading due 01:00 — 2 hours after your block" in box
    assert "14:00" not in box


def test_a_reading_moves_the_prompt_on_to_the_next_one(app, client, patient_in, clock):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(minutes=100))
    add_block(app, pid, BLOCK_AT)
    assert post_entry(client, pain="3").status_code == 302
    box = prompt_box(page(client, "/diary/"))
    assert "Next reading due 15:00 — 3 hours after your block" in box
    # The history ticks off what is done today and says, in words, what was missed and what
    # is still to come.
    history = prompt_box(page(client, "/diary/history"))
    assert "Done 13:00" not in history
    assert "Missed 13:00 — 1 hour after your block" in history
    assert "Done 14:00 — 2 hours after your block" in history
    assert "Later 18:00 — 6 hours after your block" in history


def test_after_the_block_day_the_daily_prompt_has_no_block_day_reminder(app, client,
                                                                       patient_in):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(days=10))
    add_block(app, pid, BLOCK_AT)
    box = prompt_box(page(client, "/diary/"))
    assert ("Next reading due by 20:00 — day 10 after your block (once a day until week 4)"
            in box)
    assert "numbness" not in box


def test_no_block_no_prompts_and_editing_shows_none(app, client, patient_in):
    pid = patient_in("Europe/London", BLOCK_AT)
    add_entry(app, pid, BLOCK_AT - timedelta(hours=1), pain=6)
    assert prompt_box(page(client, "/diary/")) is None
    assert prompt_box(page(client, "/diary/history")) is None
    add_block(app, pid, BLOCK_AT - timedelta(hours=2))
    entry = add_entry(app, pid, BLOCK_AT - timedelta(minutes=30), pain=4)
    assert prompt_box(page(client, "/diary/")) is not None
    # An old entry being corrected is not the moment for the next reading.
    assert prompt_box(page(client, f"/diary/entries/{entry}/edit")) is None


def test_a_booked_block_is_announced_and_the_days_before_it_asked_for(app, client,
                                                                      patient_in):
    pid = patient_in("Europe/London", BLOCK_AT - timedelta(days=3))
    add_block(app, pid, BLOCK_AT)
    for url in ("/diary/", "/diary/history"):
        box = prompt_box(page(client, url))
        assert "Your next block: Sunday 15 June, 12:00." in box
        assert "3 days before your block" in box
    # Booked, not done: it is not in the history yet.
    assert "block-card" not in page(client, "/diary/history")


def test_a_deleted_block_asks_for_nothing(app, client, patient_in):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(minutes=100))
    add_block(app, pid, BLOCK_AT, deleted_at=BLOCK_AT + timedelta(minutes=5))
    assert prompt_box(page(client, "/diary/")) is None
    assert "block-card" not in page(client, "/diary/history")


def test_the_weekly_reading_after_neurolysis_says_what_else_it_asks(app, client, patient_in):
    # Day 90 (13 Sep) is in week 13's window (7-14 Sep): PGIC and the weekly limb questions.
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(days=90))
    add_block(app, pid, BLOCK_AT, kind="neurolysis")
    for url in ("/diary/", "/diary/history"):
        box = prompt_box(page(client, url))
        assert ("Next reading due by 20:00 on Sun 14 Sep — week 13 after your block. Also: how "
                "your pain has changed since the block; your left leg at night and your left "
                "foot.") in box
        assert "Also today" not in box     # the next reading says it already
    html = page(client, "/diary/")
    assert 'name="pgic"' in html and 'name="wound"' in html
    # Answered: the reading is in, nothing more is asked this week, and next week's reading
    # asks only the limb questions.
    assert post_entry(client, pain="3", pgic="much_better", wound="healing").status_code == 302
    box = prompt_box(page(client, "/diary/history"))
    assert ("Next reading due by 20:00 on Sun 21 Sep — week 14 after your block. Also: your "
            "left leg at night and your left foot.") in box
    assert "how your pain has changed" not in box
    assert 'name="pgic"' not in page(client, "/diary/")


def test_today_list_says_which_reading_asks_more_until_it_is_answered(app, client, patient_in,
                                                                      clock):
    # Day 7 after a local-anaesthetic block: the 20:00 reading asks PGIC too.
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(days=7, hours=-2))   # 10:00 BST
    add_block(app, pid, BLOCK_AT)
    form_box = prompt_box(page(client, "/diary/"))
    assert "Next reading due 12:00 — day 7 after your block" in form_box
    assert "Also today: how your pain has changed since the block." in form_box
    history = prompt_box(page(client, "/diary/history"))
    assert ("Later 20:00 — day 7 after your block (2 to 4 readings a day this week). "
            "Also: how your pain has changed since the block.") in history
    assert post_entry(client, pain="4", pgic="a_little_better").status_code == 302
    for url in ("/diary/", "/diary/history"):
        assert "how your pain has changed" not in prompt_box(page(client, url))
    # The next day asks nothing more.
    clock.now += timedelta(days=1)
    assert "Also" not in prompt_box(page(client, "/diary/history"))


# ------------------------------------------------------------------------------- history

def test_history_places_the_block_in_its_day_among_the_entries(app, client, patient_in):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(days=1))
    add_block(app, pid, BLOCK_AT)
    for minutes in (-60, 30, 120):
        add_entry(app, pid, BLOCK_AT + timedelta(minutes=minutes))
    add_entry(app, pid, BLOCK_AT + timedelta(days=1, hours=-2))
    assert history_days(page(client, "/diary/history")) == [
        ("Monday 16 June 2025", ["10:00"]),
        ("Sunday 15 June 2025", ["14:00", "12:30", "Block on Sunday 15 June, 12:00", "11:00"]),
    ]


def test_history_shows_the_block_on_the_patients_own_day(app, client, patient_in):
    pid = patient_in("Pacific/Auckland", BLOCK_AT + timedelta(days=1))
    add_block(app, pid, BLOCK_AT, kind="radiofrequency")
    add_entry(app, pid, BLOCK_AT + timedelta(hours=2))   # 01:00 on Monday in Auckland
    html = page(client, "/diary/history")
    assert history_days(html) == [
        ("Monday 16 June 2025", ["01:00"]),
        ("Sunday 15 June 2025", ["Block on Sunday 15 June, 23:00"]),
    ]
    # The kind of block in plain words, not the clinic's.
    assert "A heat treatment that quietens the nerves (radiofrequency)" in html
    assert "Radiofrequency<" not in html


def test_each_history_page_holds_the_blocks_of_its_own_stretch(app, client, patient_in):
    pid = patient_in("Europe/London", datetime(2025, 6, 20, 12, tzinfo=UTC))
    start = datetime(2025, 6, 10, 0, tzinfo=UTC)
    for h in range(70):                      # hourly: a page of 60 and a page of 10
        add_entry(app, pid, start + timedelta(hours=h))
    # One block in the newest 60 readings, one among the older 10, one before them all.
    add_block(app, pid, start + timedelta(hours=40, minutes=30))
    add_block(app, pid, start + timedelta(hours=5, minutes=30))
    add_block(app, pid, start - timedelta(days=2))
    first = page(client, "/diary/history")
    older = re.search(r'href="(/diary/history\?before=[^"]+)"', first).group(1)
    second = page(client, htmllib.unescape(older))

    def blocks(html):
        return [i for _, items in history_days(html) for i in items if i.startswith("Block")]

    assert blocks(first) == ["Block on Wednesday 11 June, 17:30"]
    assert blocks(second) == ["Block on Tuesday 10 June, 06:30",
                              "Block on Sunday 8 June, 01:00"]
    # Older pages are a look back, not the place for today's prompts.
    assert prompt_box(first) is not None and prompt_box(second) is None


# ------------------------------------------------------------------ weight and charts

def sizes(client, html: str) -> int:
    """Compressed bytes of the page and every stylesheet and script it loads."""
    total = len(gzip.compress(html.encode()))
    for url in re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/[^"]+)"', html):
        if url.endswith((".css", ".js")) or "/assets/" in url:
            with client.get(url) as response:
                total += len(gzip.compress(response.data))
    return total


def test_entry_and_history_pages_load_no_chart_library_and_stay_small(app, client,
                                                                     patient_in):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(days=2))
    add_block(app, pid, BLOCK_AT)
    for h in range(60):
        add_entry(app, pid, BLOCK_AT + timedelta(hours=h - 10), pain=h % 11,
                  notes="Walked to the shop and back, then rested with the leg up.")
    for url in ("/diary/", "/diary/history"):
        html = page(client, url)
        assert "plotly" not in html.lower() and "charts.js" not in html
        # The app's own scripts (the on-phone outbox) are allowed; nothing from elsewhere.
        scripts = re.findall(r'<script(?! type="application/json")[^>]*>', html)
        assert all(re.search(r' src="/static/js/[\w.-]+\.js"', s) for s in scripts), scripts
        assert sizes(client, html) <= 30_000, url


def test_progress_page_draws_the_patients_own_chart(app, client, world, patient_in):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(days=3))
    add_block(app, pid, BLOCK_AT)
    for d in range(-5, 3):
        add_entry(app, pid, BLOCK_AT + timedelta(days=d), pain=7 if d < 0 else 3)
    other = world.patient(world.clinician_id, name="Someone Else", email="else@home.example")
    for d in range(-5, 3):
        add_entry(app, other, BLOCK_AT + timedelta(days=d, hours=1), pain=10)

    html = page(client, f"/diary/progress?patient_id={other}")
    assert re.search(r'<script src="/assets/plotly-basic\.[0-9a-f]{16}\.min\.js"', html)
    assert 'aria-current="page">My progress' in html
    figure = re.search(r"<figure[^>]*>.*?</figure>", html, re.S).group(0)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S).group(1)
    assert "average pain" in caption
    data = json.loads(re.search(r'<script type="application/json" class="chart-data" '
                                r'data-target="progress">(.*?)</script>', figure, re.S).group(1))
    # Only this patient's days (7 before, 3 after), whatever the query string asks for.
    assert sorted(set(data["data"][0]["y"])) == [3, 7]


def test_progress_is_for_patients_only(app, client, world):
    clinician = world.clinician()
    pid = world.patient(clinician, email="p@home.example")
    add_entry(app, pid, datetime(2025, 6, 14, 9, tzinfo=UTC), pain=5)
    assert sign_in(client, "dr@clinic.example").status_code == 302
    assert client.get("/diary/progress").status_code == 404
    anonymous = app.test_client()
    response = anonymous.get("/diary/progress")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_deleted_block_is_gone_from_history(app, client, patient_in):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(days=1))
    bid = add_block(app, pid, BLOCK_AT)
    add_entry(app, pid, BLOCK_AT + timedelta(hours=1))
    assert "block-card" in page(client, "/diary/history")
    with app.app_context():
        db.session.get(Block, bid).deleted_at = BLOCK_AT + timedelta(hours=20)
        db.session.commit()
    assert "block-card" not in page(client, "/diary/history")


def test_the_entry_form_works_even_if_the_schedule_fails(app, client, patient_in, monkeypatch):
    from diary.clinical import patient_prompts

    def broken(*args, **kwargs):
        raise TypeError("schedule tripped")

    monkeypatch.setattr(patient_prompts, "full_schedule", broken)
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(minutes=100))
    add_block(app, pid, BLOCK_AT)
    html = page(client, "/diary/")
    assert prompt_box(html) is None and 'name="pain"' in html
    assert post_entry(client, pain="3").status_code == 302
    assert prompt_box(page(client, "/diary/history")) is None


def test_a_baseline_of_no_pain_at_all_still_lets_the_patient_write(app, client, patient_in):
    pid = patient_in("Europe/London", BLOCK_AT + timedelta(hours=32))
    add_block(app, pid, BLOCK_AT, pre_pain=3)
    for d in range(1, 8):
        add_entry(app, pid, BLOCK_AT - timedelta(days=d), pain=0)
    add_entry(app, pid, BLOCK_AT + timedelta(hours=31), pain=1)
    assert 'name="pain"' in page(client, "/diary/")
    assert post_entry(client, pain="0").status_code == 302
