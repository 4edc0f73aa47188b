"""Readable for everyone (issue 9, item 8), on a 360 px phone in Chromium: axe-core finds no
violation on any patient screen in the light and the dark theme, and at 200 % zoom and with
the phone's large text nothing runs off the screen or out of its box.

How the phone's settings are emulated (a page's own CSS cannot do it: the CSP refuses inline
styles, so page.add_style_tag is blocked):

- **200 % zoom** on a 360×740 phone is a 180×370 CSS px viewport drawn at 4 device pixels per
  CSS px (`viewport` and `device_scale_factor` of the browser context): the page lays out
  exactly as it would zoomed in, and the screenshot has the phone's real pixels.
- **Large text** is the browser's default font size, which is what `rem` is measured in.
  Chromium has no launch flag for it, but its DevTools protocol does:
  `Page.setFontSizes({fontSizes: {standard: 32, fixed: 26}})` on a CDP session of the page
  (32 px is twice the default 16 px). It holds for that page across navigations, so it is set
  once before the first screen.
- **Dark theme**: the context's `color_scheme="dark"` (prefers-color-scheme: dark).
"""

from datetime import UTC, datetime, timedelta

import pytest

from diary.data.db import db
from diary.data.models import Patient
from tests.web.helpers import add_entry
from tests.web.test_patient_list import add_block

from .conftest import PASSWORD, SHOTS, assert_no_sideways_scroll, axe_violations, sign_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo clinic's published password
EVERY_IMPACT = ("minor", "moderate", "serious", "critical")
BOTH_EMAIL = "readable-both@home.example"

# Every element's box, and the boxes that should hold their text, against the viewport:
# [what, how far past] for each element that runs off the screen sideways, and for each
# button, chip, label, heading, paragraph or menu link whose content spills out of it (cut
# off, or drawn over its neighbour). Hidden helpers (the skip link, visually hidden text, the
# radio inputs drawn as chips) are left out, and so is the inside of the chart (plotly sizes
# its own SVG to the figure, which is measured).
MEASURE = """() => {
  const vw = document.documentElement.clientWidth;
  const name = (el) => {
    const cls = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const words = (el.innerText || el.value || '').trim().slice(0, 24);
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + ' "' + words + '"';
  };
  const hidden = '.skip, .visually-hidden, .chart-plot, #js-plotly-tester, script, style';
  const skipped = (el) => el.closest(hidden) ||
    (el.matches('input[type=radio], input[type=checkbox]') &&
     el.closest('.option, .pain-choice'));
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (skipped(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 0.5) out.push(`off screen by ${Math.round(r.right - vw)}px: ${name(el)}`);
    if (r.left < -0.5) out.push(`off screen left by ${Math.round(-r.left)}px: ${name(el)}`);
  }
  const holders = 'header a, header .link, .brand, .button, button, .pain-choice span, ' +
    '.option span, .anchor, .painbadge, .time, .tag, .state, label, legend, h1, h2, h3, p, ' +
    'li, dt, dd, figcaption';
  for (const el of document.body.querySelectorAll(holders)) {
    if (skipped(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.display === 'inline') continue;
    const wide = el.scrollWidth - el.clientWidth, high = el.scrollHeight - el.clientHeight;
    if (wide > 1) out.push(`spills ${wide}px wide: ${name(el)}`);
    // The pain numbers and the answer chips must show whole; elsewhere a box that clips.
    const clips = cs.overflowY !== 'visible' && cs.overflowY !== 'auto';
    if (high > 1 && (clips || el.matches('.pain-choice span, .option span')))
      out.push(`cut ${high}px high: ${name(el)}`);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def both_feet(live, demo_clinic):
    """A patient treated on both sides, in New York, on block day: a block 3 h 40 min ago
    with some readings taken and some missed, so today's list shows every state."""
    clinician = live.clinician("readable-dr@clinic.example")
    pid = live.patient(clinician, name="Bea Both", email=BOTH_EMAIL, tz="America/New_York")
    with live.app.app_context():
        db.session.get(Patient, pid).treated_side = "both"
        db.session.commit()
        db.session.remove()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    block = now - timedelta(hours=3, minutes=40)
    add_block(live.app, pid, block, kind="therapeutic_la")
    for minutes, pain in ((-70, 7), (16, 5), (31, 3), (125, 2)):
        add_entry(live.app, pid, block + timedelta(minutes=minutes), pain=pain,
                  temp_treated_c=31.5, temp_other_c=30.9, feels="warmer")
    return pid


# The three patients whose screens are looked at: the demo's Margaret (left foot, °C, London)
# and Dennis (right foot, °F, New York, limb ischaemia: the longest form), and Bea (both feet).
WHO = ("margaret", "dennis", "bea")


def sign_in_as(page, demo, who: str):
    email = {"margaret": demo.PATIENT_EMAIL, "dennis": demo.SECOND_PATIENT_EMAIL,
             "bea": BOTH_EMAIL}[who]
    sign_in(page, email, PASSWORD if who == "bea" else DEMO_PASSWORD)
    page.wait_for_url("**/diary/")


