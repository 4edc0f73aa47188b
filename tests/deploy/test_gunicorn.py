"""Promises of docs/security.md held by real gunicorn (two workers) behind a proxy."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp

from diary.data.db import db
from diary.data.models import Entry, LoginSession, Patient, User
from diary.services import invites
from tests.conftest import PASSWORD
from tests.deploy.conftest import _free_port, start_gunicorn


def _at_once(jobs):
    """Run the jobs together, each released by one barrier; their results in order."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _sign_in(browser, email, password=PASSWORD):
    return browser.post("/sign-in", {"email": email, "password": password})


def test_sixth_wrong_password_is_refused_whichever_worker_answers(server, tmp_path):
    """Guesses alternate between this server's workers and those of a second gunicorn on the
    same counters (another host behind the proxy): each process counts for all of them."""
    server.world.clinician(email="limits@clinic.example")
    other = server.other_host(tmp_path)
    try:
        attacker = server.browser("203.0.113.9")
        codes = []
        for n in range(6):
            attacker.port = other.port if n % 2 else server.port
            codes.append(_sign_in(attacker, "limits@clinic.example", f"guess-{n}").status)
        here = server.pids(r'"POST /sign-in"')
        there = {other.pid_of(r'"POST /sign-in"', n) for n in range(3)}
    finally:
        other.close()
    assert here and there and not here & there  # answered by different processes
    assert codes == [200] * 5 + [429]
    # The owner, at another address, is not locked out.
    owner = server.browser("198.51.100.7")
    assert _sign_in(owner, "limits@clinic.example").status == 302


def test_a_spray_from_one_address_does_not_stop_a_user_at_another(server):
    server.world.clinician(email="sprayed@clinic.example")
    sprayer = server.browser("203.0.113.66")
    codes = [_sign_in(sprayer, f"nobody{n}@clinic.example", "guess").status for n in range(51)]
    assert codes[:50] == [200] * 50 and codes[50] == 429
    user = server.browser("198.51.100.8")
    assert _sign_in(user, "sprayed@clinic.example").status == 302


def test_eight_accepts_of_one_invite_make_one_account(server):
    clinician_id = server.world.clinician(email="inviter@clinic.example")
    patient_id = server.world.patient(clinician_id, name="Invited Patient")
    with server.app.app_context():
        token = invites.issue(db.session.get(Patient, patient_id),
                              db.session.get(User, clinician_id), datetime.now(UTC), 7,
                              server.app.config["SECRET_KEY"])
    browsers = [server.browser(f"198.51.100.{20 + n}") for n in range(8)]
    tokens = [b.token(f"/invite/{token}") for b in browsers]

    def accept(n):
        return lambda: browsers[n].request("POST", f"/invite/{token}", {
            "csrf_token": tokens[n], "email": f"racer{n}@home.example",
            "password": PASSWORD, "confirm": PASSWORD})

    codes = _at_once([accept(n) for n in range(8)])
    assert sorted(r.status for r in codes) == [302] + [404] * 7
    with server.app.app_context():
        user_id = db.session.get(Patient, patient_id).user_id
    assert user_id is not None
    assert server.world.count(User, User.email.like("racer%")) == 1
    assert server.world.count(LoginSession, LoginSession.user_id == user_id) == 1


def _half_signed_in(server, email, n):
    browser = server.browser(f"192.0.2.{100 + n}")
    response = _sign_in(browser, email)
    assert response.status == 302 and response.location.endswith("/sign-in/code")
    return browser, browser.token("/sign-in/code")


def _race_one_code(server, email, code_for):
    user_id = server.world.clinician(email=email)
    secret = server.world.second_factor(user_id, recovery_codes=["abc123-def456"])
    pairs = [_half_signed_in(server, email, n) for n in range(6)]
    code = code_for(secret)
    codes = _at_once([lambda b=b, t=t: b.request("POST", "/sign-in/code",
                                                  {"csrf_token": t, "code": code})
                      for b, t in pairs])
    assert sorted(r.status for r in codes) == [200] * 5 + [302]
    assert server.world.count(LoginSession, LoginSession.user_id == user_id) == 1


def test_six_uses_of_one_totp_code_sign_in_one_session(server):
    _race_one_code(server, "totp@clinic.example", lambda secret: pyotp.TOTP(secret).now())


def test_six_uses_of_one_recovery_code_sign_in_one_session(server):
    _race_one_code(server, "recovery@clinic.example", lambda _secret: "abc123-def456")


