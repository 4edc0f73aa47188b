"""FHIR R4 exports through the app (docs/fhir.md): the records pages, the API and the command
line; the files parse with fhir.resources' R4B models, hold the diary's values, are audited,
and open only to the patient's own clinician."""

import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.procedure import Procedure

from diary.data.db import db
from diary.data.models import DeviceToken, Entry, Patient, User
from diary.data.tokens import token_hash
from diary.interchange import csv_export, fhir
from diary.services import access_tokens
from tests.conftest import csrf_token, post_form, sign_in
from tests.unit.test_fhir import references
from tests.web.helpers import NOW
from tests.web.test_records import audit_actions, diary  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("fixed_now")

MODELS = {"Patient": FhirPatient, "Observation": Observation, "Procedure": Procedure}


def export_bundle(client, patient_id):
    return post_form(client, f"/clinic/patients/{patient_id}/export-fhir",
                     token_from=f"/clinic/patients/{patient_id}/records")


def export_zip(client):
    return post_form(client, "/clinic/export-fhir", token_from="/clinic/export")


def check_bundle(document: dict) -> dict:
    """Parses with R4B; every reference resolves within it. The resources by id."""
    Bundle.model_validate(document)
    assert document["type"] == "collection"
    full_urls = {e["fullUrl"] for e in document["entry"]}
    base = fhir.BASE_URL
    for reference in references(document):
        assert f"{base}/{reference}" in full_urls, reference
    for e in document["entry"]:
        MODELS[e["resource"]["resourceType"]].model_validate(e["resource"])
    return {e["resource"]["id"]: e["resource"] for e in document["entry"]}


def entries_of(app, patient_id):
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Entry).where(Entry.patient_id == patient_id)))
        db.session.expunge_all()
        return rows


def staff_token(app, email="dr@clinic.example", scopes="read") -> str:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        _row, raw = access_tokens.issue(user, "EHR feed", scopes, 30, NOW)
        return raw


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


# ------------------------------------------------------------------------- records pages

def test_the_bundle_holds_the_diary_and_is_audited(diary, client, app):  # noqa: F811
    r = export_bundle(client, diary.patient_id)
    assert r.status_code == 200
    assert r.mimetype == "application/fhir+json"
    assert r.headers["Content-Disposition"] == 'attachment; filename="R-100-fhir.json"'
    assert r.headers["Cache-Control"] == "no-store"
    found = check_bundle(json.loads(r.get_data()))
    (patient,) = [x for x in found.values() if x["resourceType"] == "Patient"]
    assert patient["identifier"][0] == {"use": "usual", "system": fhir.RECORD_SYSTEM,
                                        "value": "R-100"}
    rows = entries_of(app, diary.patient_id)
    assert len(rows) == 22
    for e in rows:
        pain = found[fhir.resource_id("entry", e.id, "pain")]
        assert pain["valueQuantity"]["value"] == e.pain
        # The time with the offset the patient had (+01:00 in June), as the CSV writes it.
        assert pain["effectiveDateTime"] == csv_export.iso_time(e.observed_at,
                                                                e.utc_offset_min)
        for role, value in (("treated", e.temp_treated_c), ("other", e.temp_other_c)):
            rid = fhir.resource_id("entry", e.id, f"temp-{role}")
            if value is None:
                assert rid not in found
            else:  # to 0.1 °C, as the CSV: 29.55 -> 29.6
                assert found[rid]["valueQuantity"]["value"] == float(
                    csv_export.one_decimal(value))
                assert found[rid]["valueQuantity"]["code"] == "Cel"
        if e.feels:
            assert found[fhir.resource_id("entry", e.id, "feels")][
                "valueCodeableConcept"]["coding"][0]["code"] == e.feels
    block = found[fhir.resource_id("block", diary.block_id)]
    assert block["performedDateTime"] == "2025-06-01T10:00:00+01:00"
    assert block["status"] == "completed"
    verdict = found[fhir.resource_id("block", diary.block_id, "verdict")]
    assert verdict["valueCodeableConcept"]["coding"][0]["code"] == "positive"
    assert ("export.fhir", "patient", str(diary.patient_id), diary.patient_id) in (
        audit_actions(app))


