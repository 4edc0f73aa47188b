"""The new-patient flow in a real browser, at a phone's width and at a desk: after "Add
patient" the invite (QR code and link) is on the first screen, a reload shows the same link,
and the new patient's page leads with the invite and draws no empty chart (no axis of the
year 2000). The patient-management screens pass axe."""

import pytest

from .conftest import assert_no_none_attributes, assert_no_sideways_scroll, axe_violations, sign_in

pytestmark = pytest.mark.browser


def add_patient(page, name: str, record: str):
    page.goto("/clinic/")
    page.get_by_role("link", name="Add a patient").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Record number (optional)").fill(record)
    page.get_by_role("button", name="Add patient").click()
    page.wait_for_url("**/clinic/patients/*/invite")


def in_first_screen(page, selector: str) -> bool:
    """The element is whole inside the first screen (the page not scrolled)."""
    page.evaluate("window.scrollTo(0, 0)")
    return page.eval_on_selector(selector, """el => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
    }""")


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_the_invite_is_on_the_first_screen_after_adding_a_patient(open_context, live, kind):
    email = f"newcomer-{kind}@clinic.example"
    live.clinician(email, f"Dr {kind.title()}")
    w = open_context(kind, f"new-patient-{kind}")
    page = w.page
    width = 360 if kind == "phone" else 1280
    sign_in(page, email)
    add_patient(page, f"Nina {kind.title()}", f"NP-{kind}")
    w.shot("invite")
    assert in_first_screen(page, ".qr svg"), "the QR code is not on the first screen"
    assert in_first_screen(page, "h1")
    link = page.locator(".link-box code").inner_text().strip()
    assert link.startswith(f"{live.url}/invite/")
    assert "shown only now" not in page.content()
    assert_no_sideways_scroll(page, width)
    assert_no_none_attributes(page)

    page.reload()  # shows the same invite, cancels nothing
    assert page.locator(".link-box code").inner_text().strip() == link

    page.get_by_role("link", name="Go to the patient’s page").click()
    page.wait_for_url("**/clinic/patients/*")
    assert in_first_screen(page, "#access h2"), "the Diary access card is below the first screen"
    assert page.get_by_role("link", name="Show the invite").is_visible()
    assert page.locator(".chart-plot").count() == 0
    assert page.get_by_text("No readings yet: charts appear after the first entry.").is_visible()
    assert "2000" not in page.locator("main").inner_text()
    assert_no_sideways_scroll(page, width)
    w.shot("patient", full_page=True)

    page.get_by_role("link", name="Show the invite").click()
    page.wait_for_url("**/invite")
    assert page.locator(".link-box code").inner_text().strip() == link


def test_patient_management_screens_pass_axe(open_context, live, axe_source):
    dr = live.clinician("axe-dr@clinic.example", "Dr Axe")
    live.clinician("axe-dr2@clinic.example", "Dr Second", clinic=live.clinic_of(dr))
    found = {}
    for kind in ("phone", "desktop"):
        w = open_context(kind, f"manage-{kind}")
        page = w.page
        sign_in(page, "axe-dr@clinic.example")
        add_patient(page, f"Axel {kind}", f"AX-{kind}")
        found[f"{kind} invite"] = axe_violations(page, axe_source)
        page.get_by_role("link", name="Go to the patient’s page").click()
        page.wait_for_url("**/clinic/patients/*")
        found[f"{kind} new patient"] = axe_violations(page, axe_source)
        for label in ("Edit details", "Hand over", "Discharge"):
            page.get_by_role("link", name=label, exact=True).click()
            page.wait_for_load_state()
            found[f"{kind} {label}"] = axe_violations(page, axe_source)
            page.go_back()
        page.get_by_role("link", name="Discharge", exact=True).click()
        page.get_by_role("button", name="Yes, discharge").click()
        page.wait_for_url("**/clinic/patients/*")
        assert page.get_by_text("Discharged on").is_visible()
        found[f"{kind} discharged patient"] = axe_violations(page, axe_source)
        page.goto("/clinic/?show=discharged")
        assert page.get_by_role("link", name=f"Axel {kind}").is_visible()
        found[f"{kind} discharged list"] = axe_violations(page, axe_source)
    assert {k: v for k, v in found.items() if v} == {}
