"""The printable summary on A4, for every demo patient, from a desktop and from a phone:
charts redrawn to the paper's width (static/js/print.js), no two overlapping, no buttons,
a few pages (counted in the PDF Chromium makes), and light paper in the dark theme."""

import contextlib
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo clinic's published password

PX_PER_MM = 96 / 25.4
# A4 is 210 mm wide; css/print.css's @page leaves 12 mm each side.
PRINTABLE_PX = (210 - 2 * 12) * PX_PER_MM
# Page 1 holds the header, banners and block cards, the decisions and the relief comparison
# follow; the timeline takes a page of its own. The demo's longest summaries (the limb
# follow-up with its checkpoint table, three blocks in a row) fill two pages before the
# timeline, so three pages is the most any demo patient needs; four would mean a chart or a
# card no longer fits where it should.
MOST_PAGES = 3
# What can be pressed or is only for a screen; none of it should reach the paper.
NOT_ON_PAPER = ("button, .button, input, select, textarea, nav, header.top, .skip, "
                ".modebar-container, .modebar-btn, .updatemenu-container, .updatemenu-button")

# The line at the top of pages 2 on (css/print.css's @page reads it; js/print.js sets it).
PRINT_HEAD = "() => getComputedStyle(document.documentElement).getPropertyValue('--print-head')"
DRAWN = """() => [...document.querySelectorAll('.chart-plot')]
    .every(c => c._fullLayout && c.querySelector('.main-svg'))"""
ON_PAPER = """maxWidth => [...document.querySelectorAll('.chart-plot')]
    .every(c => c.querySelector('.main-svg').getBoundingClientRect().width <= maxWidth)"""
SVG_WIDTHS = "els => els.map(e => e.querySelector('.main-svg').getBoundingClientRect().width)"
BACK_ON_SCREEN = """widths => JSON.stringify([...document.querySelectorAll('.chart-plot')]
    .map(e => e.querySelector('.main-svg').getBoundingClientRect().width))
    === JSON.stringify(widths)"""
LAYOUT = """() => {
  const box = el => { const r = el.getBoundingClientRect();
    return {left: r.left + scrollX, top: r.top + scrollY, right: r.right + scrollX,
            bottom: r.bottom + scrollY}; };
  return [...document.querySelectorAll('figure.chart')].map(f => {
    const plot = f.querySelector('.chart-plot');
    return {id: plot.id, figure: box(f), caption: box(f.querySelector('figcaption')),
            layers: [...plot.querySelectorAll('.main-svg')].map(box),
            legend: plot.querySelector('.legend') ? box(plot.querySelector('.legend')) : null,
            plots: [...plot.querySelectorAll('.draglayer .nsewdrag')].map(box),
            breakInside: getComputedStyle(f).breakInside};
  });
}"""
SHOWN = """selector => [...document.querySelectorAll(selector)].filter(el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden';
  }).map(el => el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || '') + ' '
        + (el.innerText || el.getAttribute('data-title') || '').trim().slice(0, 30))"""


def demo_patients(page) -> list[tuple[str, str]]:
    """(name, summary URL) of every patient on the clinic's list, through all its pages."""
    found, url = [], "/clinic/"
    while url:
        page.goto(url)
        found += page.eval_on_selector_all(
            "table.patients tbody td:first-child a",
            "els => els.map(a => [a.innerText.trim(), a.getAttribute('href') + '/summary'])")
        more = page.locator("a[rel=next]")
        url = more.get_attribute("href") if more.count() else None
    return [tuple(p) for p in found]


