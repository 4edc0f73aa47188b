"""The consultant records, corrects and deletes blocks: every field, its refusals, its audit
trail, and who may touch which block."""

import html as htmllib
import json
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Block
from tests.conftest import input_value, post_form, sign_in

# A summer Sunday: London is on BST (UTC+1), so 09:00 local is 08:00 UTC.
NOW = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
SECRET_NOTE = "Patient anxious, vasovagal at 10 min 4711"

VALID = {
    "performed_at": "2025-06-14T09:00",
    "side": "left",
    "kind": "diagnostic_la",
    "level": "L3",
    "agent": "Bupivacaine 0.25%",
    "volume_ml": "10",
    "pre_pain": "7",
    "temp_unit": "C",
    "temp_treated_pre": "28.0",
    "temp_treated_10": "31.2",
    "temp_treated_30": "33.5",
    "temp_other_pre": "28.4",
    "temp_other_30": "28.6",
    "sedation": "y",
    "notes": SECRET_NOTE,
}


@pytest.fixture(autouse=True)
def fixed_clock(clock):
    clock.now = NOW


@pytest.fixture
def pid(as_clinician, world):
    return world.patient(world.clinician_id)


def post_block(client, url, **changes):
    data = {**VALID, **changes}
    return post_form(client, url, {k: v for k, v in data.items() if v is not None})


def blocks(app, *where) -> list[Block]:
    with app.app_context():
        out = list(db.session.scalars(sa.select(Block).where(*where).order_by(Block.id)))
        db.session.expunge_all()
        return out


def block_events(app) -> list[AuditEvent]:
    with app.app_context():
        out = list(db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.object_type == "block").order_by(AuditEvent.id)))
        db.session.expunge_all()
        return out


def audit_text(app) -> str:
    return json.dumps([[e.action, e.before, e.after] for e in block_events(app)])


def make_block(app, patient_id, recorded_by, **values) -> int:
    with app.app_context():
        fields = {"performed_at": datetime(2025, 6, 1, 9, tzinfo=UTC), "side": "left",
                  "kind": "diagnostic_la", "agent": "Lidocaine", "pre_pain": 6, **values}
        block = Block(patient_id=patient_id, recorded_by=recorded_by, **fields)
        db.session.add(block)
        db.session.commit()
        return block.id


def checked(page: str, name: str) -> str | None:
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and re.search(r"\bchecked\b", tag):
            return re.search(r'\bvalue="([^"]*)"', tag).group(1)
    return None


# ------------------------------------------------------------------------------ happy path

def test_new_block_page_defaults_to_now_the_treated_side_and_the_patient_unit(app, as_clinician,
                                                                             world):
    pid = world.patient(world.clinician_id, unit="F", tz="Pacific/Auckland")
    page = as_clinician.get(f"/clinic/patients/{pid}/blocks/new").get_data(as_text=True)
    assert input_value(page, "performed_at") == "2025-06-15T22:30"  # NZST, UTC+12
    assert checked(page, "side") == "left"
    assert checked(page, "temp_unit") == "F"
    # All twelve clinic temperatures are on the page, each with an accessible name.
    for foot in ("treated", "other"):
        for suffix in ("pre", "5", "10", "15", "20", "30"):
            assert input_value(page, f"temp_{foot}_{suffix}") == ""
    assert 'aria-label="Treated foot, 5 min after"' in page
    assert "<script" not in page  # works without JavaScript


def test_create_stores_every_field_in_celsius_and_utc_and_audits_it(app, as_clinician, world,
                                                                     pid):
    r = post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new", long_acting="y",
                   somatic_spread="y", confirmed_other_means="y", temp_treated_5="29.5",
                   temp_treated_15="32.0", temp_treated_20="33.1", temp_other_5="28.5",
                   temp_other_10="28.5", temp_other_15="28.7", temp_other_20="28.6")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/clinic/patients/{pid}#blocks")
    [b] = blocks(app)
    assert b.patient_id == pid and b.recorded_by == world.clinician_id
    assert b.performed_at == datetime(2025, 6, 14, 8, 0, tzinfo=UTC)
    assert b.utc_offset_min == 60
    assert (b.side, b.kind, b.level, b.agent) == ("left", "diagnostic_la", "L3",
                                                  "Bupivacaine 0.25%")
    assert b.volume_ml == 10.0 and b.pre_pain == 7
    assert b.clinic_temps("treated") == {0: 28.0, 5: 29.5, 10: 31.2, 15: 32.0, 20: 33.1,
                                         30: 33.5}
    assert b.clinic_temps("other") == {0: 28.4, 5: 28.5, 10: 28.5, 15: 28.7, 20: 28.6,
                                       30: 28.6}
    assert b.long_acting and b.somatic_spread and b.sedation and b.confirmed_other_means
    assert b.notes == SECRET_NOTE and b.deleted_at is None

    [ev] = block_events(app)
    assert (ev.action, ev.object_id, ev.patient_id, ev.actor_id) == (
        "block.create", str(b.id), pid, world.clinician_id)
    assert {"notes", "performed_at", "temp_treated_pre_c", "pre_pain"} <= set(ev.after)
    assert SECRET_NOTE not in audit_text(app) and "4711" not in audit_text(app)

    page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    assert "Diagnostic local anaesthetic" in page and "14 Jun 2025 09:00" in page
    assert f"/clinic/blocks/{b.id}/edit" in page and f"/clinic/blocks/{b.id}/delete" in page


