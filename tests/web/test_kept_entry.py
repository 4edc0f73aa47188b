"""An entry sent after the session or the form's token expired is kept, not lost."""
import re

from diary.data.db import db
from diary.data.models import Entry, LoginSession
from tests.conftest import input_value, post_form, sign_in


def _typed(page):
    return {"client_id": input_value(page, "client_id"),
            "observed_at": input_value(page, "observed_at"), "pain": "7", "temp_unit": "C",
            "temp_treated": "31.5", "notes": "typed slowly while the kettle boiled"}


def test_entry_survives_an_ended_session(app, as_patient, world):
    page = as_patient.get("/diary/").get_data(as_text=True)
    typed = _typed(page)
    typed["csrf_token"] = input_value(page, "csrf_token")
    with app.app_context():  # the session ends while the patient types (e.g. signed out)
        for ls in db.session.scalars(db.select(LoginSession)):
            ls.ended_at = ls.created_at
        db.session.commit()
    response = as_patient.post("/diary/", data=typed)
    assert response.status_code == 302 and "/sign-in" in response.location
    assert world.count(Entry) == 0
    assert sign_in(as_patient, "pat@home.example").status_code == 302
    again = as_patient.get("/diary/").get_data(as_text=True)
    assert "typed slowly while the kettle boiled" in again
    assert input_value(again, "temp_treated") == "31.5"
    pain_7 = next(t for t in re.findall(r"<input[^>]*>", again) if 'id="pain-7"' in t)
    assert "checked" in pain_7
    # Saving it now stores the entry once, under the id the form was first given.
    saved = post_form(as_patient, "/diary/", {**_typed(again)})
    assert saved.status_code == 302
    with app.app_context():
        entry = db.session.scalar(db.select(Entry))
        assert entry.id == typed["client_id"] and entry.pain == 7


def test_entry_survives_an_expired_form_token(as_patient, world):
    page = as_patient.get("/diary/").get_data(as_text=True)
    response = as_patient.post("/diary/", data={**_typed(page), "csrf_token": "expired"})
    # Refused, as any POST without a valid token is, and nothing is saved...
    assert response.status_code == 400 and world.count(Entry) == 0
    assert "What you typed is kept" in response.get_data(as_text=True)
    # ...but one tap brings the entry back to check and save.
    again = as_patient.get("/diary/").get_data(as_text=True)
    assert "typed slowly while the kettle boiled" in again and "is back" in again


def test_a_forged_post_from_another_site_is_not_kept(app, as_patient, world):
    page = as_patient.get("/diary/").get_data(as_text=True)
    stranger = app.test_client()  # no cookies of ours, as a cross-site POST with SameSite=Lax
    response = stranger.post("/diary/", data={**_typed(page), "csrf_token": "forged"})
    assert response.status_code == 400 and world.count(Entry) == 0
    assert "typed slowly" not in as_patient.get("/diary/").get_data(as_text=True)


def test_other_forms_without_token_are_refused(as_patient, world):
    response = as_patient.post("/sign-out-everywhere", data={})
    assert response.status_code == 400
