"""Staff administration: an administrator invites staff by a single-use link, changes their
roles, deactivates and reactivates them and resets a lost second factor; all audited, all
for their own clinic's staff only."""

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Clinic, Invite, LoginSession, Membership, User
from diary.services import access_tokens, staff
from diary.services.accounts import Refused
from diary.web.qr import qr_svg
from tests.conftest import PASSWORD, input_value, post_form, sign_in
from tests.web.helpers import NOW, audit_rows, checked_values, every_table, user_id

pytestmark = pytest.mark.usefixtures("fixed_now")

NEW_PASSWORD = "a long new password"
ADMIN = "ada@clinic.example"


@pytest.fixture
def admin(client, world):
    """An administrator (only) of a clinic of their own, signed in on `client`."""
    world.admin_id = world.staff(ADMIN, "Ada Admin", roles=("admin",))
    world.clinic_id = world.clinic_of(world.admin_id)
    assert sign_in(client, ADMIN).status_code == 302
    return client


def colleague(world, email, name, roles):
    return world.staff(email, name, roles=roles, clinic=world.clinic_id)


def signed_in(app, email, code_secret=None):
    browser = app.test_client()
    response = sign_in(browser, email)
    assert response.status_code == 302
    if code_secret is not None:
        assert response.location.endswith("/sign-in/code")
        response = post_form(browser, "/sign-in/code",
                             {"code": pyotp.TOTP(code_secret).at(NOW)})
        assert response.status_code == 302
    return browser


def invite(client, email="nora@clinic.example", name="Nora Nurse", roles=("nurse",)):
    return post_form(client, "/clinic/staff/invite",
                     {"email": email, "name": name, "roles": list(roles)})


def invite_path(client, person_id) -> str:
    """The invite link the invite page shows, as a path."""
    page = client.get(f"/clinic/staff/{person_id}/invite")
    assert page.status_code == 200
    found = re.search(r"<code>(http://localhost/invite/[A-Za-z0-9_-]+)</code>",
                      page.get_data(as_text=True))
    return found.group(1).removeprefix("http://localhost")


