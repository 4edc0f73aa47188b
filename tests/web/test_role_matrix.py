"""Every role against every route (docs/security.md, "Staff roles").

A clinic K with a consultant, a nurse, a records officer and an administrator, and their
patient; a second clinic whose one member holds all four roles there; nobody. Each route
says what it needs (`NEEDS`): the test asks every person for every route and checks they get
in exactly when the role table (diary/clinical/roles.py) says so, and that a refusal changes
nothing. A route missing from `NEEDS` fails the test: a new route must say who may use it.
"""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from diary.clinical import roles
from diary.data.db import db
from diary.data.models import (
    AccessToken,
    Block,
    Clinic,
    ClinicVisit,
    DeviceToken,
    Membership,
    Patient,
)
from tests.conftest import input_value, sign_in
from tests.web.helpers import add_entry, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

CONSULTANT, NURSE, RECORDS, ADMIN = ("c@k.example", "n@k.example", "r@k.example",
                                     "a@k.example")
OTHER, PATIENT = "o@other.example", "p@home.example"
HELD = {CONSULTANT: ("consultant",), NURSE: ("nurse",), RECORDS: ("records",),
        ADMIN: ("admin",), OTHER: tuple(roles.ROLES)}
PEOPLE = (CONSULTANT, NURSE, RECORDS, ADMIN, OTHER, PATIENT, None)

# What each page needs: ("act", action) staff whose role grants it; "staff" any staff;
# "own token" the staff member whose API token it is; "staff, second factor" staff signed in
# with two-factor sign-in; "patient" a patient, their own diary.
# Routes with their own tests (sign-in, invites, tokens in a URL, static files, the API's
# bearer matrix in test_api_access.py) are listed in `ELSEWHERE`.
NEEDS = {
    "clinic.patients": ("act", "see"),
    "clinic.patient": ("act", "see"),
    "clinic.summary": ("act", "see"),
    "clinic.new_patient": ("act", "manage_patient"),
    "clinic.invite": ("act", "manage_patient"),
    "patient_admin.edit": ("act", "manage_patient"),
    "patient_admin.discharge": ("act", "discharge"),
    "patient_admin.reopen": ("act", "discharge"),
    "patient_admin.handover": ("act", "discharge"),
    "blocks.new_block": ("act", "record_block"),
    "blocks.edit_block": ("act", "record_block"),
    "blocks.delete_block": ("act", "record_block"),
    "visits.new_visit": ("act", "record_visit"),
    "visits.edit_visit": ("act", "record_visit"),
    "visits.delete_visit": ("act", "record_visit"),
    "clinic_entries.new_entry": ("act", "enter_reading"),
    "devices.clinic_revoke": ("act", "revoke_devices"),
    "decisions.decide": ("act", "decide"),
    "records.patient_records": ("act", "export"),
    "records.export_patient": ("act", "export"),
    "records.export_patient_fhir": ("act", "export"),
    "records.export_clinic": ("act", "export"),
    "records.export_clinic_fhir": ("act", "export"),
    "records.import_patient": ("act", "import"),
    "records.entries_template_csv": ("act", "import"),
    "settings.edit": ("act", "settings"),
    "settings.reset": ("act", "settings"),
    "audit_log.events": ("act", "audit"),
    "staff.listing": ("act", "staff"),
    "staff.person": ("act", "staff"),
    "staff.invite": ("act", "staff"),
    "staff.invite_link": ("act", "staff"),
    "staff.change_roles": ("act", "staff"),
    "staff.deactivate": ("act", "staff"),
    "staff.reactivate": ("act", "staff"),
    "staff.reset_2fa": ("act", "staff"),
    "staff.setting": ("act", "staff"),
    "access_tokens.listing": "staff",
    "access_tokens.create": "staff, second factor",
    "access_tokens.revoke": "own token",
    "patient.new_entry": "patient",
    "patient.history": "patient",
    "patient.progress": "patient",
    "patient.account": "patient",
    "patient.welcome": "patient",
    "patient.edit_entry": "patient",
    "patient.delete_entry": "patient",
    "devices.remove": "patient",
    "reminders.create_feed": "patient",
    "reminders.revoke_feed": "patient",
    "reminders.download": "patient",
    "reminders.subscribe": "patient",
    "reminders.unsubscribe": "patient",
}
ELSEWHERE = {
    "static", "assets.plotly", "pwa.manifest", "pwa.service_worker", "auth.index",
    "auth.sign_in", "auth.sign_out", "auth.sign_out_everywhere", "auth.accept_invite",
    "mfa.enrol", "mfa.verify", "account.change_password", "reminders.feed", "devices.mint",
}
# Objects of clinic K (and the patient's own rows) for the routes' ids.
ID_ARGS = {"patient_id": "patient", "block_id": "block", "visit_id": "visit",
           "entry_id": "entry", "device_id": "device", "token_id": "token", "user_id": "nurse"}


