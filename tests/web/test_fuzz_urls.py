"""Hostile ids, cursors and dates in URL paths and query strings: 404 or 400, never a 500,
and a GET writes nothing. Set DIARY_TEST_DATABASE_URL and the same tests run on PostgreSQL,
whose integer columns stop at 2^31 - 1 and whose text refuses NUL.

The hypothesis tests walk `app.url_map`, so a new route or converter is fuzzed without a
change here; the query parameters are the ones the views read (`request.args.get("...")`).
The table-driven tests pin down each case once measured as a 500.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import diary.web
from diary.clinical import roles
from diary.data.db import db
from diary.data.models import AuditEvent, Block, ClinicVisit
from tests.conftest import BASE_CONFIG, input_value, sign_in
from tests.web.helpers import NOW, add_entry

pytestmark = pytest.mark.usefixtures("fixed_now")

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
# Every page for both roles is ~20 requests an example: fewer examples, the same ground.
FUZZ_PAGES = settings(FUZZ, max_examples=25)
CLINICIAN, PATIENT = "dr@clinic.example", "pat@home.example"
READS = {"patient.view", "patient.summary"}  # GETs that write: audited reads, and only those
ARGUMENT = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")


@pytest.fixture
def app_config():
    # Answer an unexpected error with the 500 page, as in production, rather than raising it.
    return {"PROPAGATE_EXCEPTIONS": False}


@dataclass
class Site:
    app: object
    ids: dict          # a real value for each route argument
    clients: dict      # role -> signed-in test client
    tokens: dict       # role -> that client's CSRF token
    pages: dict | None = None  # role -> the GET rules it may open (see `visited`)

    def answer(self, role: str, method: str, path: str, query=None) -> int:
        """The status, after reading the whole body (a streamed file can fail midway)."""
        data = {"csrf_token": self.tokens[role]} if method == "POST" else None
        with self.clients[role].open(path, method=method, query_string=query,
                                     data=data) as response:
            try:
                response.get_data()
            except Exception:  # noqa: BLE001 - a body that breaks is a server error too
                return 500
            return response.status_code


@pytest.fixture
def site(app, world):
    """A clinician holding every staff role (so every clinic page is theirs to fuzz) and
    their patient, who has an entry and a block; both signed in."""
    clinician_id = world.staff(CLINICIAN, "Dr Test", tuple(roles.ROLES))
    patient_id = world.patient(clinician_id, email=PATIENT)
    entry_id = add_entry(app, patient_id, NOW - timedelta(days=1))
    with app.app_context():
        block = Block(patient_id=patient_id, performed_at=NOW - timedelta(days=2), side="left",
                      kind="diagnostic_la", recorded_by=clinician_id)
        visit = ClinicVisit(patient_id=patient_id, visited_on=(NOW - timedelta(days=3)).date(),
                            fontaine="iii", recorded_by=clinician_id)
        db.session.add_all([block, visit])
        db.session.commit()
        block_id, visit_id = block.id, visit.id
    clients, tokens = {}, {}
    for role, email, home in (("clinician", CLINICIAN, "/clinic/export"),
                              ("patient", PATIENT, "/diary/account")):
        clients[role] = app.test_client()
        assert sign_in(clients[role], email).status_code == 302
        tokens[role] = input_value(clients[role].get(home).get_data(as_text=True), "csrf_token")
        assert tokens[role]
    ids = {"patient_id": str(patient_id), "block_id": str(block_id), "entry_id": entry_id,
           "visit_id": str(visit_id), "device_id": "1", "token_id": "1",
           "user_id": str(clinician_id),
           "resource_type": "Patient", "what": "entries",
           "token": "not-a-real-invite-token", "name": "plotly.min.js",
           "filename": "css/diary.css"}
    return Site(app, ids, clients, tokens)


def snapshot(app):
    """Every row of every table but the audit trail, and the audit trail's length."""
    with app.app_context():
        tables = {t.name: db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
                  for t in db.metadata.sorted_tables if t.name != AuditEvent.__tablename__}
        last = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
        return tables, last


def assert_nothing_written(app, before):
    tables, last = before
    now_tables, _ = snapshot(app)
    assert now_tables == tables
    with app.app_context():
        new = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.id > last)))
    assert new <= READS, new


# ------------------------------------------------------------------- what the app offers

def _rules():
    app = diary.web.create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule.rule))
    return sorted(out)


RULES = _rules()
WITH_ARGS = [(m, r) for m, r in RULES if "<" in r]
GETS = [r for m, r in RULES if m == "GET"]


def converters(rule: str) -> dict[str, str]:
    """Each argument of a rule and its converter ("default" for a plain <name>)."""
    return {name: conv or "default" for conv, name in ARGUMENT.findall(rule)}


def build(rule: str, values: dict[str, str]) -> str:
    """The rule with raw text put in for its arguments (percent-encoded, NUL included)."""
    return ARGUMENT.sub(lambda m: quote(values[m.group(2)], safe=""), rule)


