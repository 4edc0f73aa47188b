"""Every screen of the demo clinic, at phone and desktop size: screenshots to look at, and
the checks a person would make by eye (nothing wider than the phone, nothing too small to
tap, a quiet console)."""

import pytest

from .conftest import (
    assert_no_none_attributes,
    assert_no_sideways_scroll,
    axe_violations,
    sign_in,
    small_targets,
)

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo clinic's published password


def patient_screens(w, demo):
    """Visit the patient's screens in order, yielding (label, page) on each."""
    page = w.page
    page.goto("/sign-in")
    yield "sign-in", page
    sign_in(page, demo.PATIENT_EMAIL, DEMO_PASSWORD)
    page.wait_for_url("**/diary/")
    yield "entry", page
    page.goto("/diary/history")
    yield "history", page
    page.get_by_role("link", name="My progress").click()
    page.wait_for_url("**/progress")
    yield "progress", page
    page.goto("/diary/history")
    page.locator(".entry-card").first.get_by_role("link", name="Change").click()
    page.wait_for_url("**/edit")
    yield "edit", page
    page.goto("/diary/history")
    page.locator(".entry-card").first.get_by_role("link", name="Delete").click()
    page.wait_for_url("**/delete")
    yield "delete", page
    page.goto("/diary/account")
    yield "account", page


def clinician_screens(w, demo):
    page = w.page
    sign_in(page, demo.CLINICIAN_EMAIL, DEMO_PASSWORD)
    page.wait_for_url("**/clinic/")
    yield "patients", page
    page.get_by_role("link", name="Margaret Hill").click()
    page.wait_for_url("**/clinic/patients/*")
    yield "patient", page
    page.get_by_role("button", name="Issue a new invite").click()
    page.wait_for_selector(".qr svg")
    yield "invite", page
    page.goto("/clinic/patients/new")
    yield "new-patient", page


def test_patient_screens_on_a_phone(open_context, demo_clinic):
    w = open_context("phone", "phone")
    for label, page in patient_screens(w, demo_clinic):
        assert_no_sideways_scroll(page)
        assert_no_none_attributes(page)
        w.shot(label)
        w.shot(f"{label}-full", full_page=True)
        if label in ("entry", "edit"):
            assert small_targets(page, ".pain-choice span, .option span, button.big:visible") == []
            # The form is long: look at it one screen at a time as a patient scrolls it.
            height = page.evaluate("document.scrollingElement.scrollHeight")
            for n, y in enumerate(range(600, height, 600), start=2):
                page.evaluate(f"window.scrollTo(0, {y})")
                w.shot(f"{label}-{n}")
        if label in ("history", "delete", "account"):
            assert small_targets(page, "main .button:visible") == []


def test_patient_screens_on_a_computer(open_context, demo_clinic):
    w = open_context("desktop", "desktop")
    for label, page in patient_screens(w, demo_clinic):
        assert_no_sideways_scroll(page, 1280)
        if label == "entry":
            # One row of eleven on a wide screen: the whole scale is seen at once.
            tops = page.eval_on_selector_all(
                ".pain-choice span",
                "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
            assert len(tops) == 11 and len(set(tops)) == 1
        w.shot(label, full_page=label != "entry")


def test_clinician_screens_on_desktop_and_phone(open_context, demo_clinic):
    for kind in ("desktop", "phone"):
        w = open_context(kind, f"{kind}-clinic")
        for label, page in clinician_screens(w, demo_clinic):
            if kind == "phone":
                assert_no_sideways_scroll(page)
            else:
                assert_no_sideways_scroll(page, 1280)
            assert_no_none_attributes(page)
            if label == "invite":
                # Big enough for a phone camera to read off the screen across a desk.
                box = page.locator(".qr svg").bounding_box()
                assert box["width"] >= 200 and box["height"] >= 200
            w.shot(label)
            w.shot(f"{label}-full", full_page=True)


def test_no_serious_accessibility_problems(open_context, demo_clinic, axe_source):
    found = {}
    phone = open_context("phone", "axe-phone")
    for label, page in patient_screens(phone, demo_clinic):
        found[f"phone {label}"] = axe_violations(page, axe_source)
    page = phone.page
    page.goto("/diary/")
    page.locator("#temp_treated").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator(".error").count() >= 2  # no pain chosen, and the bad temperature
    found["phone entry with errors"] = axe_violations(page, axe_source)
    desktop = open_context("desktop", "axe-desktop")
    for label, page in clinician_screens(desktop, demo_clinic):
        found[f"desktop {label}"] = axe_violations(page, axe_source)
    assert {k: v for k, v in found.items() if v} == {}


def test_clinician_screens_in_the_dark(open_context, demo_clinic, axe_source):
    """The dark theme (prefers-color-scheme) reaches the clinic's pages too: the same
    variables colour them, and the charts keep their light paper inside a light card."""
    found = {}
    for kind in ("desktop", "phone"):
        w = open_context(kind, f"dark-{kind}-clinic", color_scheme="dark")
        for label, page in clinician_screens(w, demo_clinic):
            found[f"{kind} {label}"] = axe_violations(page, axe_source)
            if kind == "phone":
                assert_no_sideways_scroll(page)
            w.shot(label)
    assert {k: v for k, v in found.items() if v} == {}


def test_every_demo_patient_and_staff_account(open_context, demo_clinic, axe_source):
    """Each demo patient's page shows a different card (pending, uninterpretable, follow-up,
    a thin baseline, a quiet diary): none of them may run off the page or fail axe. The nurse
    and the records officer sign in to the same list."""
    found = {}
    w = open_context("desktop", "desktop-demo-patients")
    page = w.page
    sign_in(page, demo_clinic.CLINICIAN_EMAIL, DEMO_PASSWORD)
    page.wait_for_url("**/clinic/")
    links = page.locator("table a[href*='/clinic/patients/']")
    hrefs = sorted({links.nth(i).get_attribute("href") for i in range(links.count())})
    assert len(hrefs) >= 8
    for href in hrefs:
        page.goto(href)
        assert_no_sideways_scroll(page, 1280)
        assert_no_none_attributes(page)
        found[href] = axe_violations(page, axe_source)
        w.shot(f"patient-{href.rstrip('/').rsplit('/', 1)[-1]}")
    assert {k: v for k, v in found.items() if v} == {}
    for email in (demo_clinic.NURSE_EMAIL, demo_clinic.RECORDS_EMAIL):
        staff = open_context("desktop", f"desktop-{email.split('@')[0]}")
        sign_in(staff.page, email, DEMO_PASSWORD)
        staff.page.wait_for_url("**/clinic/")
        assert staff.page.locator(".tag.demo").count() >= 8
        staff.shot("patients")
