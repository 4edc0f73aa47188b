"""The consultant's follow-up page and printable summary, on the demo clinic."""

import csv
import html as html_text
import io
import json
import re
from datetime import UTC, datetime, timedelta

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
    # The neurolysis is followed up, not judged; the lidocaine test block before it is negative.
    assert _cards(other) == ["follow_up", "negative"]
    assert "Treatment: follow-up" in other
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


# ------------------------------------------- follow-up after neurolysis, touch pain, PGIC

def _card(html: str, number: int) -> str:
    """The block card of block `number`, from its <article> to its </article>."""
    found = re.search(rf'<article class="card block-card[^>]*>\s*<header class="block-head">\s*'
                      rf"<h3>Block {number} ·.*?</article>", html, re.S)
    assert found, f"no card for block {number}"
    return found.group(0)


def _text(fragment: str) -> str:
    """The words of an HTML fragment, tags dropped and spaces squeezed."""
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip())


def test_limb_ischaemia_patient_has_a_filled_follow_up_card(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-002']}").get_data(as_text=True)
    card = _card(html, 2)  # the neurolysis, 120 days ago
    assert 'data-follow-up="limb"' in card
    # The urgent wound flag comes first and is styled as urgent; the neuralgia flag after it.
    flags = re.findall(r'<li class="flag( urgent)?"[^>]*>(.*?)</li>', card, re.S)
    assert flags[0][0] == " urgent" and "The wound is worse" in flags[0][1]
    assert "tell the vascular team" in flags[0][1]
    assert any("post-sympathectomy neuralgia" in text and not urgent for urgent, text in flags)
    # A row per checkpoint, in order, with figures where there are diary days.
    table = card.split('<table class="list checkpoints">')[1].split("</table>")[0]
    rows = re.findall(r'<tr class="checkpoint-(\w+)">(.*?)</tr>', table, re.S)
    assert [re.search(r'<th scope="row">Day (\d+)', r).group(1) for _, r in rows] == [
        "7", "30", "90", "180"]
    assert [state for state, _ in rows] == ["done", "done", "done", "upcoming"]
    day30 = _text(rows[1][1])
    assert re.search(r"\d+ % \+\d+\.\d °F", day30), day30  # relief, then the gain in °F
    assert "Healing" in day30 and "Much better" in day30
    assert "Unchanged" in _text(rows[0][1])
    assert re.search(r"Day 7 .* [1-7] of [1-7] answered", _text(rows[0][1]))
    assert "(upcoming)" in _text(rows[3][1])
    for header in ("Days judged", "Diary days", "Rest-pain relief", "Temperature gain",
                   "Walking gain", "Nights with rest pain", "Latest wound", "PGIC"):
        assert header in table
    # The Fontaine trend from the three clinic visits: IV, then III.
    assert re.search(r"Fontaine stage: IV \(\d+ \w+ \d{4}\) → III \(\d+ \w+ \d{4}\): better",
                     _text(card))
    # The anaesthetic-window figures are there, folded away and labelled.
    details = card.split('<details class="window-figures">')[1].split("</details>")[0]
    assert "Anaesthetic-window figures (not a diagnostic block)" in details
    assert "Peak relief in window" in details and "Negative by the same numbers" in details
    outside = card.replace(details, "")
    assert "Peak relief in window" not in outside
    # The page itself says it too, above the cards.
    assert re.search(r'<p class="banner review urgent" role="alert"><strong>Urgent: the wound '
                     r"is worse", html)


def test_a_local_anaesthetic_block_keeps_its_diagnostic_card(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-002']}").get_data(as_text=True)
    card = _card(html, 1)  # the lidocaine test block
    assert "data-follow-up" not in card and "checkpoints" not in card
    assert "<details" not in card and "Peak relief in window" in card
    margaret = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-001']}").get_data(
        as_text=True)
    assert 'data-follow-up="limb"' not in margaret
    assert 'class="banner review urgent"' not in margaret


def test_crps_cards_show_touch_pain_and_pgic_beside_relief(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-001']}").get_data(as_text=True)
    for number in (1, 2):
        words = _text(_card(html, number))
        # Marked touch pain before each block; less of it in the week after.
        assert re.search(r"Touch pain: before: 7 marked \(mean 2\.0\) / days 1–7: "
                         r"\d none[^(]*\(mean 0\.\d\) — less", words), words
        assert re.search(r"The patient's impression of change \(PGIC\) beside the computed "
                         r"relief: Day 7 \(\d+ \w+\): “[A-Z][a-z ]+” · relief \d+ %", words), words
    assert "“Much better” · relief" in _text(_card(html, 1))
    assert "“A little better” · relief" in _text(_card(html, 2))


def test_a_pgic_answer_that_disagrees_with_the_relief_says_so(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-002']}").get_data(as_text=True)
    card = _card(html, 2)
    notes = re.findall(r'<p class="disagree">(.*?)</p>', card, re.S)
    assert len(notes) == 1
    assert re.search(r"They disagree: The patient says \"Much better\" on day 7, yet relief is "
                     r"only \d+ % \(below 30 %\)", _text(notes[0])), notes
    answers = re.findall(r"Day (\d+) \(\d+ \w+\): “([^”]+)”", _text(card))
    assert answers == [("7", "Much better"), ("28", "A little better"), ("30", "Much better"),
                       ("90", "Much better")]


def test_the_printable_summary_carries_the_checkpoints(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-002']}/summary").get_data(
        as_text=True)
    card = _card(html, 2)
    assert '<div class="checkpoints-wrap"' in card  # not .table-wrap, which print hides
    assert len(re.findall(r'<tr class="checkpoint-', card)) == 4
    assert 'class="flag urgent"' in card and "Fontaine stage:" in card
    assert "Touch pain:" in card and "PGIC" in card


def test_the_demo_patients_clinic_visits_are_listed_newest_first(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-002']}").get_data(as_text=True)
    section = html.split('<section id="visits"')[1].split("</section>")[0]
    stages = re.findall(r"<td>(IV|III) — ", section)
    assert stages == ["III", "III", "IV"]
    assert len(re.findall(r'href="/clinic/visits/\d+/edit"', section)) == 3


def test_the_entry_table_shows_the_follow_up_answers(consultant, demo_clinic):
    html = consultant.get(f"/clinic/patients/{demo_clinic['DEMO-002']}").get_data(as_text=True)
    table = html.split('<table class="list entries">')[1].split("</table>")[0]
    head = _text(table.split("</thead>")[0])
    assert "Touch pain Night pain Wound PGIC Notes" in head
    assert '<td class="urgent">Worse</td>' in table  # the recent worse wound, in plain words
    assert re.search(r"<td>(Marked|Mild|None)</td>", table)
    assert re.search(r"<td>(yes|no)</td>", table)


def test_a_neurolysis_with_no_diary_yet_has_an_empty_follow_up_card(app, as_clinician, world):
    pid = world.patient(world.clinician_id)
    with app.app_context():
        from diary.data.models import Block

        two_weeks_ago = datetime.now(UTC) - timedelta(days=14)
        db.session.add(Block(patient_id=pid, performed_at=two_weeks_ago,
                             side="left", kind="radiofrequency", recorded_by=world.clinician_id))
        db.session.commit()
    html = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    card = _card(html, 1)
    assert 'data-follow-up="limb"' in card and 'class="flag' not in card
    assert "no diary days" in _text(card) and "(upcoming)" in _text(card)
    assert "Fontaine stage: No Fontaine stage recorded." in _text(card)
    assert "Touch pain: before: no answers / days 1–7: no answers" in _text(card)
    assert "beside the computed relief: no answers yet." in _text(card)


def test_the_block_summary_export_carries_the_demo_neurolysis_checkpoints(consultant, demo_clinic):
    from diary.interchange import csv_export as export
    from tests.conftest import post_form

    patient_id = demo_clinic["DEMO-002"]
    body = post_form(consultant, f"/clinic/patients/{patient_id}/export",
                     {"what": "block-summary"}, token_from="/clinic/export").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    neuro = next(r for r in rows if r["kind"] == "neurolysis")
    assert neuro["follow_up_flags"].split(";")[0] == "wound"
    for day in (7, 30, 90):  # done, with diary days and figures
        assert int(neuro[f"cp{day}_diary_days"]) > 0 and neuro[f"cp{day}_relief_pct"]
    assert neuro["cp30_wound"] == "healing" and neuro["cp30_pgic"] == "much_better"
    assert all(neuro[f"cp180_{f}"] == "" for f in export.CHECKPOINT_FIGURES)  # not begun
    assert "7:" in neuro["pgic_answers"] and neuro["touch_pain_before"]
    other = next(r for r in rows if r["kind"] != "neurolysis")
    assert other["cp7_diary_days"] == "" and other["follow_up_flags"] == ""


# ------------------------------------------------------- a block whose window is still open

def _block_two_hours_ago(app, clock, world, readings=((30, 4), (60, 3))) -> int:
    """A warmed block at 10:00 UTC (11:00 in London) with `readings` (minutes after, pain);
    the clock at 12:00 UTC, so the window (to 6 h) is open until 17:00 London time."""
    from diary.data.models import Block
    from tests.web.helpers import add_entry

    clock.now = NOW
    at = NOW - timedelta(hours=2)
    pid = world.patient(world.clinician_id, name="Olive Open")
    with app.app_context():
        db.session.add(Block(patient_id=pid, performed_at=at, side="left",
                             kind="diagnostic_la", pre_pain=8, temp_treated_pre_c=28.0,
                             temp_treated_10_c=30.4, recorded_by=world.clinician_id))
        db.session.commit()
    for minutes, pain in readings:
        add_entry(app, pid, at + timedelta(minutes=minutes), pain=pain)
    return pid


def test_an_open_window_reads_as_readings_so_far(app, clock, as_clinician, world):
    pid = _block_two_hours_ago(app, clock, world)
    card = _text(_card(as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True), 1))
    # 15, 30 min and hourly to 6 h: 8 readings asked for; the window closes 16:00 UTC.
    assert "Readings so far: 2 of 8 — window open until 17:00" in card
    assert "Awaiting readings" in card and "Peak relief so far" in card
    assert "Prolonged" not in card and "0 of 0 readings" not in card
    assert "no diary readings" not in card
    summary = as_clinician.get(f"/clinic/patients/{pid}/summary").get_data(as_text=True)
    assert "Readings so far: 2 of 8 — window open until 17:00" in _text(_card(summary, 1))


def test_an_open_window_with_no_readings_yet_has_no_warning(app, clock, as_clinician, world):
    pid = _block_two_hours_ago(app, clock, world, readings=())
    card = _text(_card(as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True), 1))
    assert "Readings so far: 0 of 8 — window open until 17:00" in card
    assert "no diary readings" not in card and "Prolonged" not in card
    # Once the window has closed with nothing in it, the usual words return.
    clock.now = NOW + timedelta(hours=4, minutes=1)
    card = _text(_card(as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True), 1))
    assert "Readings so far" not in card
    assert "there are no diary readings from 15 min to 6 h after the block" in card
    assert "Prolonged (24 h after window)" in card and "Uninterpretable" in card


def test_after_the_window_closes_the_usual_words_return(app, clock, as_clinician, world):
    pid = _block_two_hours_ago(app, clock, world)
    clock.now = NOW + timedelta(hours=4, minutes=1)  # 16:01 UTC: closed at 16:00
    card = _text(_card(as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True), 1))
    assert "Readings so far" not in card and "window open" not in card
    assert "Positive: pain fell from 8 to 3 (62 %) within 6 h" in card
    assert "Peak relief in window" in card and "Prolonged (24 h after window)" in card