def screens(page, demo, who: str):
    """Sign in as `who` and visit each patient screen, yielding its label. Nothing is saved:
    the demo diary stays as other tests expect it."""
    sign_in_as(page, demo, who)
    page.wait_for_url("**/diary/")
    yield "entry"
    page.locator("#temp_treated").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator(".error").count() >= 2      # no pain chosen; a cold reading
    yield "entry-errors"
    page.goto("/diary/history")
    yield "history"
    page.goto("/diary/progress")
    page.wait_for_selector("#progress .main-svg", state="attached")
    yield "progress"
    page.goto("/diary/account")
    yield "account"
    page.goto("/diary/welcome")
    yield "welcome"
    page.goto("/diary/history")
    page.locator(".entry-card").first.get_by_role("link", name="Change").click()
    page.wait_for_url("**/edit")
    yield "edit"
    page.goto("/diary/history")
    page.locator(".entry-card").first.get_by_role("link", name="Delete").click()
    page.wait_for_url("**/delete")
    yield "delete"


def look(w, label: str, most: int = 12):
    """Screenshots to look at: Watched.shot of the first screen, then the rest of the page one
    screen at a time as a patient scrolls it (a whole long form in one picture is too tall to
    see anything in)."""
    w.shot(label)
    page = w.page
    height = page.viewport_size["height"]
    total = page.evaluate("document.scrollingElement.scrollHeight")
    for n, y in enumerate(range(height, total - 8, height)[:most - 1], start=2):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.screenshot(path=str(SHOTS / f"{w.name}-{label}-{n}.png"))
    page.evaluate("window.scrollTo(0, 0)")


def large_text(page, px: int = 32):
    """The phone's text size: Chromium's default font size, through its DevTools protocol."""
    page.context.new_cdp_session(page).send(
        "Page.setFontSizes", {"fontSizes": {"standard": px, "fixed": px - 6}})


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_accessibility_violation_on_any_patient_screen(open_context, demo_clinic, both_feet,
                                                          axe_source, scheme):
    found = {}
    for who in WHO:
        w = open_context("phone", f"readable-{scheme}-{who}", color_scheme=scheme)
        for label in screens(w.page, demo_clinic, who):
            assert_no_sideways_scroll(w.page)
            found[f"{who} {label}"] = axe_violations(w.page, axe_source, EVERY_IMPACT)
            if who != "dennis" or scheme == "dark":
                look(w, label)
    assert {k: v for k, v in found.items() if v} == {}


def test_the_dark_theme_is_dark(open_context, demo_clinic):
    w = open_context("phone", "readable-dark-check", color_scheme="dark")
    page = w.page
    sign_in(page, demo_clinic.PATIENT_EMAIL, DEMO_PASSWORD)
    page.wait_for_url("**/diary/")
    colours = page.evaluate("""() => ['body', '.pain-choice span', 'input[type=text]',
        'fieldset.field'].map(s => getComputedStyle(document.querySelector(s)).backgroundColor)""")
    for colour in colours:
        rgb = [int(c) for c in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3]]
        assert sum(rgb) < 3 * 100, f"not dark: {colour}"


@pytest.mark.parametrize("how", ["zoom-200", "large-text"])
def test_nothing_runs_off_the_screen_at_200_percent(open_context, demo_clinic, both_feet, how):
    if how == "zoom-200":
        # 360×740 at 200 %: half the CSS pixels, each drawn with twice as many device pixels.
        options = {"viewport": {"width": 180, "height": 370}, "device_scale_factor": 4}
        width = 180
    else:
        options = {}
        width = 360
    problems = {}
    for who in WHO:
        w = open_context("phone", f"readable-{how}-{who}", **options)
        if how == "large-text":
            large_text(w.page)
        for label in screens(w.page, demo_clinic, who):
            page = w.page
            found = page.evaluate(MEASURE)
            scroll = page.evaluate("document.scrollingElement.scrollWidth")
            if scroll > width:
                found.insert(0, f"the page scrolls sideways: {scroll}px wide at {width}px")
            if how == "large-text":
                # Text, answer buttons and typed text grew with the phone's text size.
                sizes = page.evaluate("""() => Object.fromEntries([['body', 'body'],
                    ['pain', '.pain-choice span'], ['chip', '.option span'],
                    ['typed', 'input[type=text], textarea'], ['button', 'main .button']]
                    .map(([k, s]) => [k, document.querySelector(s)])
                    .filter(([k, el]) => el)
                    .map(([k, el]) => [k, parseFloat(getComputedStyle(el).fontSize)]))""")
                found += [f"{what} did not grow: {size}px" for what, size in sizes.items()
                          if size < 28]
            problems[f"{who} {label}"] = found
            if who != "dennis" or label in ("entry", "history"):
                look(w, label)
    bad = {k: v for k, v in problems.items() if v}
    assert bad == {}, "\n".join(f"{k}: {line}" for k, v in bad.items() for line in v[:12])


def test_the_phone_names_the_treated_foot(open_context, demo_clinic, both_feet):
    for who, treated, other in (("margaret", "Left foot (treated)", "Right foot"),
                                ("dennis", "Right foot (treated)", "Left foot"),
                                ("bea", "Left foot", "Right foot")):
        w = open_context("phone", f"readable-feet-{who}")
        page = w.page
        sign_in_as(page, demo_clinic, who)
        page.get_by_label(treated, exact=True).fill("31.2")
        page.get_by_label(other, exact=True).fill("30.1")
        assert page.get_by_text("treated foot", exact=False).count() == 0
