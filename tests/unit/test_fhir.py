"""The FHIR R4 resources (diary/interchange/fhir.py, docs/fhir.md): each parses with
fhir.resources' R4B models, the Bundle's references resolve within it, and the values read
back from the JSON are the diary's."""

import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure

from diary.clinical import vocab
from diary.clinical.analysis import analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord, VisitRecord
from diary.interchange import csv_export, fhir

ROOT = Path(__file__).resolve().parents[2]
MODELS = {"Patient": Patient, "Observation": Observation, "Procedure": Procedure}
BLOCK_AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)  # 10:00 in London (BST)
NOW = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
PATIENT = fhir.PatientDetails(id=7, display_name="Alice Example", record_number="R-100",
                              treated_side="left", timezone="Europe/London")


def uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def diary():
    """A week of baseline, a positive diagnostic block with clinic temperatures, relief after
    it, every answer somewhere, a planned block and a clinic visit."""
    entries = []
    for day in range(7, 0, -1):
        entries.append(EntryRecord(
            id=uid(day), observed_at=BLOCK_AT - timedelta(days=day, hours=-8), pain=7,
            temp_treated_c=28.04, temp_other_c=29.55, colour="blue_purple", walk_pain_free_min=5,
            walk_max_min=12, touch_pain="marked", night_rest_pain=day == 7, wound="unchanged"))
    for i, (minutes, pain) in enumerate(((30, 3), (60, 2), (120, 2), (240, 3))):
        entries.append(EntryRecord(id=uid(100 + i), observed_at=BLOCK_AT + timedelta(
            minutes=minutes), pain=pain, temp_treated_c=32.4,
            side_effects=frozenset({"back_soreness", "bruising"})))
    for day in range(1, 6):
        entries.append(EntryRecord(id=uid(200 + day), observed_at=BLOCK_AT + timedelta(
            days=day, hours=8), pain=2, did_not_walk=day == 2, rescue_medication=day == 4,
            pgic="much_better" if day == 5 else None))
    # A reading in winter: the offset is +00:00 then.
    entries.insert(0, EntryRecord(id=uid(999), observed_at=datetime(2025, 1, 10, 12, 0,
                                                                    tzinfo=UTC), pain=5))
    blocks = [BlockRecord(id=11, performed_at=BLOCK_AT, kind="diagnostic_la", pre_pain=7,
                          temps_treated={0: 28.0, 5: 29.0, 10: 30.4, 20: 30.1},
                          temps_other={0: 28.5, 30: 28.9}),
              BlockRecord(id=12, performed_at=NOW + timedelta(days=10), kind="neurolysis")]
    visits = [VisitRecord(id=5, visited_on=date(2025, 5, 20), fontaine="iii"),
              VisitRecord(id=6, visited_on=date(2025, 5, 27), fontaine=None)]
    extras = {uid(7): fhir.EntryExtras(utc_offset_min=60, feels="colder", swelling="mild",
                                       sweating="less")}
    block_extras = {11: fhir.BlockExtras(utc_offset_min=60, side="left", level="L3",
                                         agent="Bupivacaine 0.25%", volume_ml=10.0)}
    return entries, blocks, visits, extras, block_extras


def resources(patient=PATIENT):
    entries, blocks, visits, extras, block_extras = diary()
    result = analyse_patient(entries, blocks, None, patient.timezone, NOW, visits)
    return list(fhir.patient_resources(patient, entries, blocks, visits, result, NOW, extras,
                                       block_extras))


def references(node):
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def by_id(found):
    return {r["id"]: r for r in found}


def test_every_resource_and_the_bundle_parse_with_the_r4b_models():
    found = resources()
    kinds = {r["resourceType"] for r in found}
    assert kinds == {"Patient", "Procedure", "Observation"}
    for r in found:
        MODELS[r["resourceType"]].model_validate(r)
    document = json.loads(fhir.bundle_json(fhir.bundle(found, "b-1", NOW)))
    parsed = Bundle.model_validate(document)
    assert parsed.type == "collection" and len(parsed.entry) == len(found)
    assert document["timestamp"] == "2025-06-15T10:30:00Z"


def test_every_reference_resolves_within_the_bundle():
    document = fhir.bundle(resources(), "b-1", NOW, base_url="https://clinic.example/fhir/")
    full_urls = {e["fullUrl"] for e in document["entry"]}
    assert len(full_urls) == len(document["entry"])  # ids are unique
    refs = list(references(document))
    assert len(refs) > 50
    for reference in refs:
        assert re.fullmatch(r"(Patient|Procedure|Observation)/[0-9a-f-]{36}", reference)
        # FHIR: a relative reference resolves against the base of the entry's fullUrl.
        assert f"https://clinic.example/fhir/{reference}" in full_urls, reference


