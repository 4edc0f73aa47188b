"""A page's cost does not grow with the diary: the consultant's patient page and printable
summary, the patient's entry form and history send the same few queries for 50 entries as for
800; the patient page shows its entries in pages; the prompts read only the recent entries and
run the analysis at most once."""

import html as htmllib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from diary.clinical import patient_prompts, schedule
from diary.data import loaders
from diary.data.db import db
from diary.data.models import AuditEvent, Block, Entry, Patient
from diary.web.views.clinic import ENTRY_PAGE
from tests.conftest import sign_in
from tests.web.helpers import NOW, counting_queries, new_entry_data

pytestmark = pytest.mark.usefixtures("fixed_now")  # a still clock: no last-seen writes
QUERY_LIMIT = 20


def queries(app, client, url, method="GET", data=None) -> int:
    """The statements one request sends (the second time: as a page is loaded again)."""
    assert client.open(url, method=method, data=data).status_code == 200, url
    with counting_queries(app) as seen:
        assert client.open(url, method=method, data=data).status_code == 200, url
    return len(seen)


def diary(app, world, n: int, email: str, *, days: int = 400) -> int:
    """A patient with `n` entries spread over the `days` before NOW, newest numbered 0, and the
    same two local-anaesthetic blocks whatever `n`; the latest, 40 days ago, still relieves
    pain (7 before it, 2 since), so the patient is asked for weekly readings."""
    pid = world.patient(world.clinician_id, name=f"Diary of {n}", email=email)
    latest = NOW - timedelta(days=40, hours=3)
    with app.app_context():
        patient = db.session.get(Patient, pid)
        step = timedelta(days=days) / n
        db.session.add_all(Entry(
            patient_id=pid, observed_at=NOW - step * (i + 1), utc_offset_min=60,
            pain=2 if NOW - step * (i + 1) > latest else 7,
            temp_treated_c=30.5 if i % 2 else None, temp_other_c=29.0,
            colour="blue_purple" if i % 5 == 0 else None, walk_max_min=20,
            side_effects="back_soreness;bruising" if i % 7 == 0 else "",
            rescue_medication=i % 11 == 0, notes=f"entry {i:04d}", entered_by=patient.user_id)
            for i in range(n))
        for at in (latest, NOW - timedelta(days=200)):
            db.session.add(Block(patient_id=pid, performed_at=at,
                                 utc_offset_min=60, side="left", kind="therapeutic_la",
                                 pre_pain=7, temp_treated_pre_c=28.0, temp_treated_10_c=32.0,
                                 recorded_by=world.clinician_id))
        db.session.commit()
    return pid


def phone(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def notes(html: str) -> list[str]:
    return re.findall(r'<td class="notes">(.*?)</td>', html)


def link(html: str, text: str) -> str | None:
    found = re.search(rf'href="([^"]*)"[^>]*>{text}</a>', html)
    if found is None:
        return None
    parts = urlsplit(htmllib.unescape(found.group(1)))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


# ---------------------------------------------------------------------------- query counts

def test_the_patient_page_and_summary_cost_the_same_for_50_or_800_entries(app, world,
                                                                            as_clinician):
    counts = {}
    for n in (50, 800):
        pid = diary(app, world, n, f"p{n}@home.example")
        counts[n] = {url: queries(app, as_clinician, url) for url in (
            f"/clinic/patients/{pid}", f"/clinic/patients/{pid}/summary")}
        html = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
        assert len(notes(html)) == min(n, ENTRY_PAGE)
    first, second = (list(c.values()) for c in counts.values())
    assert first == second, counts
    assert max(first) <= QUERY_LIMIT, counts


def test_the_entry_form_and_history_cost_the_same_for_50_or_800_entries(app, world,
                                                                         as_clinician):
    counts = {}
    for n in (50, 800):
        diary(app, world, n, f"p{n}@home.example")
        client = phone(app, f"p{n}@home.example")
        refused = new_entry_data(client, pain=None)  # re-rendered with its prompts, not saved
        counts[n] = [queries(app, client, "/diary/"), queries(app, client, "/diary/history"),
                     queries(app, client, "/diary/", "POST", refused)]
    assert counts[50] == counts[800], counts
    assert max(counts[800]) <= 12, counts


def test_the_prompts_read_the_recent_entries_and_run_the_analysis_once(app, world,
                                                                        as_clinician, monkeypatch):
    pid = diary(app, world, 800, "p@home.example")
    client = phone(app, "p@home.example")
    read, analyses = [], []
    full_schedule, analyse = patient_prompts.full_schedule, schedule.analyse_patient

    def reading(blocks, entries, *args):
        read.append(len(entries))
        return full_schedule(blocks, entries, *args)

    def analysing(*args):
        analyses.append(1)
        return analyse(*args)

    monkeypatch.setattr(patient_prompts, "full_schedule", reading)
    monkeypatch.setattr(schedule, "analyse_patient", analysing)
    with app.app_context():
        patient = db.session.get(Patient, pid)
        entries, blocks = loaders.load_patient_records(patient)
        expected = patient_prompts.prompts(entries, blocks, patient.timezone, NOW, None)
    read.clear()
    analyses.clear()
    assert expected.next.kind == "weekly"
    for url in ("/diary/", "/diary/history"):
        page = client.get(url).get_data(as_text=True)
        assert htmllib.escape(expected.next.text) in page
        # 40 days since the block and its 7-day baseline, two entries a day: not 800.
        assert len(read) == 1 and 90 <= read[0] <= 100, read
        assert len(analyses) == 1
        read.clear()
        analyses.clear()
    older = link(client.get("/diary/history").get_data(as_text=True), "Show older entries")
    read.clear()
    assert client.get(older).status_code == 200
    assert read == []  # older pages show no prompts


def test_the_prompt_loader_gives_the_whole_diarys_records_from_its_window(app, world,
                                                                         as_clinician):
    pid = diary(app, world, 300, "p@home.example")
    with app.app_context():
        patient = db.session.get(Patient, pid)
        entries, blocks = loaders.load_patient_records(patient)
        recent, same_blocks = loaders.load_prompt_records(patient, NOW, None)
        since = schedule.entries_from(blocks, patient.timezone, NOW)
        assert same_blocks == blocks == loaders.load_block_records(patient)
        assert recent == [e for e in entries if e.observed_at >= since]
        assert 0 < len(recent) < len(entries)
        rows = db.session.execute(sa.select(*loaders._ENTRY_COLUMNS)
                                  .where(Entry.patient_id == pid)).all()
        assert loaders.entry_records(rows) == [loaders.entry_record(r) for r in rows]


# ---------------------------------------------------------------------- the entries table

@pytest.fixture
def long_diary(app, world, as_clinician):
    """230 entries, six of them at the same moment across the first page's end, one deleted."""
    pid = diary(app, world, 231, "p@home.example")
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Entry).where(Entry.patient_id == pid)))
        by_note = {e.notes: e for e in rows}
        for i in range(97, 103):
            by_note[f"entry {i:04d}"].observed_at = by_note["entry 0097"].observed_at
        by_note["entry 0050"].deleted_at = NOW
        db.session.commit()
    return pid


