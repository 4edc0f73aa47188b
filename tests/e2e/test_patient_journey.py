"""The whole journey in a real browser: a consultant invites a patient at a desk, the
patient sets up the diary on a phone and logs, corrects and deletes an entry by tapping,
and the consultant sees what the patient did."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError

from diary.data.models import Entry, Patient

from .conftest import (
    PASSWORD,
    assert_no_none_attributes,
    assert_no_sideways_scroll,
    sign_in,
    small_targets,
)

pytestmark = pytest.mark.browser

TAP_TARGETS = ".pain-choice span, .option span, button.big:visible"


def tap_pain(page, score: int):
    page.locator(".pain-choice").filter(has_text=re.compile(rf"^\s*{score}\s*$")).tap()


def tap_choice(page, text: str):
    page.locator("label.option").filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$")).tap()


def save(page, name: str = "Save"):
    """Tap a submit button and wait for the answer page, whatever it is."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).tap()


def checked_pain(page) -> str | None:
    return page.evaluate(
        "document.querySelector('input[name=pain]:checked')?.value ?? null")


def phone_screen(w, label: str):
    """What every patient screen must pass, plus a screenshot to look at."""
    assert_no_sideways_scroll(w.page)
    assert_no_none_attributes(w.page)
    w.shot(label, full_page=True)


def test_invite_entry_history_edit_delete(open_context, live):
    live.clinician("journey-dr@clinic.example")
    desk = open_context("desktop", "journey-desktop")
    dp = desk.page
    sign_in(dp, "journey-dr@clinic.example")
    dp.get_by_role("link", name="Add a patient").click()
    dp.get_by_label("Name").fill("Olive Journey")
    dp.get_by_label("Record number (optional)").fill("J-100")
    dp.locator("label.option").filter(has_text="Right").click()
    dp.get_by_label("Time zone").select_option("Europe/London")
    dp.get_by_role("button", name="Add patient").click()
    dp.wait_for_url("**/clinic/patients/*/invite")  # the invite is shown at once
    patient_url = dp.url.removesuffix("/invite")
    link = dp.locator(".link-box code").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(live.url)}/invite/[\w-]{{20,}}", link)
    assert dp.locator(".qr svg").is_visible()
    desk.shot("invite")

    phone = open_context("phone", "journey-phone")
    pp = phone.page
    pp.goto(link)
    assert pp.get_by_role("heading", name="Welcome, Olive Journey").is_visible()
    phone_screen(phone, "01-accept-invite")
    pp.get_by_label("Email or a user name you will remember").fill("olive@home.example")
    pp.get_by_label("New password").fill(PASSWORD)
    pp.get_by_label("Type it again").fill(PASSWORD)
    pp.get_by_role("button", name="Save and continue").tap()
    pp.wait_for_url("**/diary/welcome")
    assert pp.get_by_text("Your right foot was treated.").first.is_visible()
    phone_screen(phone, "02-welcome")
    pp.get_by_role("link", name="Start my diary").tap()
    pp.wait_for_url("**/diary/")
    # Remembered on this phone: a long-lived cookie, not just a browser-session one.
    remember = [c for c in phone.context.cookies() if c["name"] == "remember_token"]
    assert remember and remember[0]["expires"] > (datetime.now(UTC)
                                                  + timedelta(days=60)).timestamp()
    phone_screen(phone, "02-entry-form")
    assert small_targets(pp, TAP_TARGETS) == []

    tap_pain(pp, 6)
    assert checked_pain(pp) == "6"
    pp.get_by_label("Right foot (treated)", exact=True).fill("31.4")
    pp.get_by_label("Left foot", exact=True).fill("29.0")
    tap_choice(pp, "Red / flushed")
    tap_choice(pp, "Back soreness")
    pp.get_by_role("button", name="Save", exact=True).tap()
    pp.wait_for_url("**/diary/history")
    assert "Saved" in pp.locator(".flash").inner_text()
    card = pp.locator(".entry-card")
    assert card.count() == 1
    text = card.inner_text()
    for expected in ("Pain 6/10", "31.4 °C", "29.0 °C", "red / flushed", "Back soreness"):
        assert expected in text
    phone_screen(phone, "03-history")

    card.get_by_role("link", name="Change").tap()
    pp.wait_for_url("**/edit")
    assert checked_pain(pp) == "6"
    assert pp.get_by_label("Right foot (treated)", exact=True).input_value() == "31.4"
    phone_screen(phone, "04-edit")
    tap_pain(pp, 4)
    pp.get_by_label("Right foot (treated)", exact=True).fill("32.0")
    pp.get_by_role("button", name="Save changes").tap()
    pp.wait_for_url("**/diary/history")
    text = pp.locator(".entry-card").inner_text()
    assert "Pain 4/10" in text and "32.0 °C" in text and "Pain 6/10" not in text

    dp.goto(patient_url)
    row = dp.locator("table.entries tbody tr")
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[1] == "4" and cells[2] == "32.0 °C" and "Red / flushed" in cells
    desk.shot("patient-with-entry", full_page=True)

    pp.locator(".entry-card").get_by_role("link", name="Delete").tap()
    pp.wait_for_url("**/delete")
    assert pp.get_by_role("heading", name="Delete this entry?").is_visible()
    assert "Pain 4/10" in pp.locator(".entry-card").inner_text()
    phone_screen(phone, "05-delete")
    assert small_targets(pp, "main .button") == []
    pp.get_by_role("button", name="Yes, delete it").tap()
    pp.wait_for_url("**/diary/history")
    assert pp.locator(".entry-card").count() == 0
    phone_screen(phone, "06-history-empty")
    pp.get_by_role("link", name="Account").tap()
    pp.wait_for_url("**/diary/account")
    phone_screen(phone, "07-account")

    # Soft delete: the row stays, marked deleted, and leaves the consultant's list.
    olive = Entry.patient.has(Patient.display_name == "Olive Journey")
    assert live.count(Entry, olive) == 1
    assert live.count(Entry, olive, Entry.deleted_at.is_not(None)) == 1
    dp.goto(patient_url)
    assert dp.locator("table.entries tbody tr").count() == 0


