"""`flask diary ...`: the set-up commands a clinic scripts, and the demo clinic."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Block, ClinicVisit, Entry, Invite, Patient, User
from diary.services import demo
from tests.conftest import post_form, sign_in
from tests.web.helpers import NOW, audit_rows

pytestmark = pytest.mark.usefixtures("fixed_now")

GOOD_PASSWORD = "a good long password"


def run(runner, *args, input=None):
    return runner.invoke(args=["diary", *args], input=input)


def clinician(runner, email="boss@clinic.example", name="Dr Boss", password=GOOD_PASSWORD):
    return run(runner, "create-clinician", "--email", email, "--name", name,
               "--password", password)


def test_create_clinician_then_sign_in(runner, app, client, world):
    result = clinician(runner, email="  Boss@Clinic.Example ")
    assert result.exit_code == 0, result.output
    assert "Clinician boss@clinic.example created." in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert (user.email, user.name, user.role, user.roles) == (
            "boss@clinic.example", "Dr Boss", "staff", ("consultant",))
        assert GOOD_PASSWORD not in user.password_hash
    assert [ev.action for ev in audit_rows(app)] == ["user.create"]
    assert sign_in(client, "boss@clinic.example", GOOD_PASSWORD).headers["Location"] == "/clinic/"


def test_create_clinician_prompts_twice_for_the_password(runner, world):
    result = run(runner, "create-clinician", "--email", "p@clinic.example", "--name", "P",
                 input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD_PASSWORD not in result.output  # hidden while typed
    assert world.count(User) == 1


def test_create_clinician_refuses_two_different_passwords(runner, world):
    result = run(runner, "create-clinician", "--email", "p@clinic.example", "--name", "P",
                 input=f"{GOOD_PASSWORD}\nsomething else\n\n")
    assert result.exit_code != 0
    assert world.count(User) == 0


@pytest.mark.parametrize(("args", "words"), [
    (dict(password="short"), "at least 10 characters"),
    (dict(password="123456789"), "at least 10 characters"),
    (dict(name=""), "name"),
    (dict(name="x" * 121), "name"),
    (dict(name="Dr\x00Evil"), "name"),
    (dict(email=""), "email"),
    (dict(email="two words@clinic.example"), "email"),
    (dict(email="x" * 250 + "@c.example"), "email"),
])
def test_create_clinician_refuses_bad_input(runner, world, args, words):
    result = clinician(runner, **args)
    assert result.exit_code != 0
    assert words in result.output.lower()
    assert world.count(User) == 0


def test_create_clinician_refuses_a_duplicate(runner, world):
    assert clinician(runner).exit_code == 0
    again = clinician(runner, email="BOSS@clinic.example", name="Someone else")
    assert again.exit_code != 0 and "already exists" in again.output
    assert world.count(User) == 1


def staff_member(runner, *roles, email="nora@clinic.example", name="Nora Nurse",
                 password=GOOD_PASSWORD):
    args = ["create-staff", "--email", email, "--name", name, "--password", password]
    for role in roles:
        args += ["--role", role]
    return run(runner, *args)


def test_create_staff_with_several_roles_then_sign_in(runner, app, client, world):
    result = staff_member(runner, "records", "nurse")
    assert result.exit_code == 0, result.output
    assert "Nurse, Records officer nora@clinic.example created." in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert (user.role, user.roles, user.active) == ("staff", ("nurse", "records"), True)
        assert [m.roles for m in user.memberships] == ["nurse,records"]
    assert [ev.action for ev in audit_rows(app)] == ["user.create"]
    assert sign_in(client, "nora@clinic.example", GOOD_PASSWORD).location == "/clinic/"
    assert client.get("/clinic/").status_code == 200
    assert client.get("/clinic/staff/").status_code == 403  # not an administrator


def test_create_staff_administrator_lands_on_the_staff_page(runner, app, client, world):
    assert staff_member(runner, "admin", email="ada@clinic.example").exit_code == 0
    assert staff_member(runner, "consultant", email="dr@clinic.example").exit_code == 0
    assert sign_in(client, "ada@clinic.example", GOOD_PASSWORD).location == "/clinic/staff/"
    # Both joined the install's one clinic: the administrator sees the consultant.
    assert "dr@clinic.example" in client.get("/clinic/staff/").get_data(as_text=True)


@pytest.mark.parametrize("roles", [("superuser",), ("nurse", "root"), ("Admin",)])
def test_create_staff_refuses_an_unknown_role(runner, world, roles):
    result = staff_member(runner, *roles)
    assert result.exit_code != 0
    assert "invalid value for '--role'" in result.output.lower()
    assert world.count(User) == 0


def test_create_staff_needs_a_role(runner, world):
    result = staff_member(runner)
    assert result.exit_code != 0 and "--role" in result.output
    assert world.count(User) == 0


def test_create_staff_refuses_a_duplicate_email(runner, app, world):
    assert staff_member(runner, "nurse").exit_code == 0
    again = staff_member(runner, "admin", email="NORA@clinic.example", name="Someone else")
    assert again.exit_code != 0 and "already exists" in again.output
    assert world.count(User) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(User)).roles == ("nurse",)


def _link(output: str) -> str:
    return re.search(r"^(https?://\S+/invite/\S+)$", output, re.M).group(1)


def test_create_patient_prints_an_invite_link_that_works(runner, app, world):
    assert clinician(runner).exit_code == 0
    result = run(runner, "create-patient", "--clinician", "boss@clinic.example",
                 "--name", "Pat Script", "--record", "MRN-0042", "--side", "right",
                 "--condition", "pad_clti", "--unit", "F", "--tz", "America/New_York",
                 "--base-url", "https://diary.example.org")
    assert result.exit_code == 0, result.output
    link = _link(result.output)
    assert link.startswith("https://diary.example.org/invite/")
    with app.app_context():
        patient = db.session.scalar(sa.select(Patient))
        assert (patient.display_name, patient.record_number, patient.treated_side,
                patient.condition, patient.temp_unit, patient.timezone) == (
            "Pat Script", "MRN-0042", "right", "pad_clti", "F", "America/New_York")
        assert patient.clinician.email == "boss@clinic.example"
        invite = db.session.scalar(sa.select(Invite))
        assert invite.expires_at == NOW + timedelta(days=7)
    assert link.rsplit("/", 1)[1] not in repr(audit_rows(app))

    phone = app.test_client()
    path = "/invite/" + link.rsplit("/", 1)[1]
    page = phone.get(path)
    assert page.status_code == 200 and "Welcome, Pat Script" in page.get_data(as_text=True)
    accepted = post_form(phone, path, {"email": "pat.script", "password": GOOD_PASSWORD,
                                       "confirm": GOOD_PASSWORD})
    assert accepted.status_code == 302
    assert phone.get("/diary/").status_code == 200


def test_create_patient_defaults(runner, app, world):
    clinician(runner)
    result = run(runner, "create-patient", "--clinician", "boss@clinic.example", "--name", "P")
    assert result.exit_code == 0, result.output
    assert _link(result.output).startswith("http://localhost:5000/invite/")
    with app.app_context():
        patient = db.session.scalar(sa.select(Patient))
        assert (patient.record_number, patient.treated_side, patient.condition,
                patient.temp_unit, patient.timezone) == (None, "left", "crps", "C",
                                                         "Europe/London")


@pytest.mark.parametrize(("args", "words"), [
    (["--clinician", "nobody@clinic.example"], "no clinician"),
    (["--tz", "Mars/Olympus_Mons"], "time zone"),
    (["--tz", "localtime"], "time zone"),
    (["--side", "middle"], "middle"),
    (["--unit", "K"], "'k'"),
    (["--name", ""], "name"),
    (["--name", "x" * 121], "name"),
    (["--name", "a\x00b"], "name"),
    (["--record", "MRN<1>"], "record"),
    (["--record", "x" * 41], "record"),
])
def test_create_patient_refuses_bad_input(runner, world, args, words):
    clinician(runner)
    base = {"--clinician": "boss@clinic.example", "--name": "P"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = run(runner, "create-patient", *[x for kv in base.items() for x in kv])
    assert result.exit_code != 0
    assert words in result.output.lower()
    assert world.count(Patient) == 0 and world.count(Invite) == 0


def test_create_patient_refuses_a_patient_of_a_patient(runner, world):
    clinic = world.clinician()
    world.patient(clinic, email="pat@home.example")
    result = run(runner, "create-patient", "--clinician", "pat@home.example", "--name", "P")
    assert result.exit_code != 0 and world.count(Patient) == 1


def test_record_numbers_are_unique_in_the_clinic(runner, world):
    """Both consultants made on the command line join the install's one clinic, where a
    record number names one patient whoever is responsible for them."""
    clinician(runner)
    clinician(runner, email="other@clinic.example")
    args = ["create-patient", "--name", "P", "--record", "R-1"]
    assert run(runner, *args, "--clinician", "boss@clinic.example").exit_code == 0
    for who in ("boss@clinic.example", "other@clinic.example"):
        again = run(runner, *args, "--clinician", who)
        assert again.exit_code != 0
        assert "already has a patient with record R-1" in again.output
    assert run(runner, "create-patient", "--name", "Q", "--record", "R-2",
               "--clinician", "other@clinic.example").exit_code == 0
    assert world.count(Patient) == 2


def test_demo_seeds_a_labelled_clinic(runner, app, client, clock):
    result = run(runner, "demo")
    assert result.exit_code == 0, result.output
    assert demo.CLINICIAN_EMAIL in result.output and demo.DEMO_PASSWORD in result.output
    with app.app_context():
        patients = db.session.scalars(sa.select(Patient).order_by(Patient.id)).all()
        assert len(patients) >= 2
        for patient in patients:
            assert patient.is_demo and patient.record_number.startswith("DEMO-")
            rows = db.session.scalars(sa.select(Entry).where(Entry.patient_id == patient.id)
                                      .order_by(Entry.observed_at)).all()
            assert rows[-1].observed_at <= NOW
            assert rows[-1].observed_at - rows[0].observed_at >= timedelta(days=41)
            assert db.session.scalar(sa.select(sa.func.count(Block.id)).where(
                Block.patient_id == patient.id)) >= 2
            for column in ("temp_treated_c", "temp_other_c", "colour", "feels",
                           "walk_pain_free_min", "walk_max_min", "swelling", "sweating"):
                assert any(getattr(e, column) is not None for e in rows), column
            assert any(e.did_not_walk for e in rows) and any(e.side_effects for e in rows)
            assert any(e.notes for e in rows)
            assert all(0 <= e.pain <= 10 for e in rows)
            assert all(e.temp_treated_c is None or 15 <= e.temp_treated_c <= 40 for e in rows)
        assert {p.temp_unit for p in patients} == {"C", "F"}
    # Labelled where people see it: the clinic list and the demo patient's own pages.
    from tests.conftest import sign_in

    phone = app.test_client()
    sign_in(phone, demo.PATIENT_EMAIL, demo.DEMO_PASSWORD)
    assert 'class="demo-ribbon"' in phone.get("/diary/history").get_data(as_text=True)
    assert sign_in(client, demo.CLINICIAN_EMAIL, demo.DEMO_PASSWORD).status_code == 302
    listing = client.get("/clinic/").get_data(as_text=True)
    assert listing.count('class="tag demo">DEMO<') >= 2
    phone = app.test_client()
    assert sign_in(phone, demo.PATIENT_EMAIL, demo.DEMO_PASSWORD).status_code == 302
    assert "Pain" in phone.get("/diary/history").get_data(as_text=True)


def _demo_rows(app) -> dict:
    """What the demo wrote that the follow-up reads, in a form two runs can compare."""
    with app.app_context():
        patients = {p.id: p for p in db.session.scalars(sa.select(Patient))}
        out = {}
        for pid, p in patients.items():
            entries = db.session.scalars(sa.select(Entry).where(Entry.patient_id == pid)
                                         .order_by(Entry.observed_at)).all()
            out[p.record_number] = {
                "patient": p,
                "entries": [(e.observed_at, e.pain, e.touch_pain, e.night_rest_pain, e.wound,
                             e.pgic, e.side_effects) for e in entries],
                "blocks": [(b.kind, b.performed_at) for b in db.session.scalars(
                    sa.select(Block).where(Block.patient_id == pid)
                    .order_by(Block.performed_at))],
                "visits": [(v.visited_on, v.fontaine) for v in db.session.scalars(
                    sa.select(ClinicVisit).where(ClinicVisit.patient_id == pid)
                    .order_by(ClinicVisit.visited_on))],
            }
        return out


def test_demo_shows_the_follow_up_after_neurolysis_touch_pain_and_pgic(runner, app):
    assert run(runner, "demo").exit_code == 0
    rows = _demo_rows(app)
    limb, crps = rows["DEMO-002"], rows["DEMO-001"]  # Dennis and Margaret
    zone = ZoneInfo(limb["patient"].timezone)
    today = NOW.astimezone(zone).date()
    # A neurolysis months ago, with months of diary after it.
    [(kind, at)] = [b for b in limb["blocks"] if b[0] in ("neurolysis", "radiofrequency")]
    block_day = at.astimezone(zone).date()
    assert kind == "neurolysis" and (today - block_day).days >= 90
    after = [e for e in limb["entries"] if e[0] > at]
    assert (after[-1][0] - at).days >= 90

    def day_of(entry):
        return (entry[0].astimezone(zone).date() - block_day).days

    # Weekly rest-pain and wound answers; the wound healing, then worse in the last weeks.
    wounds = [(day_of(e), e[4]) for e in after if e[4] is not None]
    assert {d for d, _ in wounds if d > 7} == set(range(14, day_of(after[-1]) + 1, 7))
    assert {w for _, w in wounds} >= {"unchanged", "healing", "worse"}
    assert wounds[-1][1] == "worse" and (today - block_day).days - wounds[-1][0] <= 7
    assert [w for _, w in wounds if w == "healing"] and wounds.index(
        next(x for x in wounds if x[1] == "worse")) > wounds.index(
        next(x for x in wounds if x[1] == "healing"))
    nights = [e[3] for e in after if e[3] is not None]
    assert True in nights and False in nights
    assert [(day_of(e), e[5]) for e in after if e[5] is not None] == [
        (7, "much_better"), (28, "a_little_better"), (30, "much_better"), (90, "much_better")]
    assert any("groin_thigh_burning" in e[6] for e in after)
    assert {e[2] for e in limb["entries"]} >= {"mild", "marked"}
    # Three clinic visits with the Fontaine stage: IV, then III, III.
    assert [stage for _, stage in limb["visits"]] == ["iv", "iii", "iii"]
    assert all(day <= today for day, _ in limb["visits"])
    # The CRPS patient: touch pain before and after each block, PGIC a week after each.
    for _kind, at in crps["blocks"]:
        before = [e[2] for e in crps["entries"] if at - timedelta(days=7) < e[0] < at and e[2]]
        week = [e[2] for e in crps["entries"] if at < e[0] < at + timedelta(days=8) and e[2]]
        assert before and week and before.count("marked") > week.count("marked")
    assert len([e for e in crps["entries"] if e[5]]) == 2
    assert not any(e[4] or e[3] is not None for e in crps["entries"])  # not asked: no neurolysis


def test_the_demo_is_the_same_every_time(app):
    from diary.web import create_app
    from tests.conftest import BASE_CONFIG

    with app.app_context():
        demo.seed(NOW)
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with other.app_context():
        db.create_all()
        demo.seed(NOW)

    def content(rows):
        return {k: {part: v for part, v in r.items() if part != "patient"}
                for k, r in rows.items()}

    assert content(_demo_rows(app)) == content(_demo_rows(other))


def test_demo_refuses_to_run_twice(runner, world):
    assert run(runner, "demo").exit_code == 0
    users = world.count(User)
    again = run(runner, "demo")
    assert again.exit_code != 0 and "already exists" in again.output
    assert world.count(User) == users


def test_demo_if_empty_leaves_a_real_clinic_alone(runner, world):
    world.clinician()
    assert run(runner, "demo", "--if-empty").exit_code == 0
    assert world.count(User) == 1 and world.count(Patient) == 0


@pytest.mark.parametrize("args", [[], ["--if-empty"]])
def test_demo_is_never_made_where_it_is_not_allowed(runner, app, world, args):
    app.config["DEMO_ALLOWED"] = False
    result = run(runner, "demo", *args)
    assert (result.exit_code != 0) is (args == [])
    assert world.count(User) == 0 and world.count(Entry) == 0


def test_verify_audit_on_a_fresh_chain(runner, world):
    empty = run(runner, "verify-audit")
    assert empty.exit_code == 0 and "intact: 0 events" in empty.output
    clinician(runner)
    run(runner, "create-patient", "--clinician", "boss@clinic.example", "--name", "P")
    result = run(runner, "verify-audit")
    assert result.exit_code == 0, result.output
    assert f"intact: {world.count(AuditEvent)} events" in result.output


def test_verify_audit_finds_a_tampered_event(runner, app, world):
    clinician(runner)
    run(runner, "create-patient", "--clinician", "boss@clinic.example", "--name", "P")
    with app.app_context():
        # Only someone with the database's owner rights could do this; the chain shows it.
        if db.engine.dialect.name == "sqlite":
            db.session.execute(sa.text("DROP TRIGGER audit_event_no_update"))
        else:
            db.session.execute(sa.text("SET session_replication_role = replica"))
        first = db.session.scalar(sa.select(sa.func.min(AuditEvent.id)))
        db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == first)
                           .values(action="user.nothing"))
        db.session.commit()
        db.engine.dispose()
    result = run(runner, "verify-audit")
    assert result.exit_code != 0 and "broken at event" in result.output