def query_names() -> list[str]:
    names = set()
    for path in Path(diary.web.__file__).parent.rglob("*.py"):
        names |= set(re.findall(r"request\.args\.get\(\s*[\"']([^\"']+)", path.read_text()))
    return sorted(names)


QUERY_NAMES = query_names()


def test_the_fuzzing_sees_every_route_and_parameter():
    assert ("GET", "/clinic/patients/<int:patient_id>") in RULES
    assert ("POST", "/diary/entries/<entry_id>/delete") in RULES
    assert {"int", "default"} <= {c for _, r in WITH_ARGS for c in converters(r).values()}
    assert {"before", "before_id", "sort", "dir", "q", "next"} <= set(QUERY_NAMES)


# --------------------------------------------------------------------- hostile values

# Ints that no test row has, so a POST to them can never change anything real.
BAD_INTS = ["0", "00", "2147483647", "2147483648", "4294967296", "9223372036854775807",
            "9223372036854775808", "18446744073709551616", "9" * 40, "1" + "0" * 5000]
INT_LIKE = ["-1", "-2147483649", "١٢", "１", "1e3", "0x10", " 1", "1.0", "+1"]
TEXT = ["\x00", "a\x00b", "%00", "\u202e", "é", "💉", "a" * 3000, "..", "../..", "\r\n",
        "\x7f", "'; DROP TABLE entry;--", "<script>alert(1)</script>", "*", "%"]
UUID = "8d0c7c5e-1111-4aaa-8bbb-123456789abc"
ENTRY_IDS = [UUID + "\x00", "\x00" + UUID, UUID.upper(), UUID[:-1] + "\x00", UUID + "'"]
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)

path_value = st.one_of(st.sampled_from(BAD_INTS + INT_LIKE + TEXT + ENTRY_IDS), text,
                       st.integers(2**31 - 1, 2**80).map(str),
                       st.integers(-2**80, 0).map(str))

OFFSETS = [timezone(timedelta(hours=h)) for h in (-12, -1, 0, 1, 14)]
cursor = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59),
                      timezones=st.sampled_from(OFFSETS)).map(datetime.isoformat)
DATES = ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
         "9999-12-31T23:59:59.999999+00:00", "0001-01-01T00:00:00+00:00", "1899-12-31",
         "2201-01-01", "2025-06-14T10:00:00+01:00", "2025-06-14T10:00:00", "0000-00-00",
         "2025-02-30", "-1", "NaN", "9" * 30, str(2**31), str(2**63), str(2**64)]
query_value = st.one_of(st.sampled_from(DATES), st.sampled_from(BAD_INTS + INT_LIKE),
                        st.sampled_from(TEXT + ENTRY_IDS), cursor, text,
                        st.integers(-2**70, 2**70).map(str))
ROLES = ("clinician", "patient")


def could_be_real(value: str) -> bool:
    """An id a test row may have: a POST to it could really change something."""
    return value.isascii() and value.isdigit() and len(value) < 10 and int(value) > 0


@FUZZ
@given(value=path_value)
@example(value="9223372036854775808")
@example(value="2147483648")
@example(value="8d0c7c5e-1111-4aaa-8bbb-123456789abc\x00")
def test_hostile_path_values_never_answer_500(site, value):
    """One hostile value in every argument of every route, for each role: never a 500, and
    nothing written (a POST to a patient's, entry's or block's id finds nothing there)."""
    before = snapshot(site.app)
    for role in ROLES:
        for method, pattern in WITH_ARGS:
            if method == "POST" and could_be_real(value):
                continue
            status = site.answer(role, method, build(pattern, dict.fromkeys(
                converters(pattern), value)))
            assert status != 500, (role, method, pattern, value)
            if method == "POST" and pattern.startswith(("/clinic/", "/diary/")):
                # No such row; or "a//b" is sent on to "a/b" (308) before any view runs.
                assert status in (404, 308), (role, method, pattern, value, status)
    assert_nothing_written(site.app, before)


@pytest.fixture
def visited(site):
    """Every page opened once as it is linked: the pages each role may read, and the writes a
    page makes by design on a first visit (a sign-in's pending two-factor secret) are done
    before the fuzzing starts."""
    site.pages = {role: [] for role in ROLES}
    for rule in GETS:
        for role in ROLES:
            status = site.answer(role, "GET", build(rule, site.ids))
            assert status != 500, rule
            if status == 200:
                site.pages[role].append(rule)
    assert "/diary/history" in site.pages["patient"]
    assert "/clinic/audit" in site.pages["clinician"]
    return site


named = st.fixed_dictionaries({}, optional=dict.fromkeys(QUERY_NAMES, query_value))
extra = st.dictionaries(text.filter(bool), query_value, max_size=2)


@FUZZ_PAGES
@given(params=st.builds(lambda a, b: {**b, **a}, named, extra))
@example(params={"before": "0001-01-01T00:00:00+01:00"})
@example(params={"before": "9999-12-31T23:59:59-01:00", "before_id": "\x00"})
@example(params={"before": "9223372036854775808"})
def test_hostile_query_strings_never_answer_500(visited, params):
    """The same hostile query string on every page each role may open: never a 500, and
    nothing written but the audited reads those pages always make."""
    before = snapshot(visited.app)
    for role in ROLES:
        for rule in visited.pages[role]:
            status = visited.answer(role, "GET", build(rule, visited.ids), params)
            assert status != 500, (role, rule, params)
    assert_nothing_written(visited.app, before)