def invited(app, client, **kwargs) -> tuple[int, str]:
    response = invite(client, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    person_id = int(re.fullmatch(r".*/clinic/staff/(\d+)/invite", response.location).group(1))
    return person_id, invite_path(client, person_id)


def accept(browser, path, password=NEW_PASSWORD, confirm=None):
    return post_form(browser, path, {"password": password,
                                     "confirm": password if confirm is None else confirm})


def roles_of(app, person_id):
    with app.app_context():
        return db.session.scalar(sa.select(Membership.roles).where(
            Membership.user_id == person_id))


def actions(app, *where):
    return [ev.action for ev in audit_rows(app, *where)]


# ------------------------------------------------------------------ inviting and joining

def test_invite_accept_and_sign_in_with_the_chosen_roles(app, admin, world):
    person_id, path = invited(app, admin, email=" Nora@Clinic.Example ",
                              roles=("nurse", "records"))
    with app.app_context():
        user = db.session.get(User, person_id)
        assert (user.email, user.name, user.role, user.active) == (
            "nora@clinic.example", "Nora Nurse", "staff", False)
        assert not user.check_password("") and not user.check_password(NEW_PASSWORD)
    assert roles_of(app, person_id) == "nurse,records"
    [ev] = audit_rows(app, AuditEvent.action == "staff.invite")
    assert (ev.actor_id, ev.object_id) == (world.admin_id, str(person_id))
    assert actions(app, AuditEvent.action.like("invite.%")) == ["invite.issue"]
    # Listed as invited, not yet joined; they cannot sign in before choosing a password.
    listing = admin.get("/clinic/staff/").get_data(as_text=True)
    assert re.search(r"Nora Nurse.*nora@clinic\.example.*Nurse, Records officer.*"
                     r"Invited, not yet joined.*Off.*never", listing, re.S)
    refused = sign_in(app.test_client(), "nora@clinic.example", PASSWORD)
    assert refused.status_code == 200 and "do not match" in refused.get_data(as_text=True)

    phone = app.test_client()
    page = phone.get(path).get_data(as_text=True)
    assert "Welcome, Nora Nurse" in page and "nora@clinic.example" in page
    assert input_value(page, "email") is None  # their email is fixed: nothing to choose
    response = accept(phone, path)
    assert response.status_code == 302 and response.location.endswith("/clinic/")
    assert phone.get("/clinic/").status_code == 200  # a nurse sees the clinic's patients
    assert phone.get("/clinic/staff/").status_code == 403  # but administers nobody
    with app.app_context():
        user = db.session.get(User, person_id)
        assert user.active and user.check_password(NEW_PASSWORD)
        assert db.session.scalar(sa.select(Invite.used_at)) == NOW
    assert actions(app)[-2:] == ["invite.accept", "auth.sign_in"]
    assert phone.get(path).status_code == 404  # spent
    assert phone.get_cookie("remember_token") is None  # staff are never remembered

    # Their roles hold on a later sign-in with the chosen password.
    later = app.test_client()
    assert sign_in(later, "nora@clinic.example", NEW_PASSWORD).location.endswith("/clinic/")
    with app.app_context():
        user = db.session.get(User, person_id)
        assert user.roles == ("nurse", "records") and user.can("export")
    assert "Active" in admin.get("/clinic/staff/").get_data(as_text=True)


def test_a_reload_shows_the_same_link_again(app, admin):
    person_id, path = invited(app, admin)
    html = admin.get(f"/clinic/staff/{person_id}/invite").get_data(as_text=True)
    assert str(qr_svg("http://localhost" + path)) in html  # the code is of this very link
    assert invite_path(admin, person_id) == path
    assert invite_path(admin, person_id) == path
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Invite.id))) == 1
        raw = repr(db.session.execute(sa.text("SELECT * FROM invite")).all())
    assert path.rsplit("/", 1)[1] not in raw  # kept sealed, never in clear
    assert app.test_client().get(path).status_code == 200


def test_a_new_link_revokes_the_first(app, admin):
    person_id, first = invited(app, admin)
    response = post_form(admin, f"/clinic/staff/{person_id}/invite")
    assert response.status_code == 302
    second = invite_path(admin, person_id)
    assert second != first
    assert app.test_client().get(first).status_code == 404
    assert actions(app, AuditEvent.action == "invite.issue") == ["invite.issue"] * 2
    assert accept(app.test_client(), second).status_code == 302
    # Once joined, no new link is made (it would reset their password).
    before = every_table(app)
    refused = post_form(admin, f"/clinic/staff/{person_id}/invite",
                        token_from=f"/clinic/staff/{person_id}")
    assert "has joined already" in refused.get_data(as_text=True)
    assert every_table(app) == before


def test_accepting_with_two_factor_required_goes_to_enrolment_first(app, admin):
    person_id, path = invited(app, admin, roles=("records",))
    app.config["REQUIRE_MFA"] = True  # production
    phone = app.test_client()
    response = accept(phone, path)
    assert response.status_code == 302
    home = phone.get(response.location)
    assert home.status_code == 302 and home.location.endswith("/account/two-factor")
    assert phone.get("/clinic/").location.endswith("/account/two-factor")


