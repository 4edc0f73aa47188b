"""The consultant's charts and the patient's progress chart really draw in Chromium, under
the strict CSP, with a quiet console; one click zooms to a block's first hours."""

import pytest

from .conftest import assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo clinic's published password


def _drawn(page, chart_id: str) -> int:
    """How many traces plotly drew in the chart (0 if it did not draw)."""
    page.wait_for_selector(f"#{chart_id} .main-svg", timeout=15_000)
    return page.evaluate(f"document.getElementById('{chart_id}').data.length")


@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_consultant_charts_draw_and_zoom(open_context, demo_clinic, kind):
    w = open_context(kind, f"{kind}-charts")
    page = w.page
    sign_in(page, demo_clinic.CLINICIAN_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="Margaret Hill").click()
    page.wait_for_url("**/clinic/patients/*")
    assert _drawn(page, "timeline") >= 8
    assert _drawn(page, "relief-comparison") == 2  # one line per block
    if kind == "phone":
        assert_no_sideways_scroll(page)
    page.locator("#timeline").scroll_into_view_if_needed()
    w.shot("timeline")
    full = page.evaluate("document.getElementById('timeline').layout.xaxis.range")
    page.locator("#timeline .updatemenu-button").nth(1).click()  # first block's hours
    page.wait_for_function("""full => JSON.stringify(
        document.getElementById('timeline').layout.xaxis.range) !== JSON.stringify(full)""",
        arg=full)
    zoomed = page.evaluate("document.getElementById('timeline').layout.xaxis.range")
    assert zoomed != full
    hours = page.evaluate("""(() => { const r = document.getElementById('timeline')
        .layout.xaxis.range; return (new Date(r[1]) - new Date(r[0])) / 3.6e6; })()""")
    assert 8 <= hours <= 10
    w.shot("timeline-zoomed")


def test_the_chart_toolbar_has_zoom_and_reset_only(open_context, demo_clinic):
    """No "send to cloud" (patient data to Plotly's servers), no image download (a copy
    outside the audited export)."""
    page = open_context("desktop", "modebar").page
    sign_in(page, demo_clinic.CLINICIAN_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="Margaret Hill").click()
    page.wait_for_url("**/clinic/patients/*")
    for chart in ("timeline", "relief-comparison"):
        _drawn(page, chart)
        titles = page.eval_on_selector_all(
            f"#{chart} .modebar-btn", "els => els.map(e => e.getAttribute('data-title'))")
        assert titles == ["Zoom", "Pan", "Zoom in", "Zoom out", "Reset axes"], titles


def test_printable_summary_draws(open_context, demo_clinic):
    w = open_context("desktop", "desktop-summary")
    page = w.page
    sign_in(page, demo_clinic.CLINICIAN_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="Margaret Hill").click()
    page.get_by_role("link", name="Printable summary").click()
    assert _drawn(page, "timeline") >= 8
    page.emulate_media(media="print")
    w.shot("summary-print", full_page=True)
    assert page.locator(".block-card").count() == 2


def test_patient_progress_chart_draws_on_a_phone(open_context, demo_clinic):
    w = open_context("phone", "phone-progress")
    page = w.page
    sign_in(page, demo_clinic.PATIENT_EMAIL, DEMO_PASSWORD)
    page.goto("/diary/progress")
    assert _drawn(page, "progress") >= 1
    assert_no_sideways_scroll(page)
    w.shot("progress")
