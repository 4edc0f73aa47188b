"""Patient management: changing a patient's details, discharging and reopening the diary,
handing the patient over to another consultant, and the new-patient flow (the consultant
chosen, the invite shown at once, a first page without empty charts)."""

import html as htmllib
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Clinic, Entry, Invite, Patient, PatientSummary, User
from diary.services.audit import changes
from diary.services.patients import CLOSED
from tests.conftest import csrf_token, input_value, post_form, sign_in
from tests.web.device_helpers import entry_body, mint_token, send
from tests.web.helpers import NOW, add_entry, audit_rows, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

DETAILS = {"display_name": "Grace Hopper", "record_number": "MRN-1", "treated_side": "left",
           "condition": "crps", "temp_unit": "C", "timezone": "Europe/London"}
SEEN_AT = datetime(2025, 6, 14, 8, 0, tzinfo=UTC)  # 09:00 in London, 04:00 in New York


@pytest.fixture
def team(app, world):
    """One clinic: two consultants, a nurse, a records officer and a joined patient of the
    first consultant with one entry; and a consultant of another clinic."""
    t = SimpleNamespace()
    t.dr = world.clinician("dr@clinic.example", "Dr Ada")
    t.clinic = world.clinic_of(t.dr)
    t.other_dr = world.clinician("bee@clinic.example", "Dr Bee", clinic=t.clinic)
    t.nurse = world.staff("nurse@clinic.example", "Nora Nurse", ("nurse",), clinic=t.clinic)
    t.records = world.staff("records@clinic.example", "Rita Records", ("records",),
                            clinic=t.clinic)
    t.stranger = world.clinician("far@away.example", "Dr Far")
    t.patient = world.patient(t.dr, name="Grace Hopper", email="grace@home.example",
                              record="MRN-1")
    t.other = world.patient(t.dr, name="Alan Turing", record="MRN-2")
    t.entry = add_entry(app, t.patient, SEEN_AT, pain=6)
    return t