@pytest.mark.parametrize(("data", "field", "words"), [
    (dict(email=ADMIN), "email", "already an account"),
    (dict(email="ADA@Clinic.Example"), "email", "already an account"),
    (dict(email=""), "email", "Please give an email."),
    (dict(email="not an email"), "email", "like name@clinic.example"),
    (dict(email="x" * 250 + "@c.example"), "email", "under 254"),
    (dict(email="a\x00b@c.example"), "email", "like name@clinic.example"),
    (dict(name=""), "name", "Please give a name."),
    (dict(name="   "), "name", "Please give a name."),
    (dict(name="x" * 121), "name", "under 120"),
    (dict(name="Evil\x07Bell"), "name", "control"),
    (dict(roles=()), "roles", "at least one role"),
    (dict(roles=("superuser",)), "roles", "from the roles shown"),
    (dict(roles=("nurse", "root")), "roles", "from the roles shown"),
])
def test_inviting_refuses_bad_input_and_changes_nothing(app, admin, data, field, words):
    before = every_table(app)
    response = invite(admin, **data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert words in re.search(rf'id="{field}-error">(.*?)</p>', html, re.S).group(1)
    assert "Nobody was invited" in html
    assert every_table(app) == before


def test_the_service_refuses_what_the_form_would(app, world):
    """The rules hold below the form too (the one function every caller goes through)."""
    admin_id = world.staff(ADMIN, "Ada Admin", roles=("admin",))
    with app.test_request_context():
        by = db.session.get(User, admin_id)
        clinic = db.session.get(Clinic, world.clinic_of(admin_id))
        before = every_table(app)
        for email, name, given, field in [("", "N", ["nurse"], "email"),
                                          ("n@c.example", "", ["nurse"], "name"),
                                          ("n@c.example", "N", [], "roles"),
                                          ("n@c.example", "N", ["root"], "roles"),
                                          (ADMIN.upper(), "N", ["nurse"], "email")]:
            with pytest.raises(staff.FieldRefused) as refused:
                staff.invite(clinic, email, name, given, by, NOW, 7, app.config["SECRET_KEY"])
            assert refused.value.field == field
        db.session.rollback()
    assert every_table(app) == before


# ------------------------------------------------------------------ the staff page

def test_the_staff_page_lists_each_person_in_words(app, admin, world):
    nurse = colleague(world, "nina@clinic.example", "Nina Nurse", ("nurse",))
    world.second_factor(nurse)
    signed_in(app, "nina@clinic.example", world.second_factor(nurse))
    gone = colleague(world, "old@clinic.example", "Otto Old", ("consultant", "admin"))
    with app.app_context():
        db.session.get(User, gone).active = False
        db.session.commit()
    world.staff("else@other.example", "Elsa Elsewhere", roles=("nurse",))  # another clinic
    html = admin.get("/clinic/staff/").get_data(as_text=True)
    rows = {re.search(r">([^<]+)</a>", r).group(1): re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", r))
            for r in re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]}
    assert set(rows) == {"Ada Admin", "Nina Nurse", "Otto Old"}
    assert "Nurse Active On 15 Jun 2025 11:30" in rows["Nina Nurse"]  # London time
    assert "Consultant, Administrator Deactivated Off never" in rows["Otto Old"]
    assert "Administrator Active Off 15 Jun 2025 11:30" in rows["Ada Admin"]
    assert "Elsa" not in html


def test_the_clinic_setting_is_saved_and_audited(app, admin, world):
    assert input_value(admin.get("/clinic/staff/").get_data(as_text=True),
                       "own_patients_only") is not None
    response = post_form(admin, "/clinic/staff/setting", {"own_patients_only": "y"},
                         token_from="/clinic/staff/")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Clinic, world.clinic_id).own_patients_only is True
    [ev] = audit_rows(app, AuditEvent.action == "clinic.update")
    assert ev.object_id == str(world.clinic_id) and set(ev.before) == {"own_patients_only"}
    assert set(ev.after) == {"own_patients_only"} and ev.before != ev.after
    html = admin.get("/clinic/staff/").get_data(as_text=True)
    assert checked_values(html, "own_patients_only") == ["y"]
    # Saving the same value again changes and audits nothing; unticking turns it off.
    post_form(admin, "/clinic/staff/setting", {"own_patients_only": "y"},
              token_from="/clinic/staff/")
    assert len(audit_rows(app, AuditEvent.action == "clinic.update")) == 1
    post_form(admin, "/clinic/staff/setting", {}, token_from="/clinic/staff/")
    with app.app_context():
        assert db.session.get(Clinic, world.clinic_id).own_patients_only is False
    assert len(audit_rows(app, AuditEvent.action == "clinic.update")) == 2