def test_ids_are_stable_from_the_diary_ids():
    first, again = resources(), resources()
    assert [r["id"] for r in first] == [r["id"] for r in again]
    assert by_id(first)[fhir.resource_id("entry", uid(7), "pain")]["valueQuantity"]["value"] == 7
    assert fhir.resource_id("block", 11) != fhir.resource_id("block", 12)


def test_the_patient_has_its_record_number_and_name_only():
    (patient,) = [r for r in resources() if r["resourceType"] == "Patient"]
    assert patient["identifier"] == [{"use": "usual", "system": fhir.RECORD_SYSTEM,
                                      "value": "R-100"}]
    assert patient["name"] == [{"use": "usual", "text": "Alice Example"}]
    assert set(patient) == {"resourceType", "id", "identifier", "active", "name"}
    custom = fhir.patient_resource(PATIENT, record_system="urn:oid:1.2.3")
    assert custom["identifier"][0]["system"] == "urn:oid:1.2.3"
    nameless = fhir.patient_resource(fhir.PatientDetails(9, "Bob", None, "right", "UTC"))
    assert nameless["identifier"][0] == {"use": "secondary", "system": fhir.PATIENT_ID_SYSTEM,
                                         "value": "9"}


def _observations(found, code):
    return [r for r in found if r["resourceType"] == "Observation"
            and any(c["code"] == code for c in r["code"]["coding"])]


def test_values_read_back_equal_the_diary_s():
    found = resources()
    entries, blocks, visits, extras, _ = diary()
    pains = {r["id"]: r for r in _observations(found, "72514-3")}
    for e in entries:
        obs = pains[fhir.resource_id("entry", e.id, "pain")]
        assert obs["valueQuantity"] == {"value": e.pain, "unit": "score",
                                        "system": "http://unitsofmeasure.org", "code": "{score}"}
        assert datetime.fromisoformat(obs["effectiveDateTime"]) == e.observed_at.replace(
            microsecond=0)
        assert obs["category"][0]["coding"][0]["code"] == "survey"
    # Times carry the offset the patient had: given (+01:00), or the zone's (winter +00:00).
    assert pains[fhir.resource_id("entry", uid(7), "pain")]["effectiveDateTime"] == (
        "2025-05-25T18:00:00+01:00")
    assert pains[fhir.resource_id("entry", uid(999), "pain")]["effectiveDateTime"] == (
        "2025-01-10T12:00:00+00:00")
    temps = _observations(found, "8310-5")
    assert temps == _observations(found, "61008-9")  # both codings on every one
    ours = by_id(temps)
    for e in entries:
        for role, value, foot in (("treated", e.temp_treated_c, "22335008"),
                                  ("other", e.temp_other_c, "7769000")):
            rid = fhir.resource_id("entry", e.id, f"temp-{role}")
            if value is None:
                assert rid not in ours
                continue
            obs = ours[rid]
            # To 0.1 °C, as the CSV export writes it (29.55 -> 29.6).
            assert obs["valueQuantity"]["value"] == float(csv_export.one_decimal(value))
            assert abs(obs["valueQuantity"]["value"] - value) <= 0.05 + 1e-9
            assert obs["valueQuantity"]["code"] == "Cel"
            assert obs["bodySite"]["coding"][0] == {**fhir.FOOT[
                "left" if role == "treated" else "right"], "code": foot}
            assert obs["extension"] == [{"url": fhir.EXT_FOOT_ROLE, "valueCode": role}]
    assert ours[fhir.resource_id("entry", uid(7), "temp-treated")]["valueQuantity"][
        "value"] == 28.0
    # The answers: their local codes, from the diary's vocabulary.
    one = [r for r in found if r["resourceType"] == "Observation"
           and r.get("effectiveDateTime") == "2025-05-25T18:00:00+01:00"]
    coded = {r["code"]["coding"][0]["code"]: r.get("valueCodeableConcept", {}).get(
        "coding", [{}])[0].get("code", r.get("valueQuantity", {}).get(
            "value", r.get("valueBoolean"))) for r in one if r["code"]["coding"][0][
        "system"] == fhir.CS_ITEM}
    assert coded == {"colour": "blue_purple", "feels": "colder", "swelling": "mild",
                     "sweating": "less", "touch-pain": "marked", "wound": "unchanged",
                     "walk-pain-free": 5, "walk-max": 12, "night-rest-pain": True}
    effects = sorted(r["valueCodeableConcept"]["coding"][0]["code"]
                     for r in _observations(found, "side-effect")
                     if r["effectiveDateTime"].startswith("2025-06-01T10:30"))
    assert effects == ["back_soreness", "bruising"]
    assert len(_observations(found, "rescue-medication")) == 1
    assert len(_observations(found, "did-not-walk")) == 1
    (pgic,) = _observations(found, "pgic")
    assert pgic["valueCodeableConcept"]["coding"][0]["system"] == fhir.CS_PGIC
    (stage,) = _observations(found, "fontaine-stage")
    assert stage["effectiveDateTime"] == "2025-05-20"
    assert stage["valueCodeableConcept"]["coding"][0]["code"] == "iii"


