"""CSV exports and imports through the app: the files, their audit events, the round trip,
and who may export or import which patient."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from markupsafe import escape
from pandas.api.types import is_string_dtype
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from diary.clinical import analysis, vocab
from diary.data import loaders as records
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.exports import WHATS
from diary.data.models import AuditEvent, Block, Entry, Patient
from diary.interchange import csv_export as export
from tests.conftest import csrf_token, post_form, sign_in
from tests.web.helpers import NOW

pytestmark = pytest.mark.usefixtures("fixed_now")

BLOCK_AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)  # 10:00 in London (BST)
TRICKY_NOTE = 'Said "better", then: =HYPERLINK("http://x.example")\nsecond line'


def add_entry(app, patient_id, user_id, at, pain, **fields):
    with app.app_context():
        entry = Entry(patient_id=patient_id, entered_by=user_id, observed_at=at,
                      utc_offset_min=fields.pop("utc_offset_min", 60), pain=pain,
                      created_at=NOW, updated_at=NOW, **fields)
        db.session.add(entry)
        db.session.commit()
        return entry.id


def seed_diary(app, patient_id, user_id, clinician_id):
    """A positive diagnostic block: a week at 7/10, pain 2 in the window, relief for four days.

    Every column gets a value somewhere, and some cells are ones a spreadsheet would misread.
    The follow-up answers (clinical.md §7, §8) are answered on some entries and not on others;
    night rest pain is "yes", "no" and not answered.
    """
    for day in range(7, 0, -1):
        add_entry(app, patient_id, user_id, BLOCK_AT - timedelta(days=day, hours=-8), 7,
                  temp_treated_c=28.0, temp_other_c=29.55, colour="blue_purple",
                  feels="colder", walk_pain_free_min=5, walk_max_min=12, swelling="mild",
                  sweating="less", touch_pain="marked" if day % 2 else None,
                  night_rest_pain={7: True, 4: False}.get(day),
                  wound="unchanged" if day == 7 else None)
    for minutes, pain in ((30, 3), (60, 2), (120, 2), (240, 3)):
        add_entry(app, patient_id, user_id, BLOCK_AT + timedelta(minutes=minutes), pain,
                  temp_treated_c=32.4, side_effects="back_soreness;bruising",
                  notes=TRICKY_NOTE if minutes == 60 else "")
    for day in range(1, 12):
        add_entry(app, patient_id, user_id, BLOCK_AT + timedelta(days=day, hours=8),
                  2 if day <= 4 else 7, did_not_walk=day == 2,
                  rescue_medication=day == 9, notes="-2 points, +1 walk" if day == 3 else "",
                  walk_pain_free_min=None if day == 2 else 8, walk_max_min=None,
                  touch_pain={1: "mild", 2: "none", 8: "marked"}.get(day),
                  night_rest_pain={1: False, 7: False, 8: True}.get(day),
                  wound={7: "healing", 11: "worse"}.get(day),
                  pgic={7: "much_better", 11: "a_little_worse"}.get(day))
    with app.app_context():
        block = Block(patient_id=patient_id, recorded_by=clinician_id, performed_at=BLOCK_AT,
                      utc_offset_min=60, side="left", kind="diagnostic_la", level="L3",
                      agent="Bupivacaine 0.25%, 10 ml", volume_ml=10.0, pre_pain=7,
                      temp_treated_pre_c=28.0, temp_treated_5_c=29.0, temp_treated_10_c=30.4,
                      temp_treated_20_c=30.1, temp_other_pre_c=28.5, temp_other_30_c=28.9,
                      sedation=True, notes="@risk: vasovagal", created_at=NOW, updated_at=NOW)
        db.session.add(block)
        db.session.commit()
        return block.id


@pytest.fixture
def diary(as_clinician, world, app):
    world.patient_id = world.patient(world.clinician_id, email="pat@home.example",
                                     record="R-100")
    with app.app_context():
        world.patient_user_id = db.session.get(Patient, world.patient_id).user_id
    world.block_id = seed_diary(app, world.patient_id, world.patient_user_id, world.clinician_id)
    return world


def export_csv(client, patient_id, what, include_deleted=False):
    data = {"what": what}
    if include_deleted:
        data["include_deleted"] = "y"
    return post_form(client, f"/clinic/patients/{patient_id}/export", data,
                     token_from="/clinic/export")


def import_csv(client, patient_id, entries=None, blocks=None):
    data = {}
    if entries is not None:
        data["entries"] = (io.BytesIO(entries), "entries.csv")
    if blocks is not None:
        data["blocks"] = (io.BytesIO(blocks), "blocks.csv")
    return post_form(client, f"/clinic/patients/{patient_id}/import", data,
                     token_from="/clinic/export", content_type="multipart/form-data")


def rows_of(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def blank(body: bytes, column: str) -> bytes:
    """The same file with one column emptied (as a clinic would, to copy rows)."""
    rows = rows_of(body)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, column: ""})
    return out.getvalue().encode()


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audit_actions(app):
    with app.app_context():
        return [(e.action, e.object_type, e.object_id, e.patient_id) for e in
                db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


# ----------------------------------------------------------------------------- exports

def test_entries_export_is_a_clean_streamed_attachment(diary, client, app):
    r = export_csv(client, diary.patient_id, "entries")
    assert r.status_code == 200
    assert r.is_streamed
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="R-100-entries.csv"'
    assert r.headers["Cache-Control"] == "no-store"
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf" + ",".join(export.ENTRY_COLUMNS).encode() + b"\r\n")
    rows = rows_of(body)
    assert len(rows) == 7 + 4 + 11
    first = rows[0]
    # 7 days before 09:00 UTC + 8 h: 17:00 UTC on 25 May, 18:00 in London.
    assert first["observed_at"] == "2025-05-25T18:00:00+01:00"
    assert first["patient_record"] == "R-100"
    assert first["entered_by"] == "pat@home.example"
    assert first["temp_other_c"] == "29.6"  # °C to one decimal
    assert first["colour"] == "blue_purple" and first["rescue_medication"] == "no"
    assert first["walk_max_min"] == "12" and first["did_not_walk"] == "no"
    no_walk = next(r for r in rows if r["did_not_walk"] == "yes")
    # "not recorded" is an empty cell, never 0
    assert no_walk["walk_pain_free_min"] == "" and no_walk["temp_treated_c"] == ""
    # The follow-up answers: codes, after did_not_walk; not answered is empty, apart from "no".
    assert list(rows[0])[-5:] == ["did_not_walk", "touch_pain", "night_rest_pain", "wound",
                                  "pgic"]
    assert (first["touch_pain"], first["night_rest_pain"], first["wound"], first["pgic"]) == \
        ("marked", "yes", "unchanged", "")
    assert [r["night_rest_pain"] for r in rows[:7]] == ["yes", "", "", "no", "", "", ""]
    day7 = rows[11 + 6]
    assert (day7["wound"], day7["pgic"], day7["night_rest_pain"]) == ("healing", "much_better",
                                                                      "no")
    assert {r["touch_pain"] for r in rows} == {"", "none", "mild", "marked"}
    assert {r["wound"] for r in rows} == {"", "unchanged", "healing", "worse"}
    assert ("export.entries", "patient", str(diary.patient_id), diary.patient_id) \
        in audit_actions(app)


def test_formula_cells_are_neutralised_and_numbers_stay_numbers(diary, client):
    rows = rows_of(export_csv(client, diary.patient_id, "entries").get_data())
    notes = [r["notes"] for r in rows if r["notes"]]
    # The tricky note starts with a letter: left alone, quoted so its comma and newline hold.
    assert TRICKY_NOTE in notes
    assert "'-2 points, +1 walk" in notes
    blocks = rows_of(export_csv(client, diary.patient_id, "blocks").get_data())
    assert blocks[0]["notes"] == "'@risk: vasovagal"
    assert blocks[0]["agent"] == "Bupivacaine 0.25%, 10 ml"


def test_pandas_reads_the_entries_with_the_right_types(diary, client):
    body = export_csv(client, diary.patient_id, "entries").get_data()
    df = pd.read_csv(io.BytesIO(body), true_values=["yes"], false_values=["no"])
    assert list(df.columns) == list(export.ENTRY_COLUMNS)  # the BOM is not in the first name
    assert df["pain"].dtype == "int64"
    for col in ("temp_treated_c", "temp_other_c", "walk_pain_free_min", "walk_max_min"):
        assert df[col].dtype == "float64", col  # numbers with gaps: NaN, not 0 or text
    assert df["rescue_medication"].dtype == bool and df["did_not_walk"].dtype == bool
    # Not answered reads as a gap, never as False.
    night = df["night_rest_pain"].head(7)
    assert night.isna().tolist() == [False, True, True, False, True, True, True]
    assert night.dropna().tolist() == [True, False]
    for col in ("entry_id", "patient_record", "colour", "side_effects", "notes", "entered_by"):
        assert is_string_dtype(df[col]), col
    when = pd.to_datetime(df["observed_at"], format="ISO8601", utc=True)
    assert when.iloc[0] == pd.Timestamp("2025-05-25T17:00:00Z")
    assert df["temp_treated_c"].isna().sum() == 11
    assert TRICKY_NOTE in set(df["notes"].dropna())


def test_pandas_reads_blocks_and_summary_with_the_right_types(diary, client):
    body = export_csv(client, diary.patient_id, "blocks").get_data()
    df = pd.read_csv(io.BytesIO(body), true_values=["yes"], false_values=["no"])
    assert list(df.columns) == list(export.BLOCK_COLUMNS)
    assert df["block_id"].dtype == "int64" and df["pre_pain"].dtype == "int64"
    assert df["volume_ml"].dtype == "float64"
    # Peak of the readings after the block (5-30 min), not the one before.
    assert df["temp_treated_peak_c"].iloc[0] == 30.4
    assert df["temp_other_peak_c"].iloc[0] == 28.9
    assert df["sedation"].dtype == bool and not df["somatic_spread"].iloc[0]

    body = export_csv(client, diary.patient_id, "block-summary").get_data()
    df = pd.read_csv(io.BytesIO(body), true_values=["yes"], false_values=["no"])
    assert list(df.columns) == list(export.SUMMARY_COLUMNS)
    for col in ("baseline_b7", "temp_rise_c", "peak_relief_pct", "dur50_days", "dur30_days"):
        assert df[col].dtype == "float64", col
    assert df["baseline_b0"].dtype == "int64" and df["baseline_days"].dtype == "int64"
    assert df["repeat_due"].dtype == bool and df["prolonged"].dtype == bool
    assert set(df["verdict"]) <= set(vocab.VERDICTS)


def test_block_summary_agrees_with_the_analysis_the_pages_use(diary, client, app):
    body = export_csv(client, diary.patient_id, "block-summary").get_data()
    (row,) = rows_of(body)
    with app.app_context():
        patient = db.session.get(Patient, diary.patient_id)
        entries, blocks = records.load_patient_records(patient)
        result = analysis.analyse_patient(entries, blocks, settings_for(
            diary.clinician_id), patient.timezone, NOW)
    (a,) = result.blocks
    assert row["block_id"] == str(diary.block_id)
    assert row["performed_at"] == "2025-06-01T10:00:00+01:00"
    assert row["verdict"] == a.verdict == "positive"
    assert row["verdict_reason"] == a.explanation
    assert row["technical_success"] == a.technical.grade == "confirmed"
    assert float(row["temp_rise_c"]) == pytest.approx(a.technical.rise_c) == 2.4
    # Pre-block pain 7, lowest in the window 2: (7 - 2) / 7.
    assert float(row["peak_relief_pct"]) == pytest.approx(71.4, abs=0.05)
    assert row["baseline_b0"] == "7" and float(row["baseline_b7"]) == 7.0
    assert row["baseline_days"] == "7"
    # Relief for four days, back to 7/10 from day 5: below 30 % on days 5 and 6 is day 5
    # only once the three-day rolling mean has dropped (days 3-5: (2+2+7)/3 = 3.7, 47 %).
    assert row["dur30_days"] == f"{a.duration.dur30:.1f}"
    assert row["dur50_days"] == f"{a.duration.dur50:.1f}"
    assert row["repeat_due"] == ("yes" if result.repeat_due else "no")
    assert row["reason_codes"] == ";".join(r.code for r in a.reasons)
    # ... and the patient page shows the same sentence for the same block.
    page = client.get(f"/clinic/patients/{diary.patient_id}").get_data(as_text=True)
    card = page[page.index(f'id="block-{diary.block_id}"'):]
    assert f'<p class="explanation">{escape(row["verdict_reason"])}</p>' in card


def test_deleted_entries_only_when_asked_with_a_deleted_at_column(diary, client, app):
    with app.app_context():
        entry = db.session.scalar(sa.select(Entry).where(Entry.notes == TRICKY_NOTE))
        entry.deleted_at = NOW
        db.session.commit()
        gone = entry.id
    rows = rows_of(export_csv(client, diary.patient_id, "entries").get_data())
    assert gone not in {r["entry_id"] for r in rows} and "deleted_at" not in rows[0]
    rows = rows_of(export_csv(client, diary.patient_id, "entries", include_deleted=True)
                   .get_data())
    deleted = {r["entry_id"]: r["deleted_at"] for r in rows}
    assert deleted[gone] == "2025-06-15T10:30:00+00:00"
    assert sum(1 for v in deleted.values() if v) == 1


def test_clinic_export_covers_own_patients_within_local_dates(diary, client, app, world):
    other = world.clinician("other@clinic.example")
    stranger = world.patient(other, record="R-100")
    add_entry(app, stranger, other, BLOCK_AT, 5)
    # Auckland (UTC+12): 23:30 on 31 May is 11:30 UTC the same day; 00:30 on 1 June is
    # 12:30 UTC on 31 May, a day that a UTC filter would wrongly keep.
    kiwi = world.patient(diary.clinician_id, name="Kiwi", record="K-1", tz="Pacific/Auckland")
    late = add_entry(app, kiwi, diary.clinician_id, datetime(2025, 5, 31, 11, 30, tzinfo=UTC),
                     4, utc_offset_min=720)
    early = add_entry(app, kiwi, diary.clinician_id, datetime(2025, 5, 31, 12, 30, tzinfo=UTC),
                      4, utc_offset_min=720)
    r = post_form(client, "/clinic/export", {"what": "entries", "date_from": "2025-06-01",
                                             "date_to": "2025-06-02"})
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="clinic-entries-from-2025-06-01-to-2025-06-02.csv"'
    rows = rows_of(r.get_data())
    ids = {row["entry_id"] for row in rows}
    assert early in ids and late not in ids
    assert {row["patient_record"] for row in rows} == {"R-100", "K-1"}
    assert all("2025-06-01" <= row["observed_at"][:10] <= "2025-06-02" for row in rows)
    # London: the window readings of 1 June and the 08:00 UTC reading of 2 June.
    assert sum(1 for row in rows if row["patient_record"] == "R-100") == 5
    assert ("export.clinic.entries", "user", str(diary.clinician_id), None) \
        in audit_actions(app)


@pytest.mark.parametrize("dates, message", [
    ({"date_from": "2025-06-02", "date_to": "2025-06-01"}, "end date is before the start"),
    ({"date_from": "2025-02-30"}, "Please give a date like"),
    ({"date_to": "२०२५-06-01"}, "Please give a date like"),
])
def test_clinic_export_refuses_bad_dates(diary, client, app, dates, message):
    r = post_form(client, "/clinic/export", {"what": "entries", **dates})
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert not any(a[0].startswith("export") for a in audit_actions(app))


def test_clinic_summary_and_blocks(diary, client):
    for what in ("blocks", "block-summary"):
        r = post_form(client, "/clinic/export", {"what": what})
        rows = rows_of(r.get_data())
        assert [row["block_id"] for row in rows] == [str(diary.block_id)], what


# ------------------------------------------------------------------------------ imports

def test_round_trip_into_a_new_patient_gives_the_same_rows(diary, client, app, world):
    entries = export_csv(client, diary.patient_id, "entries").get_data()
    blocks = export_csv(client, diary.patient_id, "blocks").get_data()
    copy = world.patient(diary.clinician_id, name="Copy", record="R-200")
    r = import_csv(client, copy, blank(entries, "entry_id"), blocks)
    assert r.status_code == 302, r.get_data(as_text=True)
    notes = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "22 new entries (0 already in the diary); 1 new block" in notes
    assert "exported for record R-100; they are imported into record R-200" in notes
    again_entries = export_csv(client, copy, "entries").get_data()
    again_blocks = export_csv(client, copy, "blocks").get_data()
    # Ids, record and bookkeeping are the new patient's; every recorded value is the same.
    provenance = {"entry_id", "block_id", "patient_record", "entered_by", "recorded_by",
                  "created_at", "updated_at"}

    def content(body):
        return [{k: v for k, v in row.items() if k not in provenance} for row in rows_of(body)]

    assert content(again_entries) == content(entries)
    assert content(again_blocks) == content(blocks)
    assert {r["entered_by"] for r in rows_of(again_entries)} == {"dr@clinic.example"}
    assert len(rows_of(again_entries)) == 22
    # The follow-up answers came through exactly, "not answered" apart from "no".
    before = [[r[c] for c in FOLLOW_UP] for r in rows_of(entries)]
    assert [[r[c] for c in FOLLOW_UP] for r in rows_of(again_entries)] == before
    assert {v for row in before for v in row} >= {"", "yes", "no", "marked", "much_better"}
    with app.app_context():
        stored = {(e.observed_at, e.touch_pain, e.night_rest_pain, e.wound, e.pgic)
                  for e in db.session.scalars(sa.select(Entry).where(Entry.patient_id == copy))}
        original = {(e.observed_at, e.touch_pain, e.night_rest_pain, e.wound, e.pgic)
                    for e in db.session.scalars(
                        sa.select(Entry).where(Entry.patient_id == diary.patient_id))}
    assert stored == original
    assert {s[2] for s in stored} == {None, True, False}


FOLLOW_UP = ("touch_pain", "night_rest_pain", "wound", "pgic")


def without_columns(body: bytes, *columns: str) -> bytes:
    """The same file without some columns (as one made before they existed)."""
    rows = rows_of(body)
    names = [n for n in rows[0] if n not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_a_file_from_before_the_follow_up_columns_imports_them_as_not_answered(diary, client,
                                                                              app, world):
    entries = export_csv(client, diary.patient_id, "entries").get_data()
    old = without_columns(blank(entries, "entry_id"), *FOLLOW_UP)
    assert b"touch_pain" not in old and b"night_rest_pain" not in old
    copy = world.patient(diary.clinician_id, name="Copy", record="R-200")
    r = import_csv(client, copy, old)
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "22 new entries" in page and "Columns not imported" not in page
    with app.app_context():
        answers = {(e.touch_pain, e.night_rest_pain, e.wound, e.pgic) for e in
                   db.session.scalars(sa.select(Entry).where(Entry.patient_id == copy))}
    assert answers == {(None, None, None, None)}  # NULL: not asked, never "no" or "none"
    rows = rows_of(export_csv(client, copy, "entries").get_data())
    assert {r[c] for r in rows for c in FOLLOW_UP} == {""}
    # The same old file again adds nothing: its rows match the entries it made, answers and all.
    r = import_csv(client, copy, old)
    assert "0 new entries (22 already in the diary)" in \
        client.get(r.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("column, value, message", [
    ("touch_pain", "severe", "touch_pain: &#39;severe&#39; is not one of none, mild, marked."),
    ("night_rest_pain", "sometimes", "night_rest_pain: &#39;sometimes&#39; is not yes or no."),
    ("wound", "=cmd|' /C calc'!A0", "wound: &#34;=cmd|&#39; /C calc&#39;!A0&#34; is not one of"),
    ("pgic", "Much better", "pgic: &#39;Much better&#39; is not one of very_much_better,"),
])
def test_a_bad_follow_up_answer_imports_nothing_and_names_its_line(diary, client, app, world,
                                                                  column, value, message):
    rows = rows_of(blank(export_csv(client, diary.patient_id, "entries").get_data(),
                         "entry_id"))
    rows[3][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    copy = world.patient(diary.clinician_id, name="Copy", record="R-200")
    before = len(audit_actions(app))
    r = import_csv(client, copy, out.getvalue().encode())
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert any(p.startswith(f"entries file, line 5: {message}") for p in _import_errors(page))
    assert count(app, Entry, Entry.patient_id == copy) == 0
    assert len(audit_actions(app)) == before


def test_rows_without_ids_are_matched_on_their_values(diary, client, app):
    entries = blank(export_csv(client, diary.patient_id, "entries").get_data(), "entry_id")
    r = import_csv(client, diary.patient_id, entries)
    assert r.status_code == 302
    assert "0 new entries (22 already in the diary)" in \
        client.get(r.headers["Location"]).get_data(as_text=True)
    assert count(app, Entry) == 22


def test_an_entry_deleted_from_the_diary_is_not_imported_again(diary, client, app):
    body = export_csv(client, diary.patient_id, "entries").get_data()
    with app.app_context():
        entry = db.session.scalar(sa.select(Entry).where(Entry.notes == TRICKY_NOTE))
        entry.deleted_at = NOW
        db.session.commit()
    r = import_csv(client, diary.patient_id, body)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "0 new entries (21 already in the diary)" in page
    assert "This entry was deleted from the diary: not imported again." in page
    assert count(app, Entry, Entry.deleted_at.is_(None)) == 21


def test_a_different_block_at_the_same_time_is_an_error(diary, client, app):
    body = export_csv(client, diary.patient_id, "blocks").get_data().decode("utf-8-sig")
    changed = body.replace(",diagnostic_la,", ",therapeutic_la,")
    r = import_csv(client, diary.patient_id, blocks=changed.encode())
    assert r.status_code == 422
    assert "blocks file, line 2: a different block is already recorded at this time" in \
        r.get_data(as_text=True)
    assert count(app, Block) == 1


def test_importing_the_same_file_again_adds_nothing(diary, client, app):
    entries = export_csv(client, diary.patient_id, "entries").get_data()
    blocks = export_csv(client, diary.patient_id, "blocks").get_data()
    before = count(app, Entry), count(app, Block)
    r = import_csv(client, diary.patient_id, entries, blocks)
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "0 new entries (22 already in the diary)" in page
    assert "0 new blocks (1 already in the diary)" in page
    assert (count(app, Entry), count(app, Block)) == before
    actions = audit_actions(app)
    assert ("import.entries", "patient", str(diary.patient_id), diary.patient_id) in actions
    assert ("import.blocks", "patient", str(diary.patient_id), diary.patient_id) in actions


def test_a_file_with_any_bad_row_changes_nothing_and_lists_every_row(diary, client, app):
    good = blank(export_csv(client, diary.patient_id, "entries").get_data(), "entry_id")
    lines = good.decode("utf-8-sig").split("\r\n")
    header = lines[0].split(",")
    pain = header.index("pain")

    def with_pain(line, value):
        cells = next(csv.reader([line]))
        cells[pain] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        return out.getvalue()

    lines[2] = with_pain(lines[2], "11")
    lines[5] = with_pain(lines[5], "")
    bad = "\r\n".join(lines).encode()
    before = count(app, Entry), len(audit_actions(app))
    r = import_csv(client, diary.patient_id, bad)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "line 3: pain: &#39;11&#39; is not a whole number from 0 to 10" in page
    assert "line 6: pain: missing" in page
    assert (count(app, Entry), len(audit_actions(app))) == before


def test_same_id_with_other_values_is_an_error_for_that_row(diary, client, app):
    body = export_csv(client, diary.patient_id, "entries").get_data()
    text = body.decode("utf-8-sig").replace("2025-05-25T18:00:00+01:00,7,",
                                            "2025-05-25T18:00:00+01:00,6,", 1)
    text = text.replace("2025-05-26T18:00:00+01:00,7,", "2025-05-26T18:00:00+01:00,70,", 1)
    r = import_csv(client, diary.patient_id, text.encode())
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    # A conflict with the diary and a bad value, listed together in one attempt.
    assert "line 2: entry_id is already in this diary with different values" in page
    assert "line 3: pain: &#39;70&#39; is not a whole number" in page


def test_another_patients_entry_ids_are_refused(diary, client, app, world):
    body = export_csv(client, diary.patient_id, "entries").get_data()
    copy = world.patient(diary.clinician_id, name="Copy", record="R-200")
    r = import_csv(client, copy, body)
    assert r.status_code == 422
    assert "entry_id belongs to another patient" in r.get_data(as_text=True)
    assert count(app, Entry, Entry.patient_id == copy) == 0


def test_import_needs_a_file_a_token_and_a_small_one(diary, client, app):
    r = import_csv(client, diary.patient_id)
    assert r.status_code == 400 and "Please choose a file" in r.get_data(as_text=True)
    r = client.post(f"/clinic/patients/{diary.patient_id}/import",
                    data={"entries": (io.BytesIO(b"observed_at,pain\r\n"), "e.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 400  # no CSRF token
    big = b"observed_at,pain\r\n" + b"2025-06-01T10:00:00+01:00,5\r\n" * 200_000
    assert len(big) > 5 * 1024 * 1024
    token = csrf_token(client, "/clinic/export")
    # Encoded here: the test client would spool a body this size to a file it never closes.
    boundary, body = encode_multipart({"csrf_token": token,
                                       "entries": FileStorage(io.BytesIO(big), "e.csv")})
    r = client.post(f"/clinic/patients/{diary.patient_id}/import", data=body,
                    content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 413
    assert count(app, Entry, Entry.patient_id == diary.patient_id) == 22


def import_big(client, patient_id, entries: bytes):
    """import_csv for a body of 500 kB or more, encoded here: the test client would spool it to
    a file it never closes."""
    boundary, body = encode_multipart({"csrf_token": csrf_token(client, "/clinic/export"),
                                       "entries": FileStorage(io.BytesIO(entries), "e.csv")})
    return client.post(f"/clinic/patients/{patient_id}/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _import_errors(page: str) -> list[str]:
    """The problems listed on the page, one per item of the error box."""
    box = re.search(r'<div class="alert" role="alert" id="import-errors">(.*?)</div>', page, re.S)
    assert box, "no error box"
    return re.findall(r"<li>(.*?)</li>", box.group(1), re.S)


def test_a_60000_column_file_is_refused_with_a_message(diary, client, app):
    names = ["observed_at", "pain"] + [f"c{i}" for i in range(59_998)]
    body = (",".join(names) + "\r\n2025-06-01T10:00,5" + "," * 59_998 + "\r\n").encode()
    before = count(app, Entry), len(audit_actions(app))
    r = import_big(client, diary.patient_id, body)
    assert r.status_code == 422
    assert _import_errors(r.get_data(as_text=True)) == [
        "entries file, line 1: The first line names 60,000 columns; an import takes at most "
        "200 (an export has 23). Is this a diary file?"]
    assert (count(app, Entry), len(audit_actions(app))) == before


def test_too_many_cells_and_an_over_long_cell_are_refused(diary, client, app):
    wide = ",".join(["observed_at", "pain"] + [f"c{i}" for i in range(198)])
    body = (wide + "\r\n" + ("," * 199 + "\r\n") * 10_001).encode()
    before = count(app, Entry), len(audit_actions(app))
    r = import_big(client, diary.patient_id, body)
    assert r.status_code == 422
    assert _import_errors(r.get_data(as_text=True)) == [
        "entries file, line 10002: More than 2,000,000 cells (rows × columns): please split "
        "the file."]
    long_note = b'observed_at,pain,notes\r\n2025-06-01T10:00,5,"' + b"n" * 10_001 + b'"\r\n'
    r = import_csv(client, diary.patient_id, long_note)
    assert r.status_code == 422
    assert _import_errors(r.get_data(as_text=True)) == [
        "entries file, line 2: a cell is longer than 10,000 characters, and no cell of a diary "
        "is (notes take up to 1,000). Is this a diary file?"]
    assert (count(app, Entry), len(audit_actions(app))) == before


def test_100000_bad_rows_list_the_first_100_and_count_the_rest(diary, client, app):
    body = b"observed_at,pain\r\n" + b"x,1\r\n" * 100_000
    before = count(app, Entry), len(audit_actions(app))
    r = import_big(client, diary.patient_id, body)
    assert r.status_code == 422
    assert len(r.get_data()) < 100_000  # was 16.6 MB
    page = r.get_data(as_text=True)
    problems = _import_errors(page)
    assert len(problems) == 100
    assert problems[0] == ("entries file, line 2: observed_at: &#39;x&#39; is not a date and "
                           "time like 2025-06-15T11:30:00+01:00.")
    assert problems[-1].startswith("entries file, line 101: ")
    assert "…and 99,900 more problems." in page
    assert (count(app, Entry), len(audit_actions(app))) == before


def test_the_count_of_more_problems_covers_both_files(diary, client, app):
    entries = b"observed_at,pain\r\n" + b"x,1\r\n" * 60
    blocks = b"performed_at,side,kind\r\n" + b"x,left,diagnostic_la\r\n" * 70
    page = import_csv(client, diary.patient_id, entries, blocks).get_data(as_text=True)
    problems = _import_errors(page)
    assert len(problems) == 100
    assert problems[59].startswith("entries file, line 61: ")
    assert problems[60].startswith("blocks file, line 2: ")
    assert "…and 30 more problems." in page


def test_records_page_is_linked_from_the_patient_page(diary, client):
    page = client.get(f"/clinic/patients/{diary.patient_id}").get_data(as_text=True)
    assert f'href="/clinic/patients/{diary.patient_id}/records"' in page
    page = client.get(f"/clinic/patients/{diary.patient_id}/records").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page


# ------------------------------------------------------------------------------- access

def test_no_export_or_import_of_another_clinicians_patient(diary, client, app, world):
    other = world.clinician("other@clinic.example")
    theirs = world.patient(other, record="R-100")
    add_entry(app, theirs, other, BLOCK_AT, 5, notes="theirs")
    before = len(audit_actions(app))
    assert client.get(f"/clinic/patients/{theirs}/records").status_code == 404
    for what in WHATS:
        assert export_csv(client, theirs, what).status_code == 404
    good = export_csv(client, diary.patient_id, "entries").get_data()
    assert import_csv(client, theirs, blank(good, "entry_id")).status_code == 404
    assert count(app, Entry, Entry.patient_id == theirs) == 1
    # Their patient shares our record number: the clinic export still has only ours.
    rows = rows_of(post_form(client, "/clinic/export", {"what": "entries"}).get_data())
    assert "theirs" not in {r["notes"] for r in rows}
    assert len(rows) == 22
    assert len(audit_actions(app)) == before + 2  # our own two exports only


def test_patients_and_strangers_get_nothing(diary, app):
    client = app.test_client()
    anonymous = client.get(f"/clinic/patients/{diary.patient_id}/records")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    assert sign_in(client, "pat@home.example").status_code == 302
    assert client.get(f"/clinic/patients/{diary.patient_id}/records").status_code == 404
    assert client.get("/clinic/export").status_code == 404
    r = post_form(client, f"/clinic/patients/{diary.patient_id}/export", {"what": "entries"},
                  token_from="/diary/")
    assert r.status_code == 404


def test_a_clinic_without_patients_exports_a_header(client, world):
    world.clinician("new@clinic.example")
    assert sign_in(client, "new@clinic.example").status_code == 302
    for what, columns in (("entries", export.ENTRY_COLUMNS), ("blocks", export.BLOCK_COLUMNS),
                          ("block-summary", export.SUMMARY_COLUMNS)):
        r = post_form(client, "/clinic/export", {"what": what, "include_deleted": "y"})
        expected = export.columns_for(columns, what != "block-summary")
        assert r.get_data() == ("\ufeff" + ",".join(expected) + "\r\n").encode(), what


# ----------------------------------------------------------------- the template for import

def test_the_entries_template_is_the_export_s_header_and_one_example_row(as_clinician):
    r = as_clinician.get("/clinic/records/entries-template.csv")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="entries-template.csv"'
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf" + ",".join(export.ENTRY_COLUMNS).encode() + b"\r\n")
    (row,) = rows_of(body)
    assert list(row) == list(export.ENTRY_COLUMNS)
    assert row["observed_at"] == "2025-06-14T09:00"  # yesterday, in the patient's own zone
    assert row["colour"] in vocab.COLOURS and row["feels"] in vocab.FEELS
    assert row["pgic"] in vocab.PGIC and row["wound"] in vocab.WOUND
    assert all(c in vocab.SIDE_EFFECTS for c in row["side_effects"].split(";"))
    assert row["entry_id"] == row["patient_record"] == row["entered_by"] == ""


def test_the_importer_takes_the_template_with_no_problem_at_all(as_clinician, app, world):
    from diary.interchange import csv_import

    body = as_clinician.get("/clinic/records/entries-template.csv").get_data()
    # A patient whose record was made only now: the example row is not too old for it.
    ctx = csv_import.Context(tz="Pacific/Kiritimati", now=NOW, record_created=NOW,
                             record_label="R-1")
    parsed = csv_import.parse_entries(body, ctx)
    assert list(parsed.errors) == [] and list(parsed.warnings) == []
    (row,) = parsed.rows
    assert row.values["pain"] == 6 and row.values["temp_treated_c"] == 29.5
    assert row.values["side_effects"] == "back_soreness;bruising"
    # And through the page, into a real patient: one new entry.
    patient = world.patient(world.clinician_id, record="R-1")
    r = import_csv(as_clinician, patient, entries=body)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert count(app, Entry, Entry.patient_id == patient) == 1