# ------------------------------------------------------------------ roles

def test_a_role_change_takes_effect_on_the_next_request(app, admin, world):
    nurse = colleague(world, "nina@clinic.example", "Nina Nurse", ("nurse",))
    consultant = colleague(world, "dr@clinic.example", "Dr Test", ("consultant",))
    patient = world.patient(consultant, name="Pat Patient")
    ward = signed_in(app, "nina@clinic.example")
    block_form = f"/clinic/patients/{patient}/blocks/new"
    assert ward.get(block_form).status_code == 200

    page = admin.get(f"/clinic/staff/{nurse}").get_data(as_text=True)
    assert checked_values(page, "roles") == ["nurse"]
    response = post_form(admin, f"/clinic/staff/{nurse}/roles", {"roles": ["records"]})
    assert response.status_code == 302
    assert roles_of(app, nurse) == "records"
    assert ward.get(block_form).status_code == 403  # same sign-in, next request
    assert ward.get("/clinic/").status_code == 200  # a records officer still lists patients
    [ev] = audit_rows(app, AuditEvent.action == "staff.roles")
    assert (ev.actor_id, ev.object_id) == (world.admin_id, str(nurse))
    assert set(ev.before) == set(ev.after) == {"roles"} and ev.before != ev.after
    assert "Records officer" in admin.get(f"/clinic/staff/{nurse}").get_data(as_text=True)


@pytest.mark.parametrize(("given", "words"), [
    ([], "at least one role"),
    (["root"], "from the roles shown"),
    (["nurse", "<script>"], "from the roles shown"),
])
def test_roles_refuse_bad_input_and_change_nothing(app, admin, world, given, words):
    nurse = colleague(world, "nina@clinic.example", "Nina Nurse", ("nurse",))
    before = every_table(app)
    response = post_form(admin, f"/clinic/staff/{nurse}/roles", {"roles": given},
                         token_from=f"/clinic/staff/{nurse}")
    assert response.status_code == 200
    assert words in re.search(r'id="roles-error">(.*?)</p>', response.get_data(as_text=True),
                              re.S).group(1)
    assert every_table(app) == before


def test_the_last_active_administrator_keeps_the_role(app, admin, world):
    before = every_table(app)
    response = post_form(admin, f"/clinic/staff/{world.admin_id}/roles",
                         {"roles": ["consultant"]}, token_from=f"/clinic/staff/{world.admin_id}")
    assert "last active administrator" in response.get_data(as_text=True)
    assert every_table(app) == before
    # A deactivated administrator does not count.
    gone = colleague(world, "old@clinic.example", "Otto Old", ("admin",))
    with app.app_context():
        db.session.get(User, gone).active = False
        db.session.commit()
    before = every_table(app)
    post_form(admin, f"/clinic/staff/{world.admin_id}/roles", {"roles": ["consultant"]},
              token_from=f"/clinic/staff/{world.admin_id}")
    assert every_table(app) == before
    # With another active administrator, one may step down (and loses the pages at once).
    colleague(world, "bea@clinic.example", "Bea Boss", ("admin",))
    response = post_form(admin, f"/clinic/staff/{world.admin_id}/roles",
                         {"roles": ["consultant"]}, token_from=f"/clinic/staff/{world.admin_id}")
    assert response.status_code == 302
    assert roles_of(app, world.admin_id) == "consultant"
    assert admin.get("/clinic/staff/").status_code == 403
    assert admin.get("/clinic/").status_code == 200


# ------------------------------------------------------------------ deactivate, reactivate

