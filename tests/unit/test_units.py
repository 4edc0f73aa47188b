"""Units and the validation rules of docs/clinical.md §4, as plain functions."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.clinical import units

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
CREATED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("c", "f"), [
    (0.0, 32.0), (100.0, 212.0), (-40.0, -40.0), (37.0, 98.6), (33.0, 91.4), (15.0, 59.0),
    (40.0, 104.0),
])
def test_celsius_fahrenheit_both_ways(c, f):
    assert units.c_to_f(c) == pytest.approx(f)
    assert units.f_to_c(f) == pytest.approx(c)
    assert units.to_celsius(f, "F") == pytest.approx(c)
    assert units.from_celsius(c, "F") == pytest.approx(f)


def test_celsius_is_left_alone():
    assert units.to_celsius(31.2, "C") == 31.2
    assert units.from_celsius(31.2, "C") == 31.2


@pytest.mark.parametrize(("value_c", "unit", "shown"), [
    (33.0, "C", "33.0 °C"), (33.0, "F", "91.4 °F"), (27.25, "C", "27.2 °C"), (None, "F", ""),
])
def test_show_temp_in_the_patients_unit(value_c, unit, shown):
    assert units.show_temp(value_c, unit) == shown


@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("12", 12), (" 45 ", 45), ("600", 600), ("007", 7), ("999999", 999999),
])
def test_parse_int_reads_ascii_digits(text, value):
    assert units.parse_int(text) == value


@pytest.mark.parametrize("text", [
    "", "   ", None, "١٠", "５", "٣٠", "1e3", "nan", "inf", "-0", "-5", "+5", "1.5", "1,5",
    "12 min", "0x10", "1_000", "9" * 7, "9" * 400, "12\n3", "²",
])
def test_parse_int_refuses_anything_else(text):
    assert units.parse_int(text) is None


@pytest.mark.parametrize(("text", "value"), [
    ("31", 31.0), ("31.5", 31.5), ("31,5", 31.5), (" 91.4 ", 91.4), ("33.25", 33.25),
    ("-0", 0.0),
])
def test_parse_decimal_reads_ascii_digits_with_point_or_comma(text, value):
    assert units.parse_decimal(text) == value


@pytest.mark.parametrize("text", [
    "", None, "١٠", "３３.５", "33.٥", "1e3", "1E3", "nan", "NaN", "inf", "-inf", "Infinity",
    "9" * 5, "9" * 400, "33.5.1", "33.", ".5", "33,5,1", "thirty", "33 °C", "0x21",
])
def test_parse_decimal_refuses_anything_else(text):
    assert units.parse_decimal(text) is None


def test_minus_zero_is_no_loophole_into_the_skin_range():
    # "-0" parses (as 0.0) but must then fail the range check, not slip through as "nothing".
    value = units.parse_decimal("-0")
    assert value == 0 and units.check_skin_temp(value, "C").error


@pytest.mark.parametrize(("value", "unit", "celsius"), [
    (15.0, "C", 15.0), (20.0, "C", 20.0), (28.4, "C", 28.4), (37.0, "C", 37.0), (40.0, "C", 40.0),
    (59.0, "F", 15.0), (68.0, "F", 20.0), (91.4, "F", 33.0), (98.6, "F", 37.0), (104.0, "F", 40.0),
])
def test_skin_temperature_in_range_is_accepted_and_stored_in_celsius(value, unit, celsius):
    result = units.check_skin_temp(value, unit)
    assert result.error is None
    assert result.celsius == pytest.approx(celsius)


@pytest.mark.parametrize(("value", "unit"), [
    (14.9, "C"), (0.0, "C"), (-3.0, "C"), (40.1, "C"), (45.0, "C"), (58.9, "C"), (104.1, "C"),
    (150.0, "C"), (58.9, "F"), (104.1, "F"), (33.0, "F"), (20.0, "F"), (110.0, "F"),
])
def test_skin_temperature_out_of_range_is_refused(value, unit):
    result = units.check_skin_temp(value, unit)
    assert result.celsius is None and result.error
    assert f"°{unit}" in result.error  # the limits are told in the unit the patient typed


def test_range_message_gives_the_limits_in_fahrenheit_for_a_fahrenheit_reading():
    error = units.check_skin_temp(120.0, "F").error
    assert "59.0 °F" in error and "104.0 °F" in error


@pytest.mark.parametrize("value", [59.0, 68.0, 91.4, 98.6, 104.0])
def test_fahrenheit_looking_number_typed_as_celsius_asks_did_you_mean(value):
    result = units.check_skin_temp(value, "C")
    assert result.celsius is None
    assert "Did you mean °F?" in result.error


@pytest.mark.parametrize("value", [45.0, 58.9, 104.1, 14.0])
def test_numbers_outside_the_fahrenheit_band_get_the_plain_range_error(value):
    error = units.check_skin_temp(value, "C").error
    assert error and "°F?" not in error


@pytest.mark.parametrize(("value", "unit"), [
    (15.0, "C"), (19.9, "C"), (59.0, "F"), (67.9, "F"),
])
def test_cold_foot_is_kept_but_warned(value, unit):
    result = units.check_skin_temp(value, unit)
    assert result.error is None and result.celsius is not None
    assert "re-measure after 15 minutes" in result.warning


@pytest.mark.parametrize(("value", "unit"), [
    (37.1, "C"), (40.0, "C"), (98.7, "F"), (104.0 - 0.1, "F"),
])
def test_hot_foot_is_kept_but_warned(value, unit):
    result = units.check_skin_temp(value, unit)
    assert result.error is None and result.celsius is not None
    assert "warmer than skin usually is" in result.warning


@pytest.mark.parametrize(("value", "unit"), [
    (20.0, "C"), (28.4, "C"), (37.0, "C"), (68.0, "F"), (91.4, "F"), (98.6, "F"),
])
def test_usual_readings_and_the_warning_limits_themselves_are_not_warned(value, unit):
    assert units.check_skin_temp(value, unit).warning is None


@pytest.mark.parametrize(("pain_free", "maximal"), [
    (None, None), (0, 0), (0, 600), (600, 600), (5, 20), (None, 30), (30, None), (12, 12),
])
def test_walking_times_that_make_sense(pain_free, maximal):
    assert units.check_walking(pain_free, maximal) == {}


@pytest.mark.parametrize(("pain_free", "maximal", "bad"), [
    (601, None, {"walk_pain_free_min"}),
    (None, 601, {"walk_max_min"}),
    (-1, 10, {"walk_pain_free_min"}),
    (10, -1, {"walk_max_min"}),
    (700, 9999, {"walk_pain_free_min", "walk_max_min"}),
    (21, 20, {"walk_pain_free_min"}),
])
def test_walking_times_that_do_not(pain_free, maximal, bad):
    assert set(units.check_walking(pain_free, maximal)) == bad


def test_pain_free_longer_than_maximal_says_why():
    msg = units.check_walking(30, 10)["walk_pain_free_min"]
    assert "cannot be more than" in msg


@pytest.mark.parametrize("when", [
    NOW, NOW - timedelta(hours=3), NOW + timedelta(minutes=5), CREATED,
    CREATED - timedelta(days=365), NOW.astimezone(ZoneInfo("Pacific/Auckland")),
])
def test_observed_at_within_limits(when):
    assert units.check_observed_at(when, NOW, CREATED) is None


def test_observed_at_more_than_five_minutes_ahead_is_the_future():
    msg = units.check_observed_at(NOW + timedelta(minutes=5, seconds=1), NOW, CREATED)
    assert "future" in msg


def test_observed_at_more_than_a_year_before_the_record_is_refused():
    msg = units.check_observed_at(CREATED - timedelta(days=365, seconds=1), NOW, CREATED)
    assert "more than a year before" in msg