def client_of(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def patient_row(app, patient_id) -> Patient:
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        db.session.expunge(patient)
        return patient


def error_of(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
    assert found, f"no message for {field}"
    return htmllib.unescape(found.group(1))


def listed_names(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return re.findall(r'<a href="/clinic/patients/\d+">([^<]+)</a>', body.group(1)) if body else []


# --- changing the details ------------------------------------------------------------------

def edit_url(t):
    return f"/clinic/patients/{t.patient}/edit"


def test_the_edit_form_shows_the_details_and_says_a_zone_change_moves_no_reading(app, team):
    html = page(client_of(app, "dr@clinic.example"), edit_url(team))
    assert input_value(html, "display_name") == "Grace Hopper"
    assert input_value(html, "record_number") == "MRN-1"
    assert "Changing it moves no reading" in html


def test_edit_saves_the_changes_audits_only_those_and_marks_the_line_stale(app, team):
    dr = client_of(app, "dr@clinic.example")
    page(dr, "/clinic/")  # the list line is computed
    new = {**DETAILS, "display_name": "Grace B. Hopper", "record_number": "MRN-9",
           "temp_unit": "F"}
    response = post_form(dr, edit_url(team), new)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clinic/patients/{team.patient}"
    assert "The patient&#39;s details are saved." in page(dr, response.headers["Location"])
    saved = patient_row(app, team.patient)
    assert (saved.display_name, saved.record_number, saved.temp_unit) == (
        "Grace B. Hopper", "MRN-9", "F")
    assert (saved.treated_side, saved.condition, saved.timezone) == (
        "left", "crps", "Europe/London")
    [ev] = audit_rows(app, AuditEvent.action == "patient.update")
    assert ev.patient_id == team.patient and ev.actor_id == team.dr
    with app.app_context():
        before, after = changes(
            {"display_name": "Grace Hopper", "record_number": "MRN-1", "temp_unit": "C"},
            {"display_name": "Grace B. Hopper", "record_number": "MRN-9", "temp_unit": "F"})
        assert db.session.scalar(sa.select(PatientSummary.valid_until).where(
            PatientSummary.patient_id == team.patient)) is None
    assert (ev.before, ev.after) == (before, after)
    assert set(ev.after) == {"display_name", "record_number", "temp_unit"}
    assert "Grace" not in str(ev.after)  # digests only
    # The list and its search follow the new name and record number at once.
    assert listed_names(page(dr, "/clinic/?q=mrn-9")) == ["Grace B. Hopper"]


def test_a_time_zone_change_keeps_every_stored_time(app, team):
    dr = client_of(app, "dr@clinic.example")
    assert "14 Jun 2025 09:00" in page(dr, f"/clinic/patients/{team.patient}")
    response = post_form(dr, edit_url(team), {**DETAILS, "timezone": "America/New_York"})
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.get(Entry, team.entry)
        assert entry.observed_at == SEEN_AT and entry.utc_offset_min == 0
        assert db.session.get(Patient, team.patient).timezone == "America/New_York"
    html = page(dr, f"/clinic/patients/{team.patient}")
    assert "14 Jun 2025 04:00" in html and "14 Jun 2025 09:00" not in html
    [ev] = audit_rows(app, AuditEvent.action == "patient.update")
    with app.app_context():
        assert (ev.before, ev.after) == changes({"timezone": "Europe/London"},
                                                {"timezone": "America/New_York"})


def test_an_unchanged_form_writes_nothing(app, team):
    dr = client_of(app, "dr@clinic.example")
    token = csrf_token(dr, edit_url(team))
    before = every_table(app)
    response = dr.post(edit_url(team), data={**DETAILS, "csrf_token": token})
    assert response.status_code == 302
    assert every_table(app) == before
    assert "Nothing was changed." in page(dr, response.headers["Location"])


def test_a_record_number_taken_in_the_clinic_is_refused_and_nothing_changes(app, team, world):
    dr = client_of(app, "dr@clinic.example")
    token = csrf_token(dr, edit_url(team))
    before = every_table(app)
    response = dr.post(edit_url(team), data={**DETAILS, "display_name": "New Name",
                                             "record_number": "MRN-2", "csrf_token": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_of(html, "record_number") == (
        "Another patient of the clinic already has this record number.")
    assert input_value(html, "display_name") == "New Name"  # what was typed is kept
    assert every_table(app) == before
    # Another clinic's patient may have the same number.
    world.patient(team.stranger, name="Far Patient", record="MRN-7")
    assert post_form(dr, edit_url(team), {**DETAILS, "record_number": "MRN-7"}).status_code == 302


@pytest.mark.parametrize(("field", "value", "words"), [
    ("display_name", "", "Please give the patient's name."),
    ("display_name", "x" * 121, "120"),
    ("display_name", "Bad\x00Name", "control"),
    ("display_name", "<script>alert(1)</script>\x07", "control"),
    ("record_number", "'; DROP TABLE patient;--", "letters, numbers"),
    ("record_number", "x" * 41, "40"),
    ("treated_side", "middle", "Please choose one of the answers shown."),
    ("condition", "flu" * 1000, "Please choose one of the answers shown."),
    ("temp_unit", "K", "Please choose one of the answers shown."),
    ("timezone", "Mars/Olympus_Mons", "Please choose a time zone from the list."),
    ("timezone", "../../etc/localtime", "Please choose a time zone from the list."),
])
def test_bad_details_are_refused_beside_the_field_and_change_nothing(app, team, field, value,
                                                                      words):
    dr = client_of(app, "dr@clinic.example")
    token = csrf_token(dr, edit_url(team))
    before = every_table(app)
    response = dr.post(edit_url(team), data={**DETAILS, "display_name": "Changed",
                                             field: value, "csrf_token": token})
    assert response.status_code == 200
    assert words in error_of(response.get_data(as_text=True), field)
    assert every_table(app) == before


def test_hostile_text_in_a_name_is_shown_as_text(app, team):
    dr = client_of(app, "dr@clinic.example")
    hostile = '<img src=x onerror="alert(1)">'
    assert post_form(dr, edit_url(team), {**DETAILS, "display_name": hostile}).status_code == 302
    html = page(dr, f"/clinic/patients/{team.patient}")
    assert hostile not in html and "&lt;img src=x" in html


# --- discharge and reopen ------------------------------------------------------------------

def discharge(client, t):
    return post_form(client, f"/clinic/patients/{t.patient}/discharge")


def test_discharge_closes_the_diary_keeps_the_patient_findable_and_is_audited(app, team):
    dr = client_of(app, "dr@clinic.example")
    assert "Yes, discharge" in page(dr, f"/clinic/patients/{team.patient}/discharge")
    response = discharge(dr, team)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clinic/patients/{team.patient}"
    assert patient_row(app, team.patient).archived_at == NOW
    [ev] = audit_rows(app, AuditEvent.action == "patient.discharge")
    assert ev.patient_id == team.patient and ev.actor_id == team.dr

    html = page(dr, f"/clinic/patients/{team.patient}")
    assert "Discharged on 15 Jun 2025." in html and "Reopen the diary" in html
    assert ">Discharge</a>" not in html
    # Off the working list, and not found by its search...
    assert listed_names(page(dr, "/clinic/")) == ["Alan Turing"]
    assert listed_names(page(dr, "/clinic/?q=grace")) == []
    assert "Discharged patients (1)" in page(dr, "/clinic/")
    # ...but listed and searchable among the discharged.
    shown = page(dr, "/clinic/?show=discharged")
    assert listed_names(shown) == ["Grace Hopper"] and "15 Jun 2025" in shown
    assert listed_names(page(dr, "/clinic/?show=discharged&q=MRN-1")) == ["Grace Hopper"]
    assert listed_names(page(dr, "/clinic/?show=discharged&q=alan")) == []
    # Its data is all still there.
    with app.app_context():
        assert db.session.get(Entry, team.entry).deleted_at is None


def test_discharge_stops_an_unused_invite(app, team):
    dr = client_of(app, "dr@clinic.example")
    post_form(dr, f"/clinic/patients/{team.other}/invite",
              token_from=f"/clinic/patients/{team.other}")
    path = re.search(r"http://localhost(/invite/[\w-]+)",
                     page(dr, f"/clinic/patients/{team.other}/invite")).group(1)
    assert post_form(dr, f"/clinic/patients/{team.other}/discharge").status_code == 302
    assert app.test_client().get(path).status_code == 404
    assert "the patient is discharged" in page(dr, f"/clinic/patients/{team.other}/invite")


def test_the_patient_sees_the_closed_diary_and_can_add_or_change_nothing(app, team):
    phone = client_of(app, "grace@home.example")
    device_token = mint_token(phone)
    form = page(phone, "/diary/")
    new_entry = {"client_id": input_value(form, "client_id"), "pain": "3", "temp_unit": "C",
                 "observed_at": input_value(form, "observed_at")}
    assert discharge(client_of(app, "dr@clinic.example"), team).status_code == 302

    html = page(phone, "/diary/")
    assert CLOSED in htmllib.unescape(html)
    assert 'name="pain"' not in html and 'class="entry"' not in html
    token = csrf_token(phone, "/diary/account")
    before = every_table(app)
    refused = [
        phone.post("/diary/", data={**new_entry, "csrf_token": token}),
        phone.post(f"/diary/entries/{team.entry}/edit",
                   data={**new_entry, "pain": "1", "csrf_token": token}),
        phone.post(f"/diary/entries/{team.entry}/delete", data={"csrf_token": token}),
    ]
    for response in refused:
        assert response.status_code == 403
        assert CLOSED in htmllib.unescape(response.get_data(as_text=True))
    # The phone's outbox sends with its device token: refused too, as closed (410, with the
    # words the phone shows), not as a sign-in to make again (401).
    api = send(app.test_client(), device_token, entry_body())
    assert api.status_code == 410 and api.mimetype == "application/problem+json"
    assert api.get_json()["detail"] == CLOSED
    assert every_table(app) == before
    # The history stays readable.
    history = page(phone, "/diary/history")
    assert history.count("entry-card") == 1 and "Your diary with the clinic is closed" in history
    assert "/edit" not in history and "/delete" not in history and "Add a new entry" not in history


def test_reopen_brings_the_diary_and_the_list_line_back(app, team):
    dr = client_of(app, "dr@clinic.example")
    discharge(dr, team)
    response = post_form(dr, f"/clinic/patients/{team.patient}/reopen",
                         token_from=f"/clinic/patients/{team.patient}")
    assert response.status_code == 302
    assert patient_row(app, team.patient).archived_at is None
    [ev] = audit_rows(app, AuditEvent.action == "patient.reopen")
    assert ev.patient_id == team.patient and ev.actor_id == team.dr
    assert "open again" in page(dr, response.headers["Location"])
    assert sorted(listed_names(page(dr, "/clinic/"))) == ["Alan Turing", "Grace Hopper"]
    assert listed_names(page(dr, "/clinic/?show=discharged")) == []
    # The patient can write again.
    phone = client_of(app, "grace@home.example")
    form = page(phone, "/diary/")
    saved = phone.post("/diary/", data={
        "client_id": input_value(form, "client_id"), "pain": "3", "temp_unit": "C",
        "observed_at": input_value(form, "observed_at"),
        "csrf_token": input_value(form, "csrf_token")})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == 2


def test_discharging_twice_or_reopening_an_open_diary_writes_nothing(app, team):
    dr = client_of(app, "dr@clinic.example")
    discharge(dr, team)
    token = csrf_token(dr, f"/clinic/patients/{team.patient}/discharge")
    before = every_table(app)
    again = dr.post(f"/clinic/patients/{team.patient}/discharge", data={"csrf_token": token})
    assert again.status_code == 302
    assert every_table(app) == before
    assert "was already discharged" in page(dr, again.headers["Location"])
    open_one = dr.post(f"/clinic/patients/{team.other}/reopen", data={"csrf_token": token})
    assert open_one.status_code == 302
    assert len(audit_rows(app, AuditEvent.action == "patient.reopen")) == 0


# --- hand over -----------------------------------------------------------------------------

def handover_url(t):
    return f"/clinic/patients/{t.patient}/handover"


def test_hand_over_to_another_consultant(app, team):
    dr = client_of(app, "dr@clinic.example")
    page(dr, "/clinic/")
    form = page(dr, handover_url(team))
    offered = re.findall(r'<option[^>]*value="(\d*)"[^>]*>([^<]+)</option>', form)
    assert offered == [("", "Choose the consultant"), (str(team.other_dr), "Dr Bee")]
    response = post_form(dr, handover_url(team), {"consultant": str(team.other_dr)})
    assert response.status_code == 302
    assert "now in the care of Dr Bee" in page(dr, response.headers["Location"])
    assert patient_row(app, team.patient).clinician_id == team.other_dr
    [ev] = audit_rows(app, AuditEvent.action == "patient.handover")
    assert ev.patient_id == team.patient and ev.actor_id == team.dr
    with app.app_context():
        assert (ev.before, ev.after) == changes({"consultant": team.dr},
                                                {"consultant": team.other_dr})
        assert db.session.scalar(sa.select(PatientSummary.valid_until).where(
            PatientSummary.patient_id == team.patient)) is None
    assert "consultant Dr Bee" in page(dr, f"/clinic/patients/{team.patient}")


@pytest.mark.parametrize(("who", "words"), [
    ("dr", "already responsible"),
    ("nurse", "Please choose one of the clinic's consultants."),
    ("records", "Please choose one of the clinic's consultants."),
    ("stranger", "Please choose one of the clinic's consultants."),
    ("inactive", "Please choose one of the clinic's consultants."),
    ("", "Please choose the consultant to hand the patient over to."),
    ("abc", "Please choose one of the clinic's consultants."),
    ("9" * 5000, "Please choose one of the clinic's consultants."),
    ("-1", "Please choose one of the clinic's consultants."),
])
def test_hand_over_refuses_anyone_but_another_active_consultant(app, team, who, words):
    if who == "inactive":
        with app.app_context():
            db.session.get(User, team.other_dr).active = False
            db.session.commit()
        who = "other_dr"
    value = str(getattr(team, who)) if hasattr(team, who) else who
    dr = client_of(app, "dr@clinic.example")
    token = csrf_token(dr, handover_url(team))
    before = every_table(app)
    response = dr.post(handover_url(team), data={"consultant": value, "csrf_token": token})
    assert response.status_code == 200
    assert words in error_of(response.get_data(as_text=True), "consultant")
    assert every_table(app) == before


def test_in_an_own_patients_only_clinic_the_list_is_where_a_handover_ends(app, team):
    with app.app_context():
        db.session.get(Clinic, team.clinic).own_patients_only = True
        db.session.commit()
    dr = client_of(app, "dr@clinic.example")
    response = post_form(dr, handover_url(team), {"consultant": str(team.other_dr)})
    assert response.status_code == 302 and response.headers["Location"] == "/clinic/"
    html = page(dr, "/clinic/")
    assert "now in the care of Dr Bee" in html and "Grace Hopper" not in listed_names(html)
    assert dr.get(f"/clinic/patients/{team.patient}").status_code == 404
    bee = client_of(app, "bee@clinic.example")
    assert "Grace Hopper" in listed_names(page(bee, "/clinic/"))


def test_a_clinic_with_no_other_consultant_says_so(app, world):
    dr = world.clinician("solo@clinic.example", "Dr Solo")
    patient = world.patient(dr, name="Only One")
    html = page(client_of(app, "solo@clinic.example"), f"/clinic/patients/{patient}/handover")
    assert "no other consultant" in html and 'name="consultant"' not in html


# --- who may do what -----------------------------------------------------------------------

def test_a_nurse_may_edit_but_not_discharge_reopen_or_hand_over(app, team):
    nurse = client_of(app, "nurse@clinic.example")
    html = page(nurse, f"/clinic/patients/{team.patient}")
    assert "Edit details" in html
    assert "Hand over" not in html and ">Discharge<" not in html
    assert post_form(nurse, edit_url(team), {**DETAILS, "display_name": "By Nurse"}
                     ).status_code == 302
    assert patient_row(app, team.patient).display_name == "By Nurse"
    token = csrf_token(nurse, edit_url(team))
    before = every_table(app)
    for url in (f"/clinic/patients/{team.patient}/discharge", handover_url(team),
                f"/clinic/patients/{team.patient}/reopen"):
        if not url.endswith("reopen"):
            assert nurse.get(url).status_code == 403
        response = nurse.post(url, data={"consultant": str(team.other_dr),
                                         "csrf_token": token})
        assert response.status_code == 403, url
    assert every_table(app) == before


def test_a_records_officer_sees_no_change_buttons_and_cannot_edit(app, team):
    records = client_of(app, "records@clinic.example")
    html = page(records, f"/clinic/patients/{team.patient}")
    for button in ("Edit details", "Hand over", ">Discharge<", "Issue a new invite",
                   "Create invite", "Disconnect the patient"):
        assert button not in html, button
    assert "Add a patient" not in page(records, "/clinic/")
    token = csrf_token(records, "/clinic/")
    before = every_table(app)
    assert records.get(edit_url(team)).status_code == 403
    assert records.post(edit_url(team), data={**DETAILS, "display_name": "X",
                                              "csrf_token": token}).status_code == 403
    assert records.post(f"/clinic/patients/{team.patient}/discharge",
                        data={"csrf_token": token}).status_code == 403
    assert every_table(app) == before


def test_a_consultant_sees_every_action(app, team):
    html = page(client_of(app, "dr@clinic.example"), f"/clinic/patients/{team.other}")
    for button in ("Edit details", "Hand over", ">Discharge<", "Create invite"):
        assert button in html, button


@pytest.mark.parametrize("url", ["/edit", "/discharge", "/handover", "/reopen"])
def test_another_clinic_s_consultant_finds_nothing(app, team, url):
    far = client_of(app, "far@away.example")
    token = csrf_token(far, "/clinic/")
    before = every_table(app)
    full = f"/clinic/patients/{team.patient}{url}"
    if url != "/reopen":
        assert far.get(full).status_code == 404
    assert far.post(full, data={**DETAILS, "consultant": str(team.stranger),
                                "csrf_token": token}).status_code == 404
    assert every_table(app) == before


# --- the new-patient flow ------------------------------------------------------------------

def test_the_new_patient_form_offers_the_clinic_s_consultants(app, team):
    html = page(client_of(app, "dr@clinic.example"), "/clinic/patients/new")
    options = dict((v, t) for v, t in re.findall(
        r'<option(?: selected)? value="(\d*)"(?: selected)?>([^<]+)</option>', html))
    assert options == {str(team.dr): "Dr Ada", str(team.other_dr): "Dr Bee"}
    assert re.search(rf'<option selected value="{team.dr}">|<option value="{team.dr}" selected>',
                     html)  # the signer, a consultant, by default


def test_a_consultant_may_give_the_new_patient_to_a_colleague(app, team):
    dr = client_of(app, "dr@clinic.example")
    response = post_form(dr, "/clinic/patients/new",
                         {**DETAILS, "record_number": "N-1", "consultant": str(team.other_dr)})
    assert response.status_code == 302
    with app.app_context():
        added = db.session.scalar(sa.select(Patient).where(Patient.record_number == "N-1"))
        assert added.clinician_id == team.other_dr


def test_a_nurse_must_choose_the_consultant(app, team):
    nurse = client_of(app, "nurse@clinic.example")
    html = page(nurse, "/clinic/patients/new")
    assert re.search(r'<option (selected )?value="">Choose the consultant</option>', html)
    token = input_value(html, "csrf_token")
    before = every_table(app)
    for value in (None, "", str(team.nurse), str(team.stranger), "x" * 500):
        data = {**DETAILS, "record_number": "N-2", "csrf_token": token}
        if value is not None:
            data["consultant"] = value
        response = nurse.post("/clinic/patients/new", data=data)
        assert response.status_code == 200, value
        message = error_of(response.get_data(as_text=True), "consultant")
        assert message in ("Please choose the patient's consultant.",
                           "Please choose one of the clinic's consultants."), value
    assert every_table(app) == before
    response = nurse.post("/clinic/patients/new", data={
        **DETAILS, "record_number": "N-2", "consultant": str(team.dr), "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        added = db.session.scalar(sa.select(Patient).where(Patient.record_number == "N-2"))
        assert added.clinician_id == team.dr
    [ev] = audit_rows(app, AuditEvent.action == "patient.create")
    assert ev.actor_id == team.nurse


def test_the_invite_is_shown_right_after_adding_and_again_on_a_reload(app, team):
    dr = client_of(app, "dr@clinic.example")
    response = post_form(dr, "/clinic/patients/new", {**DETAILS, "record_number": "N-3",
                                                      "display_name": "Nina Newcomer"})
    assert response.status_code == 302
    with app.app_context():
        added = db.session.scalar(sa.select(Patient).where(Patient.record_number == "N-3"))
        [invite] = db.session.scalars(sa.select(Invite).where(Invite.patient_id == added.id))
        assert invite.sealed_token and invite.expires_at > NOW
    assert response.headers["Location"] == f"/clinic/patients/{added.id}/invite"
    first = page(dr, response.headers["Location"])
    assert "Nina Newcomer is added" in first and "<svg" in first
    link = re.search(r"<code>http://localhost(/invite/[\w-]+)</code>", first).group(1)
    again = page(dr, response.headers["Location"])
    assert re.search(r"<code>http://localhost(/invite/[\w-]+)</code>", again).group(1) == link
    assert "shown only now" not in first
    # "Issue a new invite" replaces it: the old link no longer works.
    renewed = post_form(dr, response.headers["Location"])
    assert renewed.status_code == 302
    newer = re.search(r"<code>http://localhost(/invite/[\w-]+)</code>",
                      page(dr, renewed.headers["Location"])).group(1)
    assert newer != link
    phone = app.test_client()
    assert phone.get(link).status_code == 404 and phone.get(newer).status_code == 200


def test_a_new_patient_s_page_leads_with_the_invite_and_draws_no_empty_chart(app, team):
    dr = client_of(app, "dr@clinic.example")
    post_form(dr, "/clinic/patients/new", {**DETAILS, "record_number": "N-4",
                                           "display_name": "Nina Newcomer"})
    with app.app_context():
        added = db.session.scalar(sa.select(Patient.id).where(Patient.record_number == "N-4"))
    html = page(dr, f"/clinic/patients/{added}")
    access = html.index("Diary access")
    assert access < html.index("What needs attention")
    assert "Their invite is waiting" in html and "Show the invite" in html
    assert "No readings yet: charts appear after the first entry." in html
    assert "chart-plot" not in html and "plotly" not in html
    # The first entry brings the charts; a joined patient's access card moves below them.
    add_entry(app, added, datetime(2025, 6, 15, 9, 0, tzinfo=UTC))
    html = page(dr, f"/clinic/patients/{added}")
    assert "chart-plot" in html and "No readings yet" not in html
    joined = page(dr, f"/clinic/patients/{team.patient}")
    assert joined.index('id="timeline"') < joined.index("Diary access")