@pytest.fixture
def clinic(app, world):
    k = None
    ids = {}
    for email in (CONSULTANT, NURSE, RECORDS, ADMIN):
        ids[email] = world.staff(email, email.split("@")[0], HELD[email], clinic=k)
        k = k or world.clinic_of(ids[email])
    ids[OTHER] = world.staff(OTHER, "Other", HELD[OTHER])
    ids["patient"] = world.patient(ids[CONSULTANT], "Pat Zebedee", PATIENT)
    ids["nurse"] = ids[NURSE]
    when = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
    ids["entry"] = add_entry(app, ids["patient"], when, notes="an entry")
    with app.app_context():
        patient = db.session.get(Patient, ids["patient"])
        block = Block(patient_id=patient.id, performed_at=when, side="left",
                      kind="diagnostic_la", recorded_by=ids[CONSULTANT])
        visit = ClinicVisit(patient_id=patient.id, visited_on=date(2025, 6, 10),
                            fontaine="iii", recorded_by=ids[CONSULTANT])
        device = DeviceToken(user_id=patient.user_id, patient_id=patient.id,
                             token_hash="d" * 64, name="phone")
        token = AccessToken(user_id=ids[CONSULTANT], token_hash="t" * 64, name="t",
                            expires_at=datetime(2026, 1, 1, tzinfo=UTC))
        db.session.add_all([block, visit, device, token])
        db.session.commit()
        ids.update(block=block.id, visit=visit.id, device=device.id, token=token.id)
    return ids


def routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.rule.startswith("/api/") or rule.endpoint in ELSEWHERE:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def expected(who, need, rule) -> str:
    """"in", or the refusal: "sign in", "404", "403"."""
    if who is None:
        return "sign in"
    if need == "patient":
        return "in" if who == PATIENT else "404"
    if who == PATIENT:
        return "404"
    if need == "staff":
        return "in"
    if need == "staff, second factor":
        return "403"  # nobody here has two-factor sign-in on (test_api_tokens.py has)
    if need == "own token":
        return "in" if who == CONSULTANT else "404"
    _, action = need
    if not roles.grants(HELD[who], action):
        return "403"
    if who == OTHER and rule.arguments & set(ID_ARGS):
        return "404"  # another clinic's patient, block, visit or staff member
    return "in"


def url_of(app, rule, ids) -> str:
    with app.test_request_context():
        return app.url_for(rule.endpoint, **{a: ids[ID_ARGS[a]] for a in rule.arguments})


def ask(app, client, who, method, url):
    if method == "GET":
        return client.get(url)
    home = "/sign-in" if who is None else "/account/password"
    token = input_value(client.get(home).get_data(as_text=True), "csrf_token")
    return client.post(url, data={"csrf_token": token})


def signed_in(app, who):
    client = app.test_client()
    if who is not None:
        assert sign_in(client, who).status_code == 302
    return client


def check_refused(response, outcome, where):
    if outcome == "sign in":
        assert response.status_code == 302, where
        assert response.headers["Location"].startswith("/sign-in?next="), where
    else:
        assert response.status_code == int(outcome), where


def check_in(response, where):
    assert response.status_code not in (401, 403, 404, 405), where
    assert not response.headers.get("Location", "").startswith("/sign-in"), where
    assert response.status_code < 500, where


def test_every_route_says_who_may_use_it(app):
    listed = {rule.endpoint for rule, _ in routes(app)}
    assert listed - set(NEEDS) == set(), "routes with no entry in NEEDS"
    assert set(NEEDS) - listed == set(), "NEEDS names routes that do not exist"
    for need in NEEDS.values():
        if isinstance(need, tuple):
            assert need[1] in roles.ACTIONS