def _phone_patient(open_context, live, email: str, name: str):
    clinician = live.clinician(f"dr-{email}")
    patient_id = live.patient(clinician, name=name, email=email)
    phone = open_context("phone", f"phone-{name.split()[0].lower()}")
    sign_in(phone.page, email)
    phone.page.wait_for_url("**/diary/")
    return phone, patient_id


def test_bad_temperatures_are_explained_beside_the_fields_and_typing_is_kept(open_context, live):
    phone, patient_id = _phone_patient(open_context, live, "vera@home.example", "Vera Valid")
    page = phone.page
    tap_pain(page, 7)
    page.get_by_label("Left foot (treated)", exact=True).fill("12")
    page.get_by_label("Right foot", exact=True).fill("95")
    tap_choice(page, "Pale / white")
    page.get_by_label("Anything else (optional)").fill("Cold morning, typed before the error")
    save(page)

    assert page.get_by_role("alert").is_visible()
    for name, words in (("temp_treated", "between 15.0 °C and 40.0 °C"),
                        ("temp_other", "Did you mean °F?")):
        box = page.locator(f"#{name}")
        message = page.locator(f"#{name}-error")
        assert words in message.inner_text()
        # Beside the field: inside the same field block, named by the input for screen readers.
        assert page.locator(f"div.field:has(> #{name}) > #{name}-error").count() == 1
        assert box.get_attribute("aria-invalid") == "true"
        assert f"{name}-error" in box.get_attribute("aria-describedby")
        m, b = message.bounding_box(), box.bounding_box()
        gap_above = b["y"] - (m["y"] + m["height"])   # message over the box
        gap_below = m["y"] - (b["y"] + b["height"])   # message under the box (label beside it)
        assert 0 <= gap_above < 24 or 0 <= gap_below < 24, "the message should touch its box"
        assert m["x"] < b["x"] + b["width"] and b["x"] < m["x"] + m["width"]
    assert page.locator("#temp_treated").input_value() == "12"
    assert page.locator("#temp_other").input_value() == "95"
    assert checked_pain(page) == "7"
    assert page.locator("label.option", has_text="Pale / white").locator("input").is_checked()
    assert page.get_by_label("Anything else (optional)").input_value() == (
        "Cold morning, typed before the error")
    assert live.count(Entry, Entry.patient_id == patient_id) == 0
    assert_no_sideways_scroll(page)
    page.locator("fieldset.temps").scroll_into_view_if_needed()
    phone.shot("08-entry-errors")

    # A cold but possible reading is a warning: saved only once the patient confirms it.
    page.get_by_label("Left foot (treated)", exact=True).fill("19.0")
    page.get_by_label("Right foot", exact=True).fill("30.5")
    save(page)
    assert "cold for a foot" in page.locator(".warning").inner_text()
    assert live.count(Entry, Entry.patient_id == patient_id) == 0
    page.locator(".warning").scroll_into_view_if_needed()
    phone.shot("09-entry-warning")
    page.get_by_label("I checked: the reading is right, save it").tap()
    page.get_by_role("button", name="Save", exact=True).tap()
    page.wait_for_url("**/diary/history")
    stored = live.scalar(sa.select(Entry).where(Entry.patient_id == patient_id))
    assert (stored.pain, stored.temp_treated_c, stored.temp_other_c, stored.colour) == (
        7, 19.0, 30.5, "pale_white")
    assert stored.notes == "Cold morning, typed before the error"


