"""Invites: issued by the clinician, accepted once on the patient's phone, within 7 days."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Invite, LoginSession, Patient, User
from diary.data.tokens import token_hash
from diary.web.qr import qr_svg
from tests.conftest import PASSWORD, input_value, post_form, sign_in
from tests.web.helpers import NOW, audit_json, audit_rows

pytestmark = pytest.mark.usefixtures("fixed_now")

NEW_PASSWORD = "a long new password"


@pytest.fixture
def new_patient(as_clinician, world):
    """A patient of the signed-in clinician who has not joined yet."""
    return world.patient(world.clinician_id, name="Nina Newcomer")


def shown_link(html: str) -> str:
    """The invite path an invite page shows."""
    link = re.search(r"<code>(http://localhost/invite/[A-Za-z0-9_-]+)</code>", html).group(1)
    return link.removeprefix("http://localhost")


def issue(client, patient_id) -> tuple[str, str]:
    """Issue an invite as the signed-in clinician ("Issue a new invite": a POST, then the
    invite page it sends the browser to); (page html, invite path)."""
    response = post_form(client, f"/clinic/patients/{patient_id}/invite",
                         token_from=f"/clinic/patients/{patient_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clinic/patients/{patient_id}/invite"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html, shown_link(html)


def accept(client, path, email="nina@home.example", password=NEW_PASSWORD, confirm=None):
    return post_form(client, path, {"email": email, "password": password,
                                    "confirm": password if confirm is None else confirm})


def test_invite_page_shows_the_link_and_its_qr_code(as_clinician, app, new_patient):
    html, path = issue(as_clinician, new_patient)
    link = "http://localhost" + path
    assert "Invite for Nina Newcomer" in html
    assert "<svg" in html and str(qr_svg(link)) in html  # the code is of this very link
    assert "<img" not in html  # inline: nothing for the CSP to allow, nothing to fetch
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 32


def test_only_the_hash_of_the_token_is_stored(as_clinician, app, new_patient):
    _, path = issue(as_clinician, new_patient)
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        [invite] = db.session.scalars(sa.select(Invite)).all()
        assert invite.token_hash == token_hash(token)
        assert invite.expires_at == NOW + timedelta(days=7)
        # No column of any invite or audit row holds the raw token.
        rows = db.session.execute(sa.text("SELECT * FROM invite")).all()
    assert token not in repr(rows)
    assert token not in audit_json(app)
    [ev] = audit_rows(app, AuditEvent.action == "invite.issue")
    assert ev.patient_id == new_patient


def test_the_invite_link_is_not_kept_in_any_cache(as_clinician, new_patient):
    issue(as_clinician, new_patient)
    response = as_clinician.get(f"/clinic/patients/{new_patient}/invite")
    assert "/invite/" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_accepting_sets_the_password_signs_in_and_remembers(as_clinician, app, new_patient):
    _, path = issue(as_clinician, new_patient)
    phone = app.test_client()
    page = phone.get(path).get_data(as_text=True)
    assert "Welcome, Nina Newcomer" in page and input_value(page, "csrf_token")

    response = accept(phone, path, email=" Nina@Home.example ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/diary/welcome")
    assert phone.get_cookie("remember_token") is not None
    assert "Start my diary" in phone.get("/diary/welcome").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "nina@home.example"))
        assert user.role == "patient" and user.check_password(NEW_PASSWORD)
        assert db.session.get(Patient, new_patient).user_id == user.id
        assert db.session.scalar(sa.select(Invite.used_at)) == NOW
    actions = [ev.action for ev in audit_rows(app)]
    assert actions[-2:] == ["invite.accept", "auth.sign_in"]

    # Remembered: the phone stays signed in after the browser session cookie is gone.
    phone.delete_cookie("session")
    assert phone.get("/diary/").status_code == 200
    # And the password works for signing in elsewhere.
    assert sign_in(app.test_client(), "nina@home.example", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("email", "password", "confirm", "field", "words"), [
    ("nina@home.example", "short pw", "short pw", "password", "at least 10 characters"),
    ("nina@home.example", "", "", "password", "Please choose a password."),
    ("nina@home.example", NEW_PASSWORD, NEW_PASSWORD + "!", "confirm", "not the same"),
    ("nina@home.example", NEW_PASSWORD, "", "confirm", "Please type the password again."),
    ("", NEW_PASSWORD, NEW_PASSWORD, "email", "Please choose how you will sign in."),
    ("ab", NEW_PASSWORD, NEW_PASSWORD, "email", "3 to 254"),
    ("nina home", NEW_PASSWORD, NEW_PASSWORD, "email", "letters, numbers"),
    ("<script>@x", NEW_PASSWORD, NEW_PASSWORD, "email", "letters, numbers"),
    ("nina\x00@x", NEW_PASSWORD, NEW_PASSWORD, "email", "letters, numbers"),
    ("dr@clinic.example", NEW_PASSWORD, NEW_PASSWORD, "email", "already in use"),
    ("DR@Clinic.Example", NEW_PASSWORD, NEW_PASSWORD, "email", "already in use"),
])
def test_bad_choices_are_refused_and_the_invite_still_works(
        as_clinician, app, world, new_patient, email, password, confirm, field, words):
    _, path = issue(as_clinician, new_patient)
    phone = app.test_client()
    response = accept(phone, path, email=email, password=password, confirm=confirm)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert words in re.search(rf'id="{field}-error">(.*?)</p>', html, re.S).group(1)
    assert world.count(User) == 1  # just the clinician
    assert world.count(Invite, Invite.used_at.is_not(None)) == 0
    assert phone.get_cookie("remember_token") is None
    assert accept(phone, path).status_code == 302  # and it can still be used properly


def test_an_invite_works_once(as_clinician, app, new_patient):
    _, path = issue(as_clinician, new_patient)
    assert accept(app.test_client(), path).status_code == 302
    stranger = app.test_client()
    page = stranger.get(path)
    assert page.status_code == 404
    assert "This link does not work any more" in page.get_data(as_text=True)
    # The used link has no form any more; a replayed POST (token from another page) fails too.
    response = post_form(stranger, path, {"email": "other@home.example", "password": "x" * 12,
                                          "confirm": "x" * 12}, token_from="/sign-in")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


@pytest.mark.parametrize(("after", "works"), [
    (timedelta(days=6, hours=23, minutes=59), True),
    (timedelta(days=7), False),
    (timedelta(days=30), False),
])
def test_an_invite_expires_after_seven_days(as_clinician, app, clock, new_patient, after, works):
    _, path = issue(as_clinician, new_patient)
    clock.now = NOW + after
    phone = app.test_client()
    assert phone.get(path).status_code == (200 if works else 404)
    if works:
        assert accept(phone, path).status_code == 302


def test_reissuing_invalidates_the_earlier_invite(as_clinician, app, new_patient):
    _, first = issue(as_clinician, new_patient)
    _, second = issue(as_clinician, new_patient)
    assert first != second
    phone = app.test_client()
    assert phone.get(first).status_code == 404
    assert phone.get(second).status_code == 200
    with app.app_context():
        invites = db.session.scalars(sa.select(Invite).order_by(Invite.id)).all()
        assert invites[0].revoked_at == NOW and invites[1].revoked_at is None


@pytest.mark.parametrize("token", [
    "nope", "A" * 32, "A" * 5000, "%00", "..%2F..%2Fsign-in", "' OR 1=1 --",
])
def test_made_up_tokens_are_not_found(client, token):
    assert client.get(f"/invite/{token}").status_code == 404


def test_a_joined_patient_reinvited_can_reset_the_password(client, app, world):
    clinician = world.clinician()
    patient = world.patient(clinician, name="Joined", email="joined@home.example")
    phone = app.test_client()
    assert sign_in(phone, "joined@home.example").status_code == 302
    sign_in(client, "dr@clinic.example")
    page = client.get(f"/clinic/patients/{patient}").get_data(as_text=True)
    assert "joined@home.example" in page and "Issue a new invite" in page
    _, path = issue(client, patient)

    new_phone = app.test_client()
    form = new_phone.get(path).get_data(as_text=True)
    assert input_value(form, "email") == "joined@home.example"
    assert accept(new_phone, path, email="joined@home.example").status_code == 302

    assert sign_in(app.test_client(), "joined@home.example", PASSWORD).status_code == 200
    assert sign_in(app.test_client(), "joined@home.example", NEW_PASSWORD).status_code == 302
    # The lost phone's sign-in has ended; the diary is the same one, not a second account.
    assert phone.get("/diary/").status_code == 302
    assert new_phone.get("/diary/").status_code == 200
    assert world.count(User, User.role == "patient") == 1
    with app.app_context():
        ended = db.session.scalar(sa.select(LoginSession.ended_at).order_by(LoginSession.id))
    assert ended is not None


def test_a_joined_patient_may_change_their_user_name_but_not_to_a_taken_one(
        client, app, world):
    clinician = world.clinician()
    patient = world.patient(clinician, name="Joined", email="joined@home.example")
    world.patient(clinician, name="Other", email="other@home.example")
    sign_in(client, "dr@clinic.example")
    _, path = issue(client, patient)
    phone = app.test_client()
    taken = accept(phone, path, email="other@home.example")
    assert "already in use" in taken.get_data(as_text=True)
    assert accept(phone, path, email="joined2@home.example").status_code == 302
    with app.app_context():
        assert db.session.get(Patient, patient).user.email == "joined2@home.example"


# --- the invite page: shown again on a reload, replaced only on purpose ------------------

def test_a_reload_shows_the_same_invite_and_cancels_nothing(as_clinician, app, new_patient):
    html, path = issue(as_clinician, new_patient)
    again = as_clinician.get(f"/clinic/patients/{new_patient}/invite").get_data(as_text=True)
    assert shown_link(again) == path
    assert str(qr_svg("http://localhost" + path)) in again
    assert "shown only now" not in html and "shown only now" not in again
    assert "Issue a new invite" in again
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Invite.id))) == 1
        assert db.session.scalar(sa.select(Invite.revoked_at)) is None
    assert accept(app.test_client(), path).status_code == 302  # the link shown still works
    # Showing a live link again is audited (the token itself is not).
    views = audit_rows(app, AuditEvent.action == "invite.view")
    assert len(views) == 2 and {ev.patient_id for ev in views} == {new_patient}
    assert path.rsplit("/", 1)[1] not in audit_json(app)


def test_issue_a_new_invite_replaces_the_one_shown(as_clinician, app, new_patient):
    _, first = issue(as_clinician, new_patient)
    html, second = issue(as_clinician, new_patient)
    assert second != first
    assert "Any earlier one no longer works" in html
    assert shown_link(as_clinician.get(f"/clinic/patients/{new_patient}/invite")
                      .get_data(as_text=True)) == second
    phone = app.test_client()
    assert phone.get(first).status_code == 404
    refused = post_form(phone, first, {"email": "nina@home.example", "password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD}, token_from="/sign-in")
    assert refused.status_code == 404
    assert accept(phone, second).status_code == 302


def test_the_invite_page_without_a_live_invite_says_so_and_offers_one(as_clinician, app,
                                                                      clock, new_patient):
    page = as_clinician.get(f"/clinic/patients/{new_patient}/invite")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "There is no invite waiting" in html and "/invite/" not in html.split("<main")[-1]
    assert "Issue a new invite" in html
    assert audit_rows(app, AuditEvent.action == "invite.view") == []
    # One that has run out is not shown either.
    _, path = issue(as_clinician, new_patient)
    clock.now = NOW + timedelta(days=7)
    sign_in(as_clinician, "dr@clinic.example")  # the sign-in of a week ago has run out
    html = as_clinician.get(f"/clinic/patients/{new_patient}/invite").get_data(as_text=True)
    assert path not in html and "There is no invite waiting" in html


def test_an_invite_made_on_the_command_line_cannot_be_shown_again(as_clinician, app,
                                                                  new_patient):
    from diary.services import invites

    with app.app_context():
        patient = db.session.get(Patient, new_patient)
        invites.issue(patient, patient.clinician, NOW, 7, key=None)  # no key: not sealed
    html = as_clinician.get(f"/clinic/patients/{new_patient}/invite").get_data(as_text=True)
    assert "cannot show it again" in html and "<code>" not in html
    _, path = issue(as_clinician, new_patient)  # and a new one can be shown
    assert path.startswith("/invite/")


def test_no_invite_for_a_discharged_patient(as_clinician, app, world, new_patient):
    _, path = issue(as_clinician, new_patient)
    with app.app_context():
        db.session.get(Patient, new_patient).archived_at = NOW
        db.session.commit()
    response = post_form(as_clinician, f"/clinic/patients/{new_patient}/invite",
                         token_from=f"/clinic/patients/{new_patient}")
    assert response.status_code == 302
    html = as_clinician.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reopen it before giving the patient an invite" in html
    assert "Issue a new invite" not in html
    assert world.count(Invite) == 1


def test_a_records_officer_cannot_see_or_make_invites(client, app, world):
    doctor = world.clinician()
    patient = world.patient(doctor, name="Nina Newcomer")
    world.staff("records@clinic.example", "Rita Records", ("records",),
                clinic=world.clinic_of(doctor))
    sign_in(client, "records@clinic.example")
    assert client.get(f"/clinic/patients/{patient}/invite").status_code == 403
    response = post_form(client, f"/clinic/patients/{patient}/invite", token_from="/clinic/")
    assert response.status_code == 403
    assert world.count(Invite) == 0
