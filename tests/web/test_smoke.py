from diary.models import AuditEvent, Entry
from tests.conftest import input_value, post_form


def test_sign_in_page_renders_with_csrf(client):
    html = client.get("/sign-in").get_data(as_text=True)
    assert input_value(html, "csrf_token") and "Sign in" in html


def test_patient_logs_an_entry(as_patient, world):
    page = as_patient.get("/diary/").get_data(as_text=True)
    assert "How is your leg now?" in page
    data = {"client_id": input_value(page, "client_id"),
            "observed_at": input_value(page, "observed_at"), "pain": "6", "temp_unit": "C"}
    r = post_form(as_patient, "/diary/", data)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert world.count(Entry) == 1
    assert world.count(AuditEvent) >= 2