def test_double_tapping_save_stores_one_entry(open_context, live):
    # Chromium itself folds the second click into the first submission; the test below
    # makes a second request really reach the server.
    phone, patient_id = _phone_patient(open_context, live, "dora@home.example", "Dora Double")
    page = phone.page
    tap_pain(page, 3)
    page.get_by_role("button", name="Save", exact=True).dblclick()
    page.wait_for_url("**/diary/history")
    assert live.count(Entry, Entry.patient_id == patient_id) == 1
    assert page.locator(".entry-card").count() == 1


def _drop_first_answer(page):
    """The first Save reaches the server, but its answer is lost on the way back."""
    bodies, statuses = [], []

    def handler(route):
        if route.request.method != "POST":
            route.continue_()
            return
        bodies.append(route.request.post_data)
        if len(bodies) == 1:
            statuses.append(route.fetch(max_redirects=0).status)  # the server saves it...
            route.abort("connectionreset")  # ...but the phone never hears back
        else:
            route.continue_()

    page.route("**/diary/", handler)
    return bodies, statuses


def _wait_for(statuses, page):
    for _ in range(100):  # the route handler runs while Playwright waits
        if statuses:
            return
        page.wait_for_timeout(100)


def test_an_entry_whose_answer_was_lost_is_kept_and_sent_once(open_context, live):
    """With the script: the lost answer looks like no network, so the phone keeps the entry
    and sends it through the API under the same UUID; the diary still holds one entry."""
    phone, patient_id = _phone_patient(open_context, live, "sid@home.example", "Sid Signal")
    page = phone.page
    bodies, statuses = _drop_first_answer(page)
    tap_pain(page, 5)
    page.get_by_role("button", name="Save", exact=True).tap()
    _wait_for(statuses, page)
    assert statuses == [302]
    page.locator("#outbox-status").filter(has_text="in your diary").wait_for(timeout=20_000)
    assert live.count(Entry, Entry.patient_id == patient_id) == 1
    page.goto("/diary/history")
    assert page.locator(".entry-card").count() == 1
    phone.problems[:] = [p for p in phone.problems if "ERR_CONNECTION_RESET" not in p]


def test_an_entry_resent_after_a_dropped_connection_is_stored_once(open_context, live):
    """Without the script: the patient reloads, the phone sends the same form again, and
    one entry is kept."""
    clinician = live.clinician("dr-sam@clinic.example")
    patient_id = live.patient(clinician, name="Sam Signal", email="sam@home.example")
    phone = open_context("phone", "phone-sam", java_script_enabled=False)
    page = phone.page
    sign_in(page, "sam@home.example")
    page.wait_for_url("**/diary/")
    bodies, statuses = _drop_first_answer(page)
    page.locator(".pain-choice").filter(has_text=re.compile(r"^\s*5\s*$")).click()
    page.get_by_role("button", name="Save", exact=True).click(no_wait_after=True)
    _wait_for(statuses, page)
    assert statuses == [302]
    assert live.count(Entry, Entry.patient_id == patient_id) == 1
    # A reload after a failed POST sends the same form again. Chromium may still be
    # swapping in its error page when we ask, so wait for it and try once more.
    page.wait_for_load_state()
    for attempt in range(3):
        try:
            page.reload()
            break
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(500)
    page.wait_for_url("**/diary/history")
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert live.count(Entry, Entry.patient_id == patient_id) == 1
    assert page.get_by_text("That entry was already saved.").is_visible()
    assert page.locator(".entry-card").count() == 1
    # The dropped answer is expected noise in this test, not a fault of the page.
    phone.problems[:] = [p for p in phone.problems if "ERR_CONNECTION_RESET" not in p]


def test_the_diary_works_without_javascript(open_context, live):
    clinician = live.clinician("dr-nojs@clinic.example")
    patient_id = live.patient(clinician, name="Nora NoScript", email="nora@home.example")
    phone = open_context("phone", "phone-nojs", java_script_enabled=False)
    page = phone.page
    sign_in(page, "nora@home.example")
    page.wait_for_url("**/diary/")
    tap_pain(page, 2)
    tap_choice(page, "Warmer")
    page.get_by_role("button", name="Save", exact=True).tap()
    page.wait_for_url("**/diary/history")
    assert "Pain 2/10" in page.locator(".entry-card").inner_text()
    stored = live.scalar(sa.select(Entry).where(Entry.patient_id == patient_id))
    assert (stored.pain, stored.feels) == (2, "warmer")