def test_the_entries_table_pages_back_and_forth(app, as_clinician, long_diary):
    url = f"/clinic/patients/{long_diary}"
    first = as_clinician.get(url).get_data(as_text=True)
    assert "(230, 100 shown)" in first
    assert link(first, "Newer entries") is None and link(first, "Newest entries") is None
    pages, html = [notes(first)], first
    while (older := link(html, "Older entries")) is not None:
        with counting_queries(app) as seen:
            response = as_clinician.get(older)
        assert response.status_code == 200 and len(seen) <= QUERY_LIMIT
        html = response.get_data(as_text=True)
        pages.append(notes(html))
        assert link(html, "Newer entries") is not None
    assert [len(p) for p in pages] == [100, 100, 30]
    listed = [n for p in pages for n in p]
    # Each entry once, newest first, the deleted one left out; ties straddle the pages.
    with app.app_context():
        expected = db.session.scalars(
            sa.select(Entry.notes).where(Entry.patient_id == long_diary,
                                         Entry.deleted_at.is_(None))
            .order_by(Entry.observed_at.desc(), Entry.id.desc())).all()
    assert listed == expected and "entry 0050" not in listed
    tied = {f"entry {i:04d}" for i in range(97, 103)}
    assert len(tied & set(pages[0])) == 4 and len(tied & set(pages[1])) == 2
    # Back again: the last page's "newer" is the middle page, whose "newer" is the newest.
    middle = as_clinician.get(link(html, "Newer entries")).get_data(as_text=True)
    assert notes(middle) == pages[1]
    newest = as_clinician.get(link(middle, "Newer entries")).get_data(as_text=True)
    assert notes(newest) == pages[0] and link(newest, "Newer entries") is None


def test_a_page_past_the_oldest_entry_says_so(as_clinician, long_diary):
    html = as_clinician.get(f"/clinic/patients/{long_diary}", query_string={
        "before": "2000-01-01T00:00:00+00:00"}).get_data(as_text=True)
    assert notes(html) == [] and "No older entries." in html
    assert link(html, "Newest entries") == f"/clinic/patients/{long_diary}"


@pytest.mark.parametrize("params", [
    {"before": "yesterday"}, {"before": "2025-06-01T10:00:00"},
    {"before": "0001-01-01T00:00:00+01:00"}, {"after": "9999-12-31T23:59:59-01:00"},
    {"before": "2025-06-01T10:00:00+00:00", "before_id": "\x00"},
    {"after": "2025-06-01T10:00:00+00:00", "after_id": "not-an-entry-id"},
    {"before": "2025-06-01T10:00:00+00:00", "after": "2025-05-01T10:00:00+00:00"},
])
def test_a_bad_cursor_is_a_bad_request_and_not_audited(app, as_clinician, long_diary, params):
    response = as_clinician.get(f"/clinic/patients/{long_diary}", query_string=params)
    assert response.status_code == 400
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.action == "patient.view"))