def test_deactivating_ends_every_sign_in_and_api_token(app, admin, world):
    nurse = colleague(world, "nina@clinic.example", "Nina Nurse", ("nurse",))
    patient = world.patient(colleague(world, "dr@clinic.example", "Dr T", ("consultant",)))
    ward, desk = signed_in(app, "nina@clinic.example"), signed_in(app, "nina@clinic.example")
    with app.app_context():
        _, raw = access_tokens.issue(db.session.get(User, nurse), "script", "read", 30, NOW)
    bearer = {"Authorization": f"Bearer {raw}"}
    api = f"/api/v1/patients/{patient}/blocks"
    assert app.test_client().get(api, headers=bearer).status_code == 200

    confirm = admin.get(f"/clinic/staff/{nurse}/deactivate")
    assert confirm.status_code == 200 and "Deactivate Nina Nurse?" in confirm.get_data(
        as_text=True)
    assert roles_of(app, nurse) == "nurse"  # the confirm page changes nothing
    response = post_form(admin, f"/clinic/staff/{nurse}/deactivate")
    assert response.status_code == 302
    for browser in (ward, desk):
        signed_out = browser.get("/clinic/")
        assert signed_out.status_code == 302 and "/sign-in" in signed_out.location
    assert app.test_client().get(api, headers=bearer).status_code == 401
    assert "do not match" in sign_in(app.test_client(), "nina@clinic.example").get_data(
        as_text=True)
    with app.app_context():
        assert not db.session.get(User, nurse).active
        assert db.session.scalar(sa.select(sa.func.count(LoginSession.id)).where(
            LoginSession.user_id == nurse, LoginSession.ended_at.is_(None))) == 0
    [ev] = audit_rows(app, AuditEvent.action == "staff.deactivate")
    assert (ev.actor_id, ev.object_id) == (world.admin_id, str(nurse))
    assert "Deactivated" in admin.get("/clinic/staff/").get_data(as_text=True)

    response = post_form(admin, f"/clinic/staff/{nurse}/reactivate",
                         token_from=f"/clinic/staff/{nurse}")
    assert response.status_code == 302
    assert sign_in(app.test_client(), "nina@clinic.example").location.endswith("/clinic/")
    [ev] = audit_rows(app, AuditEvent.action == "staff.reactivate")
    assert (ev.actor_id, ev.object_id) == (world.admin_id, str(nurse))


def test_deactivating_an_invited_person_withdraws_the_link(app, admin):
    person_id, path = invited(app, admin)
    assert post_form(admin, f"/clinic/staff/{person_id}/deactivate").status_code == 302
    assert app.test_client().get(path).status_code == 404
    assert "the link expired or was withdrawn" in admin.get(
        "/clinic/staff/").get_data(as_text=True)
    # Not joined: there is nothing to reactivate; a new link is the way back.
    before = every_table(app)
    refused = post_form(admin, f"/clinic/staff/{person_id}/reactivate",
                        token_from=f"/clinic/staff/{person_id}")
    assert "has not joined yet" in refused.get_data(as_text=True)
    assert every_table(app) == before


def test_an_administrator_cannot_deactivate_themselves(app, admin, world):
    colleague(world, "bea@clinic.example", "Bea Boss", ("admin",))
    before = every_table(app)
    response = post_form(admin, f"/clinic/staff/{world.admin_id}/deactivate")
    assert response.status_code == 200
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert every_table(app) == before
    assert admin.get("/clinic/staff/").status_code == 200


def test_the_last_active_administrator_is_never_deactivated(app, world):
    """Below the pages (where only another administrator could try, so one is always left):
    the service itself keeps one."""
    only = world.staff(ADMIN, "Ada Admin", roles=("admin",))
    clinic = world.clinic_of(only)
    helper = world.staff("dr@clinic.example", "Dr T", roles=("consultant",), clinic=clinic)
    before = every_table(app)
    with app.test_request_context():
        m = staff.member(clinic, only, NOW)
        with pytest.raises(Refused, match="last active administrator"):
            staff.deactivate(m, db.session.get(User, helper), NOW)
        db.session.rollback()
    assert every_table(app) == before