def test_two_hundred_entries_from_twenty_patients_are_all_stored_once(server):
    clinician_id = server.world.clinician(email="busy@clinic.example")
    patients = []
    for n in range(20):
        email = f"writer{n}@home.example"
        pid = server.world.patient(clinician_id, name=f"Writer {n}", email=email,
                                   created_at=datetime.now(UTC) - timedelta(days=30))
        browser = server.browser(f"198.51.100.{100 + n}")
        assert _sign_in(browser, email).status == 302
        patients.append((pid, browser, browser.token("/diary/")))
    when = (datetime.now(ZoneInfo("Europe/London")) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    posts = []
    for _pid, browser, token in patients:
        for n in range(10):
            form = {"csrf_token": token, "client_id": str(uuid.uuid4()), "observed_at": when,
                    "pain": str(n), "temp_unit": "C"}
            # Each entry is sent twice at once, as a double tap or a resend would.
            posts += [lambda b=browser, f=form: b.request("POST", "/diary/", f)] * 2
    results = _at_once(posts[:200]) + _at_once(posts[200:])
    assert {r.status for r in results} == {302}
    ids = [pid for pid, _b, _t in patients]
    assert server.world.count(Entry, Entry.patient_id.in_(ids)) == 200
    for pid in ids:
        assert server.world.count(Entry, Entry.patient_id == pid) == 10


def test_two_workers_with_counters_in_memory_refuse_to_start(server, tmp_path):
    """Each worker would count guesses on its own: production does not start like that,
    whether the worker count comes from the environment or gunicorn's command line."""
    env = {**server.env, "DIARY_RATELIMIT_STORAGE_URI": "memory://",
           "GUNICORN_BIND": f"127.0.0.1:{_free_port()}"}
    env.pop("GUNICORN_WORKERS")
    proc = start_gunicorn(env, tmp_path / "refused.log", "--workers", "2")
    proc.wait(timeout=120)
    output = proc.output.read_text()
    assert proc.returncode != 0
    assert "DIARY_RATELIMIT_STORAGE_URI" in output


def test_the_list_and_the_diaries_at_once_keep_every_line_right(server):
    """Four looks at the clinic list (computing stale lines) while twenty patients write:
    nothing fails or waits for ever, and every stored line ends as a fresh analysis says."""
    import sqlalchemy as sa

    from diary.clinical.summary import summarise
    from diary.data import loaders
    from diary.data.clinic_settings import settings_for
    from diary.data.models import PatientSummary

    doc = server.world.clinician(email="lines@clinic.example")
    codes = [f"aaaaa{n}-bbbbbb" for n in range(4)]
    server.world.second_factor(doc, recovery_codes=codes)
    writers = []
    for n in range(20):
        email = f"liner{n}@home.example"
        pid = server.world.patient(doc, name=f"Liner {n}", email=email,
                                   created_at=datetime.now(UTC) - timedelta(days=30))
        browser = server.browser(f"198.51.100.{150 + n}")
        assert _sign_in(browser, email).status == 302
        writers.append((pid, browser, browser.token("/diary/")))
    lookers = []
    for n, code in enumerate(codes):
        browser = server.browser(f"192.0.2.{200 + n}")
        assert _sign_in(browser, "lines@clinic.example").status == 302
        assert browser.post("/sign-in/code", {"code": code}).status == 302
        lookers.append(browser)
    when = (datetime.now(ZoneInfo("Europe/London")) - timedelta(minutes=5)).strftime(
        "%Y-%m-%dT%H:%M")
    jobs = [lambda b=b: b.get("/clinic/") for b in lookers]
    jobs += [lambda b=b, t=t: b.request("POST", "/diary/", {
        "csrf_token": t, "client_id": str(uuid.uuid4()), "observed_at": when, "pain": "4",
        "temp_unit": "C"}) for _pid, b, t in writers]
    results = _at_once(jobs)
    assert [r.status for r in results] == [200] * 4 + [302] * 20
    assert lookers[0].get("/clinic/").status == 200  # whatever the burst left stale
    now = datetime.now(UTC)
    with server.app.app_context():
        for pid, _b, _t in writers:
            patient = db.session.get(Patient, pid)
            entries, blocks = loaders.load_patient_records(patient)
            fresh, _ = summarise(entries, blocks, settings_for(doc), patient.timezone, now)
            row = db.session.scalar(sa.select(PatientSummary)
                                    .where(PatientSummary.patient_id == pid))
            assert row.last_entry_at == fresh.last_entry_at is not None
            assert row.statuses == ",".join(fresh.statuses)