# ---------------------------------------------- every id route, every out-of-range id

def test_every_id_route_answers_404_for_ids_past_the_column(site):
    """Not there, whatever the number: the same 404 as an id that does not exist."""
    wrong = []
    for method, pattern in WITH_ARGS:
        names = converters(pattern)
        if "int" not in names.values():
            continue
        for value in BAD_INTS + INT_LIKE:
            for role in ("clinician", "patient"):
                values = {n: value if c == "int" else site.ids[n] for n, c in names.items()}
                status = site.answer(role, method, build(pattern, values))
                # A cookie never signs in to the API: 401 there, whatever the id (tests/api).
                if status != 404 and not (pattern.startswith("/api/") and status == 401):
                    wrong.append((role, method, pattern, value[:30], status))
    assert wrong == []


# ------------------------------------------------------- the cases measured as a 500

CURSOR = "2025-06-14T10:00:00+01:00"
MEASURED = [
    # ids past 2^31 (PostgreSQL's integer) and 2^63 (SQLite's) are "not there"
    ("clinician", "GET", "/clinic/patients/9223372036854775808", None, 404),
    ("clinician", "GET", "/clinic/patients/2147483648", None, 404),
    ("clinician", "GET", "/clinic/patients/18446744073709551616/summary", None, 404),
    ("clinician", "GET", "/clinic/patients/2147483648/records", None, 404),
    ("clinician", "GET", "/clinic/patients/9223372036854775808/blocks/new", None, 404),
    ("clinician", "POST", "/clinic/patients/9223372036854775808/export", None, 404),
    ("clinician", "POST", "/clinic/patients/2147483648/invite", None, 404),
    ("clinician", "GET", "/clinic/blocks/9223372036854775808/edit", None, 404),
    ("clinician", "POST", "/clinic/blocks/2147483648/delete", None, 404),
    # the audit page's cursor
    ("clinician", "GET", "/clinic/audit", {"before": "9223372036854775808"}, 400),
    ("clinician", "GET", "/clinic/audit", {"before": "2147483648"}, 400),
    ("clinician", "GET", "/clinic/audit", {"before": "\x00"}, 400),
    # the history's cursor: year 1 or 9999 with an offset, NUL in its id
    ("patient", "GET", "/diary/history", {"before": "0001-01-01T00:00:00+01:00"}, 400),
    ("patient", "GET", "/diary/history", {"before": "9999-12-31T23:59:59-01:00"}, 400),
    ("patient", "GET", "/diary/history", {"before": CURSOR, "before_id": "\x00"}, 400),
    ("patient", "GET", "/diary/history", {"before": CURSOR, "before_id": UUID + "\x00"}, 400),
    # NUL in an entry id
    ("patient", "GET", f"/diary/entries/{quote(UUID)}%00/edit", None, 404),
    ("patient", "GET", "/diary/entries/%00/delete", None, 404),
    ("patient", "POST", f"/diary/entries/%00{quote(UUID)}/delete", None, 404),
]


def test_measured_500s_are_404_or_400(site):
    """Each once a 500 (on SQLite, PostgreSQL or both); all checked, then reported together."""
    before = snapshot(site.app)
    got = [(role, method, path, params, site.answer(role, method, path, params))
           for role, method, path, params, _ in MEASURED]
    assert got == MEASURED
    assert snapshot(site.app) == before


OUT_OF_RANGE = [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"},
                {"date_from": "0001-01-01", "date_to": "9999-12-31"},
                {"date_from": "1899-12-31"}, {"date_to": "2201-01-01"}]


def test_export_dates_out_of_range_are_400_and_not_audited(site):
    client = site.clients["clinician"]
    for what in ("entries", "blocks", "block-summary"):
        for dates in OUT_OF_RANGE:
            with client.post("/clinic/export", data={"csrf_token": site.tokens["clinician"],
                                                     "what": what, **dates}) as r:
                assert r.status_code == 400, (what, dates)
                assert "between 1900 and 2200" in r.get_data(as_text=True)
    with site.app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.action.like("export%")))


def test_cursors_and_dates_in_range_still_work(site):
    client = site.clients["patient"]
    assert client.get("/diary/history", query_string={"before": CURSOR}).status_code == 200
    assert client.get("/diary/history", query_string={
        "before": "1900-01-01T00:00:00+14:00", "before_id": UUID}).status_code == 200
    clinician = site.clients["clinician"]
    assert clinician.get("/clinic/audit", query_string={"before": "2147483647"}).status_code \
        == 200
    r = clinician.post("/clinic/export", data={"csrf_token": site.tokens["clinician"],
                                               "what": "entries", "date_from": "1900-01-01",
                                               "date_to": "2200-12-31"})
    assert r.status_code == 200 and len(r.get_data().splitlines()) == 2  # header + the entry