@pytest.mark.parametrize("who", PEOPLE, ids=lambda w: w.split("@")[0] if w else "nobody")
def test_each_person_gets_in_exactly_where_their_roles_allow(app, clinic, who):
    """Refusals (and every GET) on one database: a refusal must change nothing at all."""
    client = signed_in(app, who)
    for rule, method in routes(app):
        outcome = expected(who, NEEDS[rule.endpoint], rule)
        if outcome == "in" and method == "POST":
            continue  # a permitted POST acts: test_permitted_posts, on a fresh database
        url = url_of(app, rule, clinic)
        before = every_table(app) if outcome != "in" else None
        response = ask(app, client, who, method, url)
        where = (who, method, rule.rule, response.status_code)
        if outcome == "in":
            check_in(response, where)
        else:
            check_refused(response, outcome, where)
            assert every_table(app) == before, where


def permitted_posts():
    from diary.web import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "s" * 40, "AUDIT_KEY": "a" * 40,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    cases = []
    for rule, method in routes(app):
        if method != "POST":
            continue
        for who in PEOPLE:
            if expected(who, NEEDS[rule.endpoint], rule) == "in":
                cases.append((who, rule.endpoint))
    return cases


@pytest.mark.parametrize(("who", "endpoint"), permitted_posts(),
                         ids=lambda v: v.split("@")[0] if v and "@" in v else str(v))
def test_permitted_posts(app, clinic, who, endpoint):
    rule = next(r for r, m in routes(app) if r.endpoint == endpoint and m == "POST")
    response = ask(app, signed_in(app, who), who, "POST", url_of(app, rule, clinic))
    check_in(response, (who, rule.rule, response.status_code))


def test_own_patients_only_limits_a_consultant_not_a_nurse(app, clinic, world):
    """With the clinic set to "own patients only", a second consultant no longer reaches
    the first one's patient; the nurse and the records officer still do."""
    second = "c2@k.example"
    with app.app_context():
        k = db.session.scalar(sa.select(Membership.clinic_id)
                              .where(Membership.user_id == clinic[NURSE]))
    world.staff(second, "Second", ("consultant",), clinic=k)
    url = f"/clinic/patients/{clinic['patient']}"
    assert signed_in(app, second).get(url).status_code == 200
    with app.app_context():
        db.session.get(Clinic, k).own_patients_only = True
        db.session.commit()
    assert signed_in(app, second).get(url).status_code == 404
    assert "Zebedee" not in signed_in(app, second).get("/clinic/").get_data(as_text=True)
    assert signed_in(app, CONSULTANT).get(url).status_code == 200
    assert signed_in(app, NURSE).get(url).status_code == 200
    assert signed_in(app, RECORDS).get(url).status_code == 200


@pytest.mark.parametrize("own_only", [False, True])
def test_the_rule_reads_the_same_in_sql_and_in_templates(app, clinic, world, own_only):
    """`can(action, patient)` (what a page offers) and `patients_of(user, action)` (what a
    request reaches) give the same answer for every person, action and patient."""
    from flask_login import login_user

    from diary.data.models import User
    from diary.web.security import can, patients_of

    with app.app_context():
        k = db.session.scalar(sa.select(Membership.clinic_id)
                              .where(Membership.user_id == clinic[NURSE]))
    second = world.staff("c2@k.example", "Second", ("consultant", "records"), clinic=k)
    theirs = world.patient(second, "Theirs")
    with app.app_context():
        db.session.get(Clinic, k).own_patients_only = own_only
        db.session.commit()
    answers = set()
    for who in (CONSULTANT, NURSE, RECORDS, ADMIN, OTHER, "c2@k.example"):
        with app.test_request_context():
            user = db.session.scalar(sa.select(User).where(User.email == who))
            login_user(user)
            for action in roles.ACTIONS:
                for pid in (clinic["patient"], theirs):
                    patient = db.session.get(Patient, pid)
                    reached = db.session.scalar(sa.select(Patient.id).where(
                        Patient.id == pid, patients_of(user, action))) is not None
                    assert can(action, patient) == reached, (who, action, pid)
                    answers.add(reached)
    assert answers == {True, False}