# ------------------------------------------------------------------ a lost second factor

def test_resetting_two_factor_makes_them_enrol_again(app, admin, world):
    nurse = colleague(world, "nina@clinic.example", "Nina Nurse", ("nurse",))
    secret = world.second_factor(nurse, recovery_codes=["aaaaaa-bbbbbb"])
    ward = signed_in(app, "nina@clinic.example", secret)
    assert ward.get("/clinic/").status_code == 200

    confirm = admin.get(f"/clinic/staff/{nurse}/reset-2fa")
    assert "Reset Nina Nurse's two-factor sign-in?" in confirm.get_data(as_text=True)
    response = post_form(admin, f"/clinic/staff/{nurse}/reset-2fa")
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, nurse)
        assert (user.totp_secret, user.totp_last_step, user.mfa_enabled_at,
                user.recovery_codes) == (None, None, None, None)
        assert user.active
    assert "/sign-in" in ward.get("/clinic/").location  # signed out
    [ev] = audit_rows(app, AuditEvent.action == "staff.reset_2fa")
    assert (ev.actor_id, ev.object_id) == (world.admin_id, str(nurse))

    # Next sign-in: the password alone; in production the staff pages send them to enrol.
    app.config["REQUIRE_MFA"] = True
    again = app.test_client()
    assert sign_in(again, "nina@clinic.example").location.endswith("/clinic/")
    assert again.get("/clinic/").location.endswith("/account/two-factor")
    assert again.get("/account/two-factor").status_code == 200


def test_resetting_two_factor_is_refused_for_oneself_or_when_off(app, admin, world):
    world.second_factor(world.admin_id)
    nurse = colleague(world, "nina@clinic.example", "Nina Nurse", ("nurse",))
    before = every_table(app)
    own = post_form(admin, f"/clinic/staff/{world.admin_id}/reset-2fa")
    assert "cannot reset your own" in own.get_data(as_text=True)
    off = post_form(admin, f"/clinic/staff/{nurse}/reset-2fa")
    assert "nothing to reset" in off.get_data(as_text=True)
    assert every_table(app) == before


# ------------------------------------------------------------------ who may

def _staff_routes(app):
    """Every staff-page route, as (method, url) for the staff member `person`."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff."):
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield rule, method


def _token(browser) -> str:
    """A CSRF token of this browser's session, from a page it may open."""
    for page in ("/account/two-factor", "/diary/", "/sign-in"):
        response = browser.get(page)
        if response.status_code == 200:
            return input_value(response.get_data(as_text=True), "csrf_token")
    raise AssertionError("no page with a CSRF token")


def _call(app, browser, token, rule, method, person):
    with app.test_request_context():
        url = app.url_for(rule.endpoint, **({"user_id": person} if "user_id" in rule.arguments
                                            else {}))
    if method == "GET":
        return browser.get(url)
    return browser.post(url, data={"csrf_token": token, "roles": ["nurse"],
                                   "email": "x@clinic.example", "name": "X"})


def test_only_administrators_reach_the_staff_pages(app, world):
    admin_id = world.staff(ADMIN, "Ada Admin", roles=("admin",))
    clinic = world.clinic_of(admin_id)
    everyone_else = ("consultant", "nurse", "records")
    for role in everyone_else:
        world.staff(f"{role}@clinic.example", role, roles=(role,), clinic=clinic)
    # A person holding every role but administrator is still not one.
    world.staff("all@clinic.example", "All", roles=everyone_else, clinic=clinic)
    consultant = user_id(app, "consultant@clinic.example")
    world.patient(consultant, email="pat@home.example")
    callers = {email: signed_in(app, email) for email in
               [f"{r}@clinic.example" for r in everyone_else] + ["all@clinic.example",
                                                                 "pat@home.example"]}
    callers["nobody"] = app.test_client()
    tokens = {who: _token(browser) for who, browser in callers.items()}
    routes = list(_staff_routes(app))
    assert len(routes) >= 12
    before = every_table(app)
    for who, browser in callers.items():
        for rule, method in routes:
            response = _call(app, browser, tokens[who], rule, method, consultant)
            if who == "nobody":
                assert response.status_code == 302, (rule.rule, method)
                assert "/sign-in" in response.location
            elif who == "pat@home.example":
                assert response.status_code == 404, (rule.rule, method)
            else:
                assert response.status_code == 403, (who, rule.rule, method)
    assert every_table(app) == before