def test_any_subset_of_temperatures_and_no_optional_fields_is_enough(app, as_clinician, pid):
    data = {k: None for k in VALID if k not in ("performed_at", "side", "kind")}
    url = f"/clinic/patients/{pid}/blocks/new"
    # A temperature without its unit could be stored 30 degrees out: it is asked for.
    r = post_block(as_clinician, url, **data, temp_other_20="27.0")
    assert r.status_code == 200 and "Please choose °C or °F." in r.get_data(as_text=True)
    assert blocks(app) == []
    r = post_block(as_clinician, url, **{**data, "temp_unit": "C"}, temp_other_20="27.0")
    assert r.status_code == 302
    [b] = blocks(app)
    assert b.clinic_temps("treated") == {} and b.clinic_temps("other") == {20: 27.0}
    assert b.pre_pain is None and b.volume_ml is None and b.level == "" and b.notes == ""
    assert not b.sedation


def test_fahrenheit_patient_enters_and_sees_fahrenheit_but_celsius_is_stored(app, as_clinician,
                                                                           world):
    pid = world.patient(world.clinician_id, unit="F", tz="America/New_York")
    r = post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new", temp_unit="F",
                   performed_at="2025-06-14T09:00", temp_treated_pre="82.4",
                   temp_treated_10=None, temp_treated_30="91.4", temp_other_pre="83.3",
                   temp_other_30=None)
    assert r.status_code == 302
    [b] = blocks(app)
    assert b.temp_treated_pre_c == pytest.approx(28.0)
    assert b.temp_treated_30_c == pytest.approx(33.0)
    assert b.temp_other_pre_c == pytest.approx(28.5)
    assert b.performed_at == datetime(2025, 6, 14, 13, 0, tzinfo=UTC)  # EDT, UTC-4
    assert b.utc_offset_min == -240
    page = as_clinician.get(f"/clinic/blocks/{b.id}/edit").get_data(as_text=True)
    assert input_value(page, "temp_treated_30") == "91.4"
    assert input_value(page, "performed_at") == "2025-06-14T09:00"


def test_edit_prefills_changes_and_audits_only_what_changed(app, as_clinician, world, pid):
    post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new")
    [b] = blocks(app)
    url = f"/clinic/blocks/{b.id}/edit"
    page = as_clinician.get(url).get_data(as_text=True)
    assert input_value(page, "performed_at") == "2025-06-14T09:00"
    assert input_value(page, "temp_treated_10") == "31.2"
    assert input_value(page, "pre_pain") == "7"
    assert checked(page, "kind") == "diagnostic_la"
    assert SECRET_NOTE in page

    r = post_block(as_clinician, url, pre_pain="8", notes="Second thoughts 9902",
                   temp_other_10="28.9")
    assert r.status_code == 302
    [b] = blocks(app)
    assert b.pre_pain == 8 and b.notes == "Second thoughts 9902" and b.temp_other_10_c == 28.9
    create, update = block_events(app)
    assert update.action == "block.update" and update.object_id == str(b.id)
    assert set(update.before) == set(update.after) == {"notes", "pre_pain", "temp_other_10_c"}
    text = audit_text(app)
    assert "9902" not in text and SECRET_NOTE not in text


def test_saving_an_unchanged_block_writes_nothing(app, as_clinician, pid):
    post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new")
    [b] = blocks(app)
    r = post_block(as_clinician, f"/clinic/blocks/{b.id}/edit")
    assert r.status_code == 302
    assert "Nothing was changed" in as_clinician.get(r.headers["Location"]).get_data(
        as_text=True)
    assert [e.action for e in block_events(app)] == ["block.create"]


def test_delete_asks_first_then_soft_deletes_with_an_audit_event(app, as_clinician, world, pid):
    bid = make_block(app, pid, world.clinician_id)
    url = f"/clinic/blocks/{bid}/delete"
    page = as_clinician.get(url).get_data(as_text=True)
    assert "Delete this block?" in page and "Lidocaine" in page
    assert blocks(app)[0].deleted_at is None  # looking at the question changes nothing

    r = post_form(as_clinician, url)
    assert r.status_code == 302
    [b] = blocks(app)  # still in the database
    assert b.deleted_at is not None
    [ev] = block_events(app)
    assert (ev.action, ev.object_id, ev.patient_id) == ("block.delete", str(bid), pid)
    page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    assert "Lidocaine" not in page and "No blocks recorded yet" in page
    # A deleted block cannot be edited or deleted again.
    assert as_clinician.get(f"/clinic/blocks/{bid}/edit").status_code == 404
    assert as_clinician.get(url).status_code == 404