def test_a_block_is_a_procedure_with_its_clinic_readings():
    found = by_id(resources())
    done = found[fhir.resource_id("block", 11)]
    assert done["status"] == "completed"
    assert done["performedDateTime"] == "2025-06-01T10:00:00+01:00"
    assert done["code"]["coding"] == [{"system": fhir.CS_BLOCK_KIND, "code": "diagnostic_la",
                                       "display": vocab.BLOCK_KINDS["diagnostic_la"]}]
    assert done["bodySite"][0]["coding"][0]["code"] == "left"
    assert done["note"] == [{"text": "Level L3; agent Bupivacaine 0.25%; volume 10 ml"}]
    planned = found[fhir.resource_id("block", 12)]
    assert planned["status"] == "preparation"  # still to come: never "not-done"
    peak = found[fhir.resource_id("block", 11, "temp-treated", 10)]
    assert peak["valueQuantity"]["value"] == 30.4
    assert peak["effectiveDateTime"] == "2025-06-01T10:10:00+01:00"
    assert peak["partOf"] == [{"reference": f"Procedure/{done['id']}"}]
    pre = found[fhir.resource_id("block", 11, "pre-pain")]
    assert pre["valueQuantity"]["value"] == 7


def test_the_verdict_references_its_block_and_the_readings_it_used():
    entries, blocks, visits, *_ = diary()
    result = analyse_patient(entries, blocks, None, "Europe/London", NOW, visits)
    found = by_id(resources())
    verdict = found[fhir.resource_id("block", 11, "verdict")]
    assert verdict["valueCodeableConcept"]["coding"][0] == {
        "system": fhir.CS_VERDICT, "code": result.blocks[0].verdict,
        "display": result.blocks[0].verdict.capitalize()}
    assert result.blocks[0].verdict == "positive"
    block_ref = {"reference": f"Procedure/{fhir.resource_id('block', 11)}"}
    assert verdict["focus"] == verdict["partOf"] == [block_ref]
    used = {r["reference"] for r in verdict["derivedFrom"]}
    window = {f"Observation/{fhir.resource_id('entry', uid(100 + i), 'pain')}" for i in range(4)}
    assert window <= used
    assert f"Observation/{fhir.resource_id('entry', uid(1), 'pain')}" not in used
    assert f"Observation/{fhir.resource_id('block', 11, 'temp-treated', 10)}" in used
    parts = {c["code"]["coding"][0]["code"]: c for c in verdict["component"]}
    assert parts["technical-success"]["valueCodeableConcept"]["coding"][0]["code"] == (
        result.blocks[0].technical.grade)
    assert parts["peak-relief"]["valueQuantity"]["value"] == pytest.approx(
        result.blocks[0].peak.relief_pct, abs=0.05)
    assert verdict["note"] == [{"text": result.blocks[0].explanation}]
    assert fhir.resource_id("block", 12, "verdict") not in found  # planned: no verdict


def test_without_an_analysis_there_is_no_verdict_and_types_can_be_chosen():
    entries, blocks, visits, *_ = diary()
    only = list(fhir.patient_resources(PATIENT, entries, blocks, visits, None, NOW,
                                       types=("Procedure",)))
    assert [r["resourceType"] for r in only] == ["Procedure", "Procedure"]
    found = list(fhir.patient_resources(PATIENT, entries, blocks, visits, None, NOW))
    assert not _observations(found, "block-verdict")


def test_ndjson_lines_and_the_streamed_zip():
    found = resources()
    lines = "".join(fhir.ndjson_line(r) for r in found)
    assert lines.count("\n") == len(found)
    assert [json.loads(line) for line in lines.splitlines()] == found
    members = [("Patient.ndjson", [b"a\n", b"b\n"]), ("Observation.ndjson", iter([b"c\n"])),
               ("Procedure.ndjson", [])]
    data = b"".join(fhir.zip_stream(members))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["Patient.ndjson", "Observation.ndjson", "Procedure.ndjson"]
        assert archive.read("Patient.ndjson") == b"a\nb\n"
        assert archive.read("Procedure.ndjson") == b""


def test_the_module_uses_no_fhir_library_at_run_time():
    code = ("import sys, diary.interchange.fhir\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fhir', 'fhir_core')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_docs_list_every_local_code_system_and_code():
    text = (ROOT / "docs" / "fhir.md").read_text()
    for system, codes in fhir.CODE_SYSTEMS.items():
        assert system in text, system
        for code in codes:
            assert f"`{code}`" in text, (system, code)
    for code in ("72514-3", "8310-5", "61008-9", "22335008", "7769000", "{score}", "Cel",
                 fhir.RECORD_SYSTEM, fhir.EXT_FOOT_ROLE):
        assert code in text, code