def test_another_clinic_s_staff_is_not_found(app, admin, world):
    stranger = world.staff("else@other.example", "Elsa Elsewhere", roles=("nurse", "admin"))
    world.second_factor(stranger)
    patient_user = world.patient(world.staff("dr@clinic.example", "Dr T",
                                             roles=("consultant",), clinic=world.clinic_id),
                                 email="pat@home.example")
    not_staff = user_id(app, "pat@home.example")
    assert patient_user
    token = _token(admin)
    before = every_table(app)
    for rule, method in _staff_routes(app):
        if "user_id" not in rule.arguments:
            continue
        for target in (stranger, not_staff, 999_999):
            response = _call(app, admin, token, rule, method, target)
            assert response.status_code == 404, (rule.rule, method, target)
    assert every_table(app) == before


def test_every_staff_form_needs_its_csrf_token(app, admin, world):
    nurse = colleague(world, "nina@clinic.example", "Nina Nurse", ("nurse",))
    world.second_factor(nurse)
    before = every_table(app)
    for rule, method in _staff_routes(app):
        if method != "POST":
            continue
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **({"user_id": nurse} if "user_id" in
                                                rule.arguments else {}))
        for token in (None, "forged"):
            data = {"roles": ["records"], "email": "x@c.example", "name": "X",
                    "own_patients_only": "y"}
            if token:
                data["csrf_token"] = token
            assert admin.post(url, data=data).status_code == 400, (rule.rule, token)
    assert every_table(app) == before


def test_every_staff_action_is_audited(app, admin, world):
    """One audit event per action, by the administrator, naming the person."""
    person_id, path = invited(app, admin)
    accept(app.test_client(), path)
    world.second_factor(person_id)
    post_form(admin, f"/clinic/staff/{person_id}/roles", {"roles": ["nurse", "records"]})
    post_form(admin, f"/clinic/staff/{person_id}/reset-2fa")
    post_form(admin, f"/clinic/staff/{person_id}/deactivate")
    post_form(admin, f"/clinic/staff/{person_id}/reactivate", token_from="/clinic/staff/")
    post_form(admin, "/clinic/staff/setting", {"own_patients_only": "y"})
    done = [(ev.action, ev.actor_id, ev.object_id) for ev in audit_rows(
        app, AuditEvent.action.like("staff.%") | (AuditEvent.action == "clinic.update"))]
    me, them = world.admin_id, str(person_id)
    assert done == [("staff.invite", me, them), ("staff.roles", me, them),
                    ("staff.reset_2fa", me, them), ("staff.deactivate", me, them),
                    ("staff.reactivate", me, them),
                    ("clinic.update", me, str(world.clinic_id))]


def test_an_expired_invite_is_shown_as_such_and_can_be_renewed(app, admin, clock):
    person_id, path = invited(app, admin)
    clock.now = NOW + timedelta(days=8)
    assert app.test_client().get(path).status_code == 404
    sign_in(admin, ADMIN)  # a staff sign-in lasts 12 hours at most
    html = admin.get(f"/clinic/staff/{person_id}/invite").get_data(as_text=True)
    assert "expired or was withdrawn" in html and "<code>" not in html
    assert post_form(admin, f"/clinic/staff/{person_id}/invite").status_code == 302
    assert accept(app.test_client(), invite_path(admin, person_id)).status_code == 302