def test_two_exports_give_the_same_ids(diary, client):  # noqa: F811
    first = json.loads(export_bundle(client, diary.patient_id).get_data())
    again = json.loads(export_bundle(client, diary.patient_id).get_data())
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in again["entry"]]
    assert first["id"] == again["id"]


def test_the_clinic_zip_has_one_ndjson_file_per_type(diary, client, app, world):  # noqa: F811
    other = world.clinician("other@clinic.example")
    stranger = world.patient(other, name="Not mine", record="R-999")
    mine = world.patient(diary.clinician_id, name="Second", record="R-200")
    r = export_zip(client)
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert r.headers["Content-Disposition"] == 'attachment; filename="clinic-fhir-ndjson.zip"'
    with zipfile.ZipFile(io.BytesIO(r.get_data())) as archive:
        assert archive.namelist() == ["Patient.ndjson", "Procedure.ndjson", "Observation.ndjson"]
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    parsed = {}
    for name, text in files.items():
        kind = name.removesuffix(".ndjson")
        assert text.endswith("\n")
        lines = text.splitlines()
        for line in lines:  # one resource a line, each parses, of the file's type
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            MODELS[kind].model_validate(resource)
        parsed[kind] = [json.loads(line) for line in lines]
    patients = {p["id"] for p in parsed["Patient"]}
    assert patients == {fhir.resource_id("patient", diary.patient_id),
                        fhir.resource_id("patient", mine)}
    assert fhir.resource_id("patient", stranger) not in files["Observation.ndjson"]
    # The same resources as the patient's Bundle.
    bundle = json.loads(export_bundle(client, diary.patient_id).get_data())
    in_bundle = {e["resource"]["id"] for e in bundle["entry"]}
    in_files = {x["id"] for kind in parsed.values() for x in kind}
    assert in_bundle <= in_files
    assert len(parsed["Observation"]) == sum(
        1 for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    assert ("export.clinic.fhir", "user", str(diary.clinician_id), None) in audit_actions(app)


def test_records_pages_link_the_fhir_exports_and_the_template(diary, client):  # noqa: F811
    html = client.get(f"/clinic/patients/{diary.patient_id}/records").get_data(as_text=True)
    assert f'action="/clinic/patients/{diary.patient_id}/export-fhir"' in html
    assert "FHIR R4 (JSON Bundle)" in html
    assert 'href="/clinic/records/entries-template.csv"' in html
    html = client.get("/clinic/export").get_data(as_text=True)
    assert 'action="/clinic/export-fhir"' in html
    assert "FHIR R4 (NDJSON, one file per resource type, zipped)" in html


def test_no_fhir_export_of_another_clinician_s_patient(diary, client, app, world):  # noqa: F811
    other = world.clinician("other@clinic.example")
    theirs = world.patient(other, name="Theirs", record="R-300")
    before = audit_actions(app)
    r = post_form(client, f"/clinic/patients/{theirs}/export-fhir",
                  token_from=f"/clinic/patients/{diary.patient_id}/records")
    assert r.status_code == 404
    assert audit_actions(app) == before


def test_patients_and_strangers_get_no_fhir_export(diary, app):  # noqa: F811
    patient = app.test_client()
    assert sign_in(patient, "pat@home.example").status_code == 302
    token = csrf_token(patient, "/diary/account")
    for url in (f"/clinic/patients/{diary.patient_id}/export-fhir", "/clinic/export-fhir"):
        assert patient.post(url, data={"csrf_token": token}).status_code == 404
    assert patient.get("/clinic/records/entries-template.csv").status_code == 404
    anonymous = app.test_client()
    assert anonymous.post("/clinic/export-fhir").status_code in (302, 400)
    r = anonymous.get("/clinic/records/entries-template.csv")
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")
    assert not [a for a in audit_actions(app) if a[0].startswith("export.")]


def test_a_fhir_export_needs_the_page_s_token(diary, client, app):  # noqa: F811
    for url in (f"/clinic/patients/{diary.patient_id}/export-fhir", "/clinic/export-fhir"):
        assert client.post(url, data={"csrf_token": "nope"}).status_code == 400
    assert not [a for a in audit_actions(app) if a[0].startswith("export.")]


# ------------------------------------------------------------------------- command line

def test_export_fhir_from_the_command_line(diary, client, runner, app, tmp_path):  # noqa: F811
    out = tmp_path / "alice.json"
    result = runner.invoke(args=["diary", "export-fhir", "--patient", "R-100", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_bytes())
    found = check_bundle(document)
    web = json.loads(export_bundle(client, diary.patient_id).get_data())
    assert set(found) == {e["resource"]["id"] for e in web["entry"]}
    folder = tmp_path / "clinic"
    result = runner.invoke(args=["diary", "export-fhir", "--clinic", "--clinician",
                                 "dr@clinic.example", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "Observation.ndjson", "Patient.ndjson", "Procedure.ndjson"]
    for path in folder.iterdir():
        for line in path.read_text().splitlines():
            MODELS[path.stem].model_validate(json.loads(line))
    observations = (folder / "Observation.ndjson").read_text().splitlines()
    assert len(observations) == sum(1 for r in found.values()
                                    if r["resourceType"] == "Observation")
    actions = [a[0] for a in audit_actions(app)]
    assert actions.count("export.fhir") == 2 and actions.count("export.clinic.fhir") == 1
    result = runner.invoke(args=["diary", "export-fhir", "--clinic", "--out", str(folder)])
    assert result.exit_code == 2 and "--clinician" in result.output
    result = runner.invoke(args=["diary", "export-fhir", "--out", str(folder)])
    assert result.exit_code == 2


# ------------------------------------------------------------------------------- the API

def test_the_api_gives_the_bundle_and_the_ndjson_to_staff(diary, app):  # noqa: F811
    raw = staff_token(app)
    api = app.test_client()
    r = api.get(f"/api/v1/patients/{diary.patient_id}/fhir", headers=bearer(raw))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/fhir+json"
    found = check_bundle(json.loads(r.get_data()))
    assert fhir.resource_id("block", diary.block_id) in found
    for kind in fhir.RESOURCE_TYPES:
        r = api.get(f"/api/v1/fhir/{kind}.ndjson", headers=bearer(raw))
        assert r.status_code == 200 and r.mimetype == "application/fhir+ndjson"
        lines = r.get_data(as_text=True).splitlines()
        assert lines
        for line in lines:
            MODELS[kind].model_validate(json.loads(line))
    assert api.get("/api/v1/fhir/Encounter.ndjson", headers=bearer(raw)).status_code == 404
    actions = [a[0] for a in audit_actions(app)]
    assert "export.fhir" in actions
    assert {f"export.clinic.fhir-{k.lower()}" for k in fhir.RESOURCE_TYPES} <= set(actions)


def test_the_api_refuses_others(diary, app, world):  # noqa: F811
    other = world.clinician("other@clinic.example")
    theirs = world.patient(other, name="Theirs", record="R-300")
    api = app.test_client()
    mine = f"/api/v1/patients/{diary.patient_id}/fhir"
    assert api.get(mine).status_code == 401
    assert api.get("/api/v1/fhir/Patient.ndjson").status_code == 401
    raw = staff_token(app, "other@clinic.example")
    assert api.get(mine, headers=bearer(raw)).status_code == 404
    lines = api.get("/api/v1/fhir/Patient.ndjson", headers=bearer(raw)).get_data(as_text=True)
    assert [json.loads(x)["id"] for x in lines.splitlines()] == [
        fhir.resource_id("patient", theirs)]
    # The patient's own phone: staff only, so not there for it.
    with app.app_context():
        patient = db.session.get(Patient, diary.patient_id)
        db.session.add(DeviceToken(user_id=patient.user_id, patient_id=patient.id,
                                   token_hash=token_hash("phone-token-" + "x" * 30),
                                   name="phone"))
        db.session.commit()
    phone = bearer("phone-token-" + "x" * 30)
    assert api.get(mine, headers=phone).status_code == 404
    assert api.get("/api/v1/fhir/Observation.ndjson", headers=phone).status_code == 404
    # A signed-in browser's cookie opens nothing.
    browser = app.test_client()
    assert sign_in(browser, "dr@clinic.example").status_code == 302
    assert browser.get(mine).status_code == 401
    assert "export.fhir" not in [a[0] for a in audit_actions(app)]