def test_patient_page_lists_blocks_newest_first(app, as_clinician, world, pid):
    make_block(app, pid, world.clinician_id, agent="Older agent")
    with app.app_context():
        db.session.add(Block(patient_id=pid, recorded_by=world.clinician_id,
                             performed_at=datetime(2025, 6, 10, 9, tzinfo=UTC), side="right",
                             kind="radiofrequency", agent="Newer agent"))
        db.session.commit()
    page = as_clinician.get(f"/clinic/patients/{pid}").get_data(as_text=True)
    assert page.index("Newer agent") < page.index("Older agent")
    assert "Radiofrequency" in page and f"/clinic/patients/{pid}/blocks/new" in page


# ----------------------------------------------------------------------------- refusals

BAD = [
    ("performed_at", "", "Please give the date and time"),
    ("performed_at", "yesterday", "Please give a date and time"),
    ("performed_at", "2025-13-01T09:00", "Please give a date and time"),
    ("performed_at", "2025-06-15T11:40", "in the future"),  # 10:40 UTC: past the grace
    ("performed_at", "2014-12-31T09:00", "more than ten years"),
    ("side", "", "Please choose the side"),
    ("side", "top", "Not a valid choice"),
    ("kind", "", "Please choose the kind of block"),
    ("kind", "surgery", "Not a valid choice"),
    ("pre_pain", "11", "from 0 to 10"),
    ("pre_pain", "-1", "whole number"),
    ("pre_pain", "7.5", "whole number"),
    ("pre_pain", "seven", "whole number"),
    ("pre_pain", "\u0667", "whole number"),            # Arabic-Indic seven
    ("volume_ml", "50.5", "from 0 to 50 ml"),
    ("volume_ml", "-2", "from 0 to 50 ml"),
    ("volume_ml", "ten", "type a number"),
    ("volume_ml", "\u0661\u0660", "type a number"),   # Arabic-Indic ten
    ("volume_ml", "1e1", "type a number"),
    ("temp_treated_pre", "14.9", "between 15.0 °C and 40.0 °C"),
    ("temp_other_30", "40.1", "between 15.0 °C and 40.0 °C"),
    ("temp_treated_10", "95", "Did you mean °F?"),
    ("temp_other_pre", "warm", "type a number"),
    ("temp_treated_20", "\u0663\u0663", "type a number"),  # Arabic-Indic 33
    ("temp_other_5", "\uff13\uff13", "type a number"),     # full-width 33
    ("temp_treated_5", "nan", "type a number"),
    ("level", "L" * 41, "under 40 characters"),
    ("level", "L3\x1b[31m", "control"),
    ("agent", "a" * 121, "under 120 characters"),
    ("agent", "Bupi\x00vacaine", "control"),
    ("notes", "n" * 1001, "under 1000 characters"),
    ("notes", "fine\x07bell", "control"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(app, as_clinician, pid,
                                                                   name, value, message):
    r = post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new", **{name: value})
    assert r.status_code == 200
    page = htmllib.unescape(r.get_data(as_text=True))
    assert message in page
    assert "Please look at the marked fields" in page
    assert blocks(app) == [] and block_events(app) == []
    # What the clinician typed is kept (control characters aside, which are refused).
    assert input_value(r.get_data(as_text=True), "agent") == VALID["agent"] or name == "agent"


EDIT_BAD = [bad for bad in BAD if bad[0] in ("performed_at", "pre_pain", "temp_treated_pre")
            or bad[2] == "control"]


@pytest.mark.parametrize(("name", "value", "message"), EDIT_BAD)
def test_bad_input_on_edit_leaves_the_block_as_it_was(app, as_clinician, world, pid,
                                                      name, value, message):
    bid = make_block(app, pid, world.clinician_id, temp_treated_pre_c=27.0)
    [before] = blocks(app)
    r = post_block(as_clinician, f"/clinic/blocks/{bid}/edit", **{name: value})
    assert r.status_code == 200 and message in htmllib.unescape(r.get_data(as_text=True))
    [after] = blocks(app)
    assert (after.agent, after.pre_pain, after.temp_treated_pre_c, after.notes) == (
        "Lidocaine", 6, 27.0, "")
    assert after.updated_at == before.updated_at
    assert block_events(app) == []


def test_a_few_minutes_ahead_of_the_server_clock_is_allowed(app, as_clinician, pid):
    r = post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new",
                   performed_at="2025-06-15T11:34")
    assert r.status_code == 302 and len(blocks(app)) == 1


def test_unusual_temperatures_need_a_confirmation_tick(app, as_clinician, pid):
    url = f"/clinic/patients/{pid}/blocks/new"
    r = post_block(as_clinician, url, temp_treated_pre="18.5")
    page = htmllib.unescape(r.get_data(as_text=True))
    assert r.status_code == 200 and "That is cold for a foot" in page
    assert "Treated foot, before the block" in page
    assert input_value(r.get_data(as_text=True), "confirm_unusual") is not None
    assert blocks(app) == []
    r = post_block(as_clinician, url, temp_treated_pre="18.5", confirm_unusual="y")
    assert r.status_code == 302
    assert blocks(app)[0].temp_treated_pre_c == 18.5


def test_hostile_text_is_stored_as_text_and_shown_escaped(app, as_clinician, pid):
    agent = '<img src=x onerror="alert(1)">'
    notes = "</textarea><script>alert('x')</script>"
    r = post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new", agent=agent,
                   notes=notes)
    assert r.status_code == 302
    [b] = blocks(app)
    assert b.agent == agent and b.notes == notes
    for url in (f"/clinic/patients/{pid}", f"/clinic/blocks/{b.id}/edit",
                f"/clinic/blocks/{b.id}/delete"):
        page = as_clinician.get(url).get_data(as_text=True)
        assert "<img src=x" not in page and "<script>alert" not in page
    assert "&lt;img src=x" in as_clinician.get(f"/clinic/patients/{pid}").get_data(
        as_text=True)