def page_count(pdf: bytes) -> int:
    """Page objects in the PDF ("/Type /Page", not the "/Type /Pages" tree above them)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def css_string(value: str) -> str:
    """The text of a CSS string token ("a \\"b\\"" -> a "b")."""
    value = value.strip()
    return re.sub(r"\\(.)", r"\1", value[1:-1]) if value[:1] == '"' else value


def overlaps(a: dict, b: dict) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5)


def inside(inner: dict, outer: dict) -> bool:
    return (inner["left"] >= outer["left"] - 0.5 and inner["top"] >= outer["top"] - 0.5
            and inner["right"] <= outer["right"] + 0.5
            and inner["bottom"] <= outer["bottom"] + 0.5)


def open_summary(page, url: str) -> None:
    page.emulate_media(media="screen")
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=15_000)


def to_paper(page) -> None:
    """Print media on; print.js redraws the charts (wait for it, then check what it did)."""
    page.emulate_media(media="print")
    with contextlib.suppress(PlaywrightTimeout):  # the checks after this say what is wrong
        page.wait_for_function(ON_PAPER, arg=PRINTABLE_PX, timeout=5_000)


def paper_problems(page, name: str) -> list[str]:
    """What a person would see wrong on the printed page, from the print-media layout."""
    problems = []
    charts = page.evaluate(LAYOUT)
    for c in charts:
        where = f"{name}, {c['id']}"
        for box in [c["figure"], c["caption"], *c["layers"]]:
            if box["left"] < -0.5 or box["right"] > PRINTABLE_PX + 0.5:
                problems.append(f"{where}: {box['left']:.0f}–{box['right']:.0f} px is off the "
                                f"page (printable 0–{PRINTABLE_PX:.0f} px)")
                break
        if not all(inside(layer, c["figure"]) for layer in c["layers"]):
            problems.append(f"{where}: the chart spills out of its figure")
        if c["breakInside"] != "avoid":
            problems.append(f"{where}: figure and caption may be split across pages")
        if c["legend"] and any(overlaps(c["legend"], p) for p in c["plots"]):
            problems.append(f"{where}: the legend covers the plot")
    for i, a in enumerate(charts):
        for b in charts[i + 1:]:
            if overlaps(a["figure"], b["figure"]):
                problems.append(f"{name}: {a['id']} and {b['id']} overlap")
    shown = page.evaluate(SHOWN, NOT_ON_PAPER)
    if shown:
        problems.append(f"{name}: printed but only for a screen: {shown[:4]}")
    head = page.locator(".summary-head").inner_text()
    if name not in head or "record" not in head or "Printed" not in head:
        problems.append(f"{name}: the header lacks the name, record or printing time: {head!r}")
    running = css_string(page.evaluate(PRINT_HEAD))
    if name not in running or "record" not in running or "printed" not in running:
        problems.append(f"{name}: the pages after the first do not name the patient: {running!r}")
    return problems


@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_every_demo_summary_prints_on_a4(open_context, demo_clinic, kind, tmp_path):
    page = open_context(kind, f"print-{kind}").page
    sign_in(page, demo_clinic.CLINICIAN_EMAIL, DEMO_PASSWORD)
    patients = demo_patients(page)
    assert len(patients) >= 2, patients
    problems = []
    for name, url in patients:
        open_summary(page, url)
        screen_widths = page.eval_on_selector_all(".chart-plot", SVG_WIDTHS)
        to_paper(page)
        problems += paper_problems(page, name)
        pdf = page.pdf(format="A4", print_background=True)
        (tmp_path / f"{kind}-{url.split('/')[-2]}.pdf").write_bytes(pdf)  # to look at
        pages = page_count(pdf)
        least = 2 if page.locator("#timeline").count() else 1  # the timeline's own page
        if not least <= pages <= MOST_PAGES:
            problems.append(f"{name}: {pages} pages (expected {least} to {MOST_PAGES})")
        # Back on the screen, the charts fill the screen again and get their buttons back.
        page.emulate_media(media="screen")
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(BACK_ON_SCREEN, arg=screen_widths, timeout=5_000)
        back = page.eval_on_selector_all(".chart-plot", SVG_WIDTHS)
        if any(abs(b - s) > 1 for b, s in zip(back, screen_widths, strict=True)):
            problems.append(f"{name}: after printing the charts are {back} px wide, "
                            f"not the screen's {screen_widths}")
        if page.locator("#timeline .updatemenu-button").count() == 0 and \
                page.locator("#timeline").count():
            problems.append(f"{name}: the zoom buttons did not come back after printing")
    assert problems == [], "\n".join(problems)


def test_the_summary_prints_light_in_the_dark_theme(open_context, demo_clinic, axe_source):
    page = open_context("desktop", "print-dark", color_scheme="dark").page
    sign_in(page, demo_clinic.CLINICIAN_EMAIL, DEMO_PASSWORD)
    name, url = demo_patients(page)[0]
    open_summary(page, url)
    colours = """() => {
      const lum = s => { const [r, g, b, a] = (s.match(/[\\d.]+/g) || []).map(Number);
        return a === 0 ? null : (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
      const of = el => { const s = getComputedStyle(el);
        return {bg: lum(s.backgroundColor), ink: lum(s.color)}; };
      return {body: of(document.body), html: of(document.documentElement),
              cards: [...document.querySelectorAll('.card, .banner, .block-card')].map(of)}; }"""
    on_screen = page.evaluate(colours)
    assert on_screen["body"]["bg"] < 0.2, "the dark theme is not on: this test would prove nothing"
    assert axe_violations(page, axe_source) == []
    to_paper(page)
    on_paper = page.evaluate(colours)
    assert on_paper["body"]["bg"] > 0.95 and on_paper["body"]["ink"] < 0.2, on_paper["body"]
    assert on_paper["html"]["bg"] is None or on_paper["html"]["bg"] > 0.95, on_paper["html"]
    dark = [c for c in on_paper["cards"] if c["bg"] is not None and c["bg"] < 0.8]
    assert on_paper["cards"] and dark == [], dark
    assert paper_problems(page, name) == []
    assert axe_violations(page, axe_source) == []  # contrast on paper too
    pdf = page.pdf(format="A4", print_background=True)
    assert 1 <= page_count(pdf) <= MOST_PAGES


def test_a_name_with_quotes_and_markup_still_heads_the_pages(open_context, live):
    """The running head is a CSS string made from the patient's name: quotes, backslashes and
    markup in a name stay text and keep the string valid."""
    name = 'Ann "Nan" O\'Brien \\ </style><script>alert(1)</script>'
    clinician = live.clinician("dr-quotes@clinic.example")
    patient_id = live.patient(clinician, name=name, record='R"1\\')
    page = open_context("desktop", "print-quotes").page
    sign_in(page, "dr-quotes@clinic.example")
    page.goto(f"/clinic/patients/{patient_id}/summary")
    to_paper(page)
    head = page.evaluate(PRINT_HEAD)
    assert page.evaluate("v => CSS.supports('content', v)", head), head
    assert head.startswith('"Ann \\"Nan\\" O\'Brien \\\\ </style><script>'), head
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    assert paper_problems(page, name) == []
    assert 1 <= page_count(page.pdf(format="A4", print_background=True)) <= MOST_PAGES
