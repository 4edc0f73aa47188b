"""The clinician's patient list: statuses from the analysis, sorting and searching through the
query string, only the clinician's own patients, and a fixed number of queries."""

import html as htmllib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import Block, Entry, Patient
from tests.conftest import sign_in
from tests.web.helpers import NOW, add_entry, counting_queries

pytestmark = pytest.mark.usefixtures("fixed_now")

TODAY_BLOCK = datetime(2025, 6, 15, 9, tzinfo=UTC)       # 10:00 in London, 1 h 30 before NOW
OLD_BLOCK = datetime(2025, 6, 1, 9, tzinfo=UTC)


def add_block(app, patient_id: int, performed_at: datetime, **values) -> int:
    """A block written straight to the database, as the clinic's form would store it."""
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        fields = {"side": "left", "kind": "diagnostic_la", "agent": "Bupivacaine 0.25%",
                  **values}
        block = Block(patient_id=patient_id, recorded_by=patient.clinician_id,
                      performed_at=performed_at,
                      utc_offset_min=int(performed_at.utcoffset().total_seconds() // 60),
                      **fields)
        db.session.add(block)
        db.session.commit()
        return block.id


def positive_then_waned(app, pid: int) -> None:
    """A positive block on 1 June whose relief was gone by day 5: a repeat is due on the 15th."""
    add_block(app, pid, OLD_BLOCK, pre_pain=8, temp_treated_pre_c=28.0,
              temp_treated_30_c=33.5, temp_other_pre_c=28.2, temp_other_30_c=28.4)
    for d in range(1, 8):
        add_entry(app, pid, OLD_BLOCK.replace(hour=18) - timedelta(days=d), pain=8)
    for minutes in (30, 60, 120, 180):
        add_entry(app, pid, OLD_BLOCK + timedelta(minutes=minutes), pain=2)
    for d in range(1, 14):
        add_entry(app, pid, OLD_BLOCK.replace(hour=18) + timedelta(days=d),
                  pain=2 if d <= 3 else 8)


def block_this_morning(app, pid: int) -> None:
    """Blocked at 10:00 today with one day of diary before it and nothing since."""
    add_block(app, pid, TODAY_BLOCK)
    add_entry(app, pid, datetime(2025, 6, 13, 18, tzinfo=UTC), pain=7)
    add_entry(app, pid, datetime(2025, 6, 15, 8, 30, tzinfo=UTC), pain=7)


@pytest.fixture
def clinic(app, world, as_clinician):
    """Five patients of Dr Test, one of another clinician; gives back their ids by name."""
    doc = world.clinician_id
    ids = {
        "Rita Repeat": world.patient(doc, name="Rita Repeat", record="MRN-0042",
                                     email="rita@home.example"),
        "Tim Today": world.patient(doc, name="Tim Today", record="T-7",
                                   email="tim@home.example"),
        "nora Quiet": world.patient(doc, name="nora Quiet", email="nora@home.example"),
        "Una Unjoined": world.patient(doc, name="Una Unjoined"),
        "Zed Steady": world.patient(doc, name="Zed Steady", email="zed@home.example"),
    }
    positive_then_waned(app, ids["Rita Repeat"])
    block_this_morning(app, ids["Tim Today"])
    add_entry(app, ids["nora Quiet"], datetime(2025, 6, 10, 18, tzinfo=UTC), pain=5)
    for d in (11, 12, 13):
        add_entry(app, ids["Zed Steady"], datetime(2025, 6, d, 18, tzinfo=UTC), pain=4)
    other = world.clinician(email="other@clinic.example", name="Dr Other")
    ids["Otto Other"] = world.patient(other, name="Otto Other", record="MRN-0043")
    add_entry(app, ids["Otto Other"], datetime(2025, 6, 15, 9, tzinfo=UTC), pain=9)
    return ids


def rows(page: str) -> list[tuple[str, list[str], str]]:
    """(name, status chips, last-block cell) for each row of the list, in order."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    out = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1) if body else "", re.S):
        name = re.search(r'<a href="/clinic/patients/\d+">(.*?)</a>', row).group(1)
        chips = re.findall(r'<span class="chip[^"]*">(.*?)</span>', row)
        last_block = re.sub(r"<[^>]+>|\s+", " ", re.findall(r"<td>(.*?)</td>", row, re.S)[-1])
        out.append((htmllib.unescape(name), chips, " ".join(last_block.split())))
    return out


def names(page: str) -> list[str]:
    return [name for name, _, _ in rows(page)]


def listing(client, **params) -> str:
    response = client.get("/clinic/", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# ------------------------------------------------------------------------------ statuses

def test_each_hand_made_diary_shows_its_statuses_in_plain_words(as_clinician, clinic):
    shown = {name: chips for name, chips, _ in rows(listing(as_clinician))}
    assert shown == {
        "Tim Today": ["Waiting for block-day readings", "Thin baseline diary"],
        "Rita Repeat": ["Repeat block due"],
        "nora Quiet": ["No recent diary entries"],      # last entry 4 days ago
        "Una Unjoined": ["No recent diary entries"],    # never wrote
        "Zed Steady": [],                               # wrote 2 days ago, no block
    }


def test_the_last_blocks_verdict_and_the_tags_are_shown(as_clinician, clinic):
    page = listing(as_clinician)
    last = {name: cell for name, _, cell in rows(page)}
    assert last["Rita Repeat"] == "Positive · 1 Jun 2025"
    assert last["Tim Today"] == "Pending: window still open · 15 Jun 2025"
    assert last["Zed Steady"] == "no block yet"
    una = re.search(r"<tr>(?:(?!</tr>).)*Una Unjoined.*?</tr>", page, re.S).group(0)
    assert "not joined yet" in una
    assert "not joined yet" not in re.search(r"<tr>(?:(?!</tr>).)*Zed Steady.*?</tr>",
                                             page, re.S).group(0)


def test_statuses_follow_the_clock(as_clinician, clinic, clock):
    def tims_statuses():
        # Clinicians' sign-ins lapse when idle, so sign in again after each jump.
        assert sign_in(as_clinician, "dr@clinic.example").status_code == 302
        return dict((n, c) for n, c, _ in rows(listing(as_clinician)))["Tim Today"]

    # Two days on, the block-day window has closed and the last entry is not yet 3 days old.
    clock.now = NOW + timedelta(days=2)
    assert tims_statuses() == ["Thin baseline diary"]
    # A week on, the diary has gone quiet too.
    clock.now = NOW + timedelta(days=7)
    assert tims_statuses() == ["Thin baseline diary", "No recent diary entries"]


def test_deleted_entries_and_blocks_are_not_counted(app, as_clinician, clinic):
    zed = clinic["Zed Steady"]
    add_block(app, zed, TODAY_BLOCK, deleted_at=NOW)
    newest = add_entry(app, zed, datetime(2025, 6, 15, 7, tzinfo=UTC), pain=3)
    with app.app_context():
        db.session.get(Entry, newest).deleted_at = NOW
        db.session.commit()
    page = listing(as_clinician)
    zed_row = re.search(r"<tr>(?:(?!</tr>).)*Zed Steady.*?</tr>", page, re.S).group(0)
    # The last entry is the one of the 13th (19:00 in London), not the deleted one of today,
    # and the deleted block neither waits for readings nor gives a verdict.
    assert "13 Jun 2025 19:00" in zed_row and "15 Jun 2025" not in zed_row
    assert dict((n, c) for n, c, _ in rows(page))["Zed Steady"] == []
    assert "no block yet" in zed_row


# ------------------------------------------------------------------------------- sorting

def test_default_order_is_most_urgent_first_and_says_so(as_clinician, clinic):
    page = listing(as_clinician)
    # Ties (Nora and Una share one status) stay in name order, case-insensitively.
    assert names(page) == ["Tim Today", "Rita Repeat", "nora Quiet", "Una Unjoined",
                           "Zed Steady"]
    assert aria_sorts(page) == {"Needs attention": "descending"}
    assert listing(as_clinician, sort="status", dir="desc") == page


def aria_sorts(page: str) -> dict[str, str]:
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    found = {}
    for attrs, inner in re.findall(r"<th([^>]*)>(.*?)</th>", head, re.S):
        sort = re.search(r'aria-sort="([^"]+)"', attrs)
        if sort:
            found[re.sub(r"<[^>]+>|[▲▼]", "", inner).strip()] = sort.group(1)
    return found


def header_link(page: str, text: str) -> str:
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    return htmllib.unescape(re.search(rf'<a href="([^"]+)">{text}', head).group(1))


@pytest.mark.parametrize(("params", "expected", "aria"), [
    ({"sort": "status", "dir": "asc"},
     ["Zed Steady", "nora Quiet", "Una Unjoined", "Rita Repeat", "Tim Today"],
     {"Needs attention": "ascending"}),
    ({"sort": "name"}, ["nora Quiet", "Rita Repeat", "Tim Today", "Una Unjoined", "Zed Steady"],
     {"Name": "ascending"}),
    ({"sort": "name", "dir": "desc"},
     ["Zed Steady", "Una Unjoined", "Tim Today", "Rita Repeat", "nora Quiet"],
     {"Name": "descending"}),
    # Newest first; a patient who never wrote comes last (and first the other way round).
    ({"sort": "last"}, ["Tim Today", "Rita Repeat", "Zed Steady", "nora Quiet", "Una Unjoined"],
     {"Last entry": "descending"}),
    ({"sort": "last", "dir": "asc"},
     ["Una Unjoined", "nora Quiet", "Zed Steady", "Rita Repeat", "Tim Today"],
     {"Last entry": "ascending"}),
])
def test_each_column_sorts_both_ways_and_marks_itself(as_clinician, clinic, params, expected,
                                                      aria):
    page = listing(as_clinician, **params)
    assert names(page) == expected
    assert aria_sorts(page) == aria


def test_header_links_reverse_the_current_column_and_keep_the_search(as_clinician, clinic):
    page = listing(as_clinician, sort="name", q="e")
    assert header_link(page, "Name") == "/clinic/?q=e&sort=name&dir=desc"
    assert header_link(page, "Last entry") == "/clinic/?q=e&sort=last&dir=desc"
    assert header_link(page, "Needs attention") == "/clinic/?q=e&sort=status&dir=desc"
    # Following the link really does reverse the list.
    assert names(listing(as_clinician, q="e", sort="name", dir="desc")) == names(page)[::-1]


@pytest.mark.parametrize("params", [{"sort": "pain"}, {"sort": "name; DROP TABLE patient"},
                                    {"dir": "sideways"}, {"sort": "", "dir": ""}])
def test_unknown_sort_parameters_fall_back_to_the_default(as_clinician, clinic, params):
    page = listing(as_clinician, **params)
    assert names(page)[:2] == ["Tim Today", "Rita Repeat"]
    assert aria_sorts(page) == {"Needs attention": "descending"}


# ----------------------------------------------------------------------------- searching

@pytest.mark.parametrize(("q", "expected"), [
    ("rita", ["Rita Repeat"]),
    ("NORA", ["nora Quiet"]),
    ("  tim   today ", ["Tim Today"]),
    ("mrn-0042", ["Rita Repeat"]),      # record number, any case
    ("t-7", ["Tim Today"]),
    ("e", ["Rita Repeat", "nora Quiet", "Una Unjoined", "Zed Steady"]),
])
def test_search_by_name_or_record_number_ignores_case(as_clinician, clinic, q, expected):
    page = listing(as_clinician, q=q)
    assert names(page) == expected
    assert f"{len(expected)} of 5 patients match" in page


def test_other_clinicians_patients_are_never_listed(as_clinician, clinic):
    for params in ({}, {"sort": "last"}, {"sort": "name", "dir": "desc"}):
        page = listing(as_clinician, **params)
        assert "Otto" not in page and "MRN-0043" not in page
    assert names(listing(as_clinician, q="Otto")) == []
    # Otto's record number is MRN-0043: only Rita's MRN-0042 matches.
    page = listing(as_clinician, q="MRN-004")
    assert names(page) == ["Rita Repeat"] and "MRN-0043" not in page
    assert "No patient’s name or record number contains “Otto”" in listing(as_clinician,
                                                                           q="Otto")


@pytest.mark.parametrize("q", [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'; DROP TABLE patient; --",
    "' OR '1'='1",
    "%", "_", "\\", "{{ 7*7 }}", "\u202e\u0000x",
])
def test_hostile_search_text_is_harmless_and_shown_escaped(app, as_clinician, clinic, q):
    response = as_clinician.get("/clinic/", query_string={"q": q})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # None of these is in a name or record number: LIKE wildcards and SQL do not match all.
    assert names(page) == []
    assert "<script>alert" not in page and "<img src=x" not in page
    if "<" in q:
        assert "&lt;" in page
    if "{{" in q:  # shown as typed, never evaluated as a template
        assert "{{ 7*7 }}" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 6
    assert len(names(listing(as_clinician))) == 5


def test_search_box_keeps_what_was_typed_and_the_order(as_clinician, clinic):
    page = listing(as_clinician, q="Rita & co", sort="name", dir="desc")
    assert 'value="Rita &amp; co"' in page
    assert '<input type="hidden" name="sort" value="name">' in page
    assert '<input type="hidden" name="dir" value="desc">' in page


def test_an_empty_clinic_invites_the_first_patient(as_clinician):
    page = listing(as_clinician)
    assert "No patients yet" in page and 'type="search"' not in page


def test_patients_cannot_see_the_list(app, clinic):
    other = app.test_client()
    assert sign_in(other, "rita@home.example").status_code == 302
    assert other.get("/clinic/").status_code == 404


# --------------------------------------------------------------------------- efficiency

def _more_patients(app, world, n, start):
    for i in range(start, start + n):
        pid = world.patient(world.clinician_id, name=f"Extra {i}")
        positive_then_waned(app, pid)
        block_this_morning(app, pid)


def test_the_number_of_queries_does_not_grow_with_patients(app, world, as_clinician, clinic):
    listing(as_clinician)  # lines computed; the session row is touched at most once a minute
    with counting_queries(app) as few:
        listing(as_clinician)
    _more_patients(app, world, 6, 0)
    with counting_queries(app) as computing_six:
        listing(as_clinician)           # six new lines computed, in one batch
    with counting_queries(app) as many:
        page = listing(as_clinician)
    assert len(names(page)) == 11
    assert len(many) == len(few) <= 10
    _more_patients(app, world, 12, 6)
    with counting_queries(app) as computing_twelve:
        listing(as_clinician)
    # Computing stale lines costs queries per batch, not per patient.
    assert len(computing_twelve) == len(computing_six)


def test_the_list_is_paged(app, world, as_clinician, clinic):
    from diary.clinical.patient_list import PAGE_SIZE

    for i in range(PAGE_SIZE):
        world.patient(world.clinician_id, name=f"Paged {i:02d}")
    first = listing(as_clinician, sort="name")
    second = listing(as_clinician, sort="name", page="2")
    assert len(names(first)) == PAGE_SIZE and len(names(second)) == 5
    assert not set(names(first)) & set(names(second))
    assert "Showing 51 to 55" in second and 'rel="prev"' in second
    assert 'rel="next"' in first and 'rel="next"' not in second
    assert names(listing(as_clinician, sort="name", page="99")) == names(second)  # the last
    for bad in ("0", "-1", "x", "1" * 40, "١"):
        assert as_clinician.get("/clinic/", query_string={"page": bad}).status_code == 400


# ----------------------------------------------------------------------------- resilience

def test_one_diary_the_analysis_cannot_read_does_not_hide_the_others(monkeypatch, as_clinician,
                                                                      clinic):
    from diary.clinical import summary
    real = summary.analyse_patient

    def fussy(entries, blocks, settings, tz, now):
        if any(b.performed_at == OLD_BLOCK for b in blocks):   # Rita's diary only
            raise TypeError("the analysis tripped on this diary")
        return real(entries, blocks, settings, tz, now)

    monkeypatch.setattr(summary, "analyse_patient", fussy)
    shown = rows(listing(as_clinician))
    assert len(shown) == 5
    rita = next(r for r in shown if r[0] == "Rita Repeat")
    assert rita[1] == ["Diary could not be analysed"] and rita[2] == "no block yet"
    assert next(r for r in shown if r[0] == "Tim Today")[1][0] == "Waiting for block-day readings"


def test_a_baseline_of_no_pain_at_all_still_lists(app, as_clinician, world):
    # B7 = 0 leaves relief undefined; the day 24 h after the window has a reading.
    pid = world.patient(world.clinician_id, name="Zero Baseline")
    add_block(app, pid, OLD_BLOCK, pre_pain=3)
    for d in range(1, 8):
        add_entry(app, pid, OLD_BLOCK - timedelta(days=d), pain=0)
    add_entry(app, pid, OLD_BLOCK + timedelta(hours=31), pain=1)
    assert names(listing(as_clinician)) == ["Zero Baseline"]