# ------------------------------------------------------------------------- who may do what

@pytest.fixture
def other_clinicians_block(app, world):
    """Clinician X's patient and block; the test signs in as someone else."""
    x = world.clinician(email="x@clinic.example", name="Dr X")
    x_patient = world.patient(x, name="X's patient")
    return x_patient, make_block(app, x_patient, x, notes="X's own note")


def test_a_clinician_cannot_see_or_touch_another_clinicians_blocks(app, as_clinician,
                                                                   other_clinicians_block):
    x_patient, bid = other_clinicians_block
    own = as_clinician
    for url in (f"/clinic/patients/{x_patient}/blocks/new", f"/clinic/blocks/{bid}/edit",
                f"/clinic/blocks/{bid}/delete", f"/clinic/patients/{x_patient}"):
        assert own.get(url).status_code == 404, url
    # Posting with a valid token (from the clinician's own settings page) still gets 404.
    for url in (f"/clinic/patients/{x_patient}/blocks/new", f"/clinic/blocks/{bid}/edit",
                f"/clinic/blocks/{bid}/delete"):
        r = post_form(own, url, {**VALID, "agent": "Hijacked"}, token_from="/clinic/settings")
        assert r.status_code == 404, url
    [b] = blocks(app)
    assert b.agent == "Lidocaine" and b.deleted_at is None and b.notes == "X's own note"
    assert len(blocks(app, Block.patient_id == x_patient)) == 1
    assert block_events(app) == []


def test_the_owner_still_can(app, client, other_clinicians_block):
    _x_patient, bid = other_clinicians_block
    sign_in(client, "x@clinic.example")
    assert client.get(f"/clinic/blocks/{bid}/edit").status_code == 200


def test_patients_get_404_on_every_block_route(app, as_patient, world):
    bid = make_block(app, world.patient_id, world.clinician_id)
    urls = (f"/clinic/patients/{world.patient_id}/blocks/new", f"/clinic/blocks/{bid}/edit",
            f"/clinic/blocks/{bid}/delete")
    for url in urls:
        assert as_patient.get(url).status_code == 404, url
        r = post_form(as_patient, url, VALID, token_from="/diary/")
        assert r.status_code == 404, url
    [b] = blocks(app)
    assert b.deleted_at is None and b.agent == "Lidocaine"
    assert block_events(app) == []


def test_signed_out_visitors_are_sent_to_sign_in(app, client, world):
    c = world.clinician()
    bid = make_block(app, world.patient(c), c)
    r = client.get(f"/clinic/blocks/{bid}/edit")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]


def test_missing_csrf_token_is_refused_and_writes_nothing(app, as_clinician, world, pid):
    bid = make_block(app, pid, world.clinician_id)
    for url in (f"/clinic/patients/{pid}/blocks/new", f"/clinic/blocks/{bid}/edit",
                f"/clinic/blocks/{bid}/delete"):
        r = as_clinician.post(url, data={**VALID, "agent": "Forged"})
        assert r.status_code == 400, url
    [b] = blocks(app)
    assert b.agent == "Lidocaine" and b.deleted_at is None
    assert block_events(app) == []
