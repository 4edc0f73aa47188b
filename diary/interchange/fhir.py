"""FHIR R4 resources from a patient's diary, as plain dicts (docs/fhir.md). Plain Python.

`diary.data.fhir_export` loads the records (`EntryRecord`, `BlockRecord`, `VisitRecord`, the
few columns they do not carry in `EntryExtras` / `BlockExtras`, and the analysis) and hands
them here; nothing here knows of Flask or the database, and no FHIR library is used at run
time (the tests check every resource with `fhir.resources`' R4B models).

- **Ids** are UUID 5 of the diary's own ids (`resource_id`): the same diary row gives the same
  resource id in every export, so a receiver can update rather than duplicate.
- **References** are relative (`Patient/<id>`), as the Bulk Data files need. In the Bundle each
  entry's `fullUrl` is `<base>/<type>/<id>`, so every reference resolves within the Bundle by
  FHIR's rule for relative references (against the base of the entry's fullUrl).
- **Times** carry the UTC offset the patient had (the diary's `utc_offset_min`), as the CSV
  export does; a visit is a date.
- **Codes**: LOINC and SNOMED CT where we are sure of the code; every other item and answer is
  a code of one of our local CodeSystems under `LOCAL`, whose codes are the diary's own stored
  codes (`diary.clinical.vocab`), which are never renamed.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from diary.clinical import vocab
from diary.clinical.records import BlockRecord, EntryRecord, VisitRecord

# ----------------------------------------------------------------------------- systems

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

LOCAL = "https://block-diary.example/fhir"          # our own CodeSystems and extensions
CS_ITEM = f"{LOCAL}/CodeSystem/diary-item"         # what an Observation is about
CS_COLOUR = f"{LOCAL}/CodeSystem/colour"
CS_FEELS = f"{LOCAL}/CodeSystem/feels"
CS_SWELLING = f"{LOCAL}/CodeSystem/swelling"
CS_SWEATING = f"{LOCAL}/CodeSystem/sweating"
CS_SIDE_EFFECT = f"{LOCAL}/CodeSystem/side-effect"
CS_TOUCH_PAIN = f"{LOCAL}/CodeSystem/touch-pain"
CS_WOUND = f"{LOCAL}/CodeSystem/wound"
CS_PGIC = f"{LOCAL}/CodeSystem/pgic"
CS_FONTAINE = f"{LOCAL}/CodeSystem/fontaine-stage"
CS_BLOCK_KIND = f"{LOCAL}/CodeSystem/block-kind"
CS_SIDE = f"{LOCAL}/CodeSystem/side"
CS_VERDICT = f"{LOCAL}/CodeSystem/verdict"
CS_TECHNICAL = f"{LOCAL}/CodeSystem/technical-success"
EXT_FOOT_ROLE = f"{LOCAL}/StructureDefinition/foot-role"  # valueCode: treated | other

# The patient's record number. A clinic may name its own (config FHIR_RECORD_SYSTEM).
RECORD_SYSTEM = "urn:block-diary:record-number"
PATIENT_ID_SYSTEM = "urn:block-diary:patient-id"   # only for a patient with no record number
BASE_URL = f"{LOCAL}/r4"   # the Bundle's fullUrl base (config FHIR_BASE_URL)

# UUID 5 namespace of every resource id: uuid5(NAMESPACE_URL, LOCAL). Never change it.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, LOCAL)

PAIN_CODE = {"system": LOINC, "code": "72514-3",
             "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
BODY_TEMP = {"system": LOINC, "code": "8310-5", "display": "Body temperature"}
SURFACE_TEMP = {"system": LOINC, "code": "61008-9", "display": "Body surface temperature"}
FOOT = {"left": {"system": SNOMED, "code": "22335008", "display": "Left foot structure"},
        "right": {"system": SNOMED, "code": "7769000", "display": "Right foot structure"}}

SCORE = {"unit": "score", "system": UCUM, "code": "{score}"}
CELSIUS = {"unit": "°C", "system": UCUM, "code": "Cel"}
MINUTES = {"unit": "min", "system": UCUM, "code": "min"}
PERCENT = {"unit": "%", "system": UCUM, "code": "%"}

# The local items (CS_ITEM): code -> display.
ITEMS = {
    "colour": "Colour of the treated foot",
    "feels": "The treated foot compared with the other",
    "swelling": "Swelling of the treated foot",
    "sweating": "Sweating of the treated foot",
    "walk-pain-free": "Minutes walked before the leg hurt",
    "walk-max": "Minutes walked before having to stop",
    "did-not-walk": "Did not walk today",
    "side-effect": "Side effect since the block",
    "rescue-medication": "Took extra pain medicine since the last entry",
    "touch-pain": "Light touch on the foot hurts (allodynia)",
    "night-rest-pain": "Rest pain at night",
    "wound": "Wound or ulcer on the treated foot",
    "pgic": "Patient Global Impression of Change",
    "fontaine-stage": "Fontaine stage of peripheral arterial disease",
    "block-verdict": "Anaesthetic-window verdict of a block",
    "technical-success": "Did the sympathetic block take (clinic temperatures)",
    "temp-rise": "Treated-foot temperature rise after the block",
    "peak-relief": "Peak pain relief in the window",
    "baseline-b0": "Pre-block pain (B0)",
    "baseline-b7": "Mean daily pain over the 7 days before the block (B7)",
    "prolonged": "Relief of 50 % or more still present 24 h after the window",
    "somatic-spread": "Somatic spread (leg numbness or weakness) seen in clinic",
}

# Coded diary answers: field -> (item code, CodeSystem, the vocabulary).
CODED = {
    "colour": ("colour", CS_COLOUR, vocab.COLOURS),
    "feels": ("feels", CS_FEELS, vocab.FEELS),
    "swelling": ("swelling", CS_SWELLING, vocab.SWELLING),
    "sweating": ("sweating", CS_SWEATING, vocab.SWEATING),
    "touch_pain": ("touch-pain", CS_TOUCH_PAIN, vocab.TOUCH_PAIN),
    "wound": ("wound", CS_WOUND, vocab.WOUND),
    "pgic": ("pgic", CS_PGIC, vocab.PGIC),
}
# The answers about the treated foot: their Observation names it as bodySite.
ABOUT_TREATED_FOOT = frozenset({"colour", "feels", "swelling", "sweating", "touch_pain", "wound"})

# Every local CodeSystem with its codes (docs/fhir.md lists them; a test checks it does).
CODE_SYSTEMS: dict[str, Mapping[str, str]] = {
    CS_ITEM: ITEMS, CS_COLOUR: vocab.COLOURS, CS_FEELS: vocab.FEELS,
    CS_SWELLING: vocab.SWELLING, CS_SWEATING: vocab.SWEATING,
    CS_SIDE_EFFECT: vocab.SIDE_EFFECTS, CS_TOUCH_PAIN: vocab.TOUCH_PAIN, CS_WOUND: vocab.WOUND,
    CS_PGIC: vocab.PGIC, CS_FONTAINE: vocab.FONTAINE, CS_BLOCK_KIND: vocab.BLOCK_KINDS,
    CS_SIDE: vocab.SIDES, CS_VERDICT: {v: v.capitalize() for v in vocab.VERDICTS},
    CS_TECHNICAL: {t: t.replace("_", " ").capitalize() for t in vocab.TECHNICAL_SUCCESS},
}

# The resource types the export writes, in the order of the Bulk Data files.
RESOURCE_TYPES = ("Patient", "Procedure", "Observation")


# ------------------------------------------------------------------------------ inputs

@dataclass(frozen=True)
class PatientDetails:
    id: int
    display_name: str
    record_number: str | None
    treated_side: str                # vocab.SIDES code
    timezone: str
    active: bool = True              # not archived


@dataclass(frozen=True)
class EntryExtras:
    """What an entry has beyond `EntryRecord` (the analysis does not read these)."""
    utc_offset_min: int | None = None    # None: the patient's zone at that moment
    feels: str | None = None
    swelling: str | None = None
    sweating: str | None = None
    # Who entered it when not the patient themself (a nurse or consultant on their behalf, or
    # a clinician's import), by name; None: the patient.
    entered_by: str | None = None


@dataclass(frozen=True)
class BlockExtras:
    """What a block has beyond `BlockRecord`."""
    utc_offset_min: int | None = None
    side: str | None = None              # vocab.SIDES code; None: the patient's treated side
    level: str = ""
    agent: str = ""
    volume_ml: float | None = None


# ----------------------------------------------------------------------------- helpers

def resource_id(*parts: object) -> str:
    """The stable id of the resource for a diary row (and which of its resources)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def ref(resource_type: str, rid: str) -> dict:
    return {"reference": f"{resource_type}/{rid}"}


def fhir_time(value: datetime, offset_min: int | None, tz: str) -> str:
    """An aware time as FHIR dateTime to the second, with the patient's offset at the time."""
    if offset_min is None:
        offset = value.astimezone(ZoneInfo(tz)).utcoffset() or timedelta()
    else:
        offset = timedelta(minutes=offset_min)
    local = value.astimezone(UTC).replace(tzinfo=None) + offset
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    return f"{local.isoformat(timespec='seconds')}{sign}{h:02d}:{m:02d}"


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict:
    concept: dict = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def _item(code: str) -> dict:
    return _concept(CS_ITEM, code, ITEMS[code])


def _category(code: str, display: str) -> list[dict]:
    return [_concept(OBSERVATION_CATEGORY, code, display)]


SURVEY = ("survey", "Survey")
VITAL_SIGNS = ("vital-signs", "Vital Signs")
EXAM = ("exam", "Exam")
PROCEDURE = ("procedure", "Procedure")


def _quantity(value: float, unit: Mapping[str, str]) -> dict:
    return {"value": value, **unit}


def _feet(side: str | None) -> tuple[str, str]:
    """(foot of the treated reading, foot of the other one). Both sides, or a side not known:
    the left foot's reading is the treated one, as the diary's forms put it."""
    return ("right", "left") if side == "right" else ("left", "right")


# --------------------------------------------------------------------------- resources

def patient_resource(p: PatientDetails, record_system: str = RECORD_SYSTEM) -> dict:
    if p.record_number:
        identifier = {"use": "usual", "system": record_system, "value": p.record_number}
    else:
        identifier = {"use": "secondary", "system": PATIENT_ID_SYSTEM, "value": str(p.id)}
    return {"resourceType": "Patient", "id": resource_id("patient", p.id),
            "identifier": [identifier], "active": p.active,
            "name": [{"use": "usual", "text": p.display_name}]}


def _observation(rid: str, patient_ref: dict, code: dict, when: str, category=SURVEY,
                 **fields) -> dict:
    obs = {"resourceType": "Observation", "id": rid, "status": "final",
           "category": _category(*category) if category else None, "code": code,
           "subject": patient_ref, "effectiveDateTime": when, **fields}
    return {k: v for k, v in obs.items() if v is not None}


def _temperature(rid: str, patient_ref: dict, when: str, celsius: float, foot: str, role: str,
                 **fields) -> dict:
    return _observation(
        rid, patient_ref,
        {"coding": [BODY_TEMP, SURFACE_TEMP], "text": "Skin temperature of the foot"},
        when, VITAL_SIGNS, valueQuantity=_quantity(round(celsius, 1), CELSIUS),
        bodySite={"coding": [FOOT[foot]], "text": f"{foot.capitalize()} foot"},
        extension=[{"url": EXT_FOOT_ROLE, "valueCode": role}],
        note=[{"text": f"{'Treated' if role == 'treated' else 'Other'} foot"}], **fields)


def entry_observations(e: EntryRecord, x: EntryExtras, patient: PatientDetails) -> list[dict]:
    """Every Observation of one diary entry: pain, each foot's temperature, each answer."""
    pid = resource_id("patient", patient.id)
    pref = ref("Patient", pid)
    when = fhir_time(e.observed_at, x.utc_offset_min, patient.timezone)
    out = [_observation(resource_id("entry", e.id, "pain"), pref,
                        {"coding": [PAIN_CODE], "text": "Pain now (0-10)"}, when,
                        valueQuantity=_quantity(e.pain, SCORE))]
    treated_foot, other_foot = _feet(patient.treated_side)
    for role, foot, value in (("treated", treated_foot, e.temp_treated_c),
                              ("other", other_foot, e.temp_other_c)):
        if value is not None:
            out.append(_temperature(resource_id("entry", e.id, f"temp-{role}"), pref, when,
                                    value, foot, role))
    site = None
    if patient.treated_side in FOOT:
        site = {"coding": [FOOT[patient.treated_side]],
                "text": f"{patient.treated_side.capitalize()} foot"}
    answers = {"colour": e.colour, "feels": x.feels, "swelling": x.swelling,
               "sweating": x.sweating, "touch_pain": e.touch_pain, "wound": e.wound,
               "pgic": e.pgic}
    for field, value in answers.items():
        if value is None:
            continue
        item, system, words = CODED[field]
        out.append(_observation(
            resource_id("entry", e.id, item), pref, _item(item), when,
            valueCodeableConcept=_concept(system, value, words[value]),
            bodySite=site if field in ABOUT_TREATED_FOOT else None))
    for item, minutes in (("walk-pain-free", e.walk_pain_free_min),
                          ("walk-max", e.walk_max_min)):
        if minutes is not None:
            out.append(_observation(resource_id("entry", e.id, item), pref, _item(item), when,
                                    valueQuantity=_quantity(minutes, MINUTES)))
    if e.did_not_walk:
        out.append(_observation(resource_id("entry", e.id, "did-not-walk"), pref,
                                _item("did-not-walk"), when, valueBoolean=True))
    for effect in sorted(e.side_effects):
        out.append(_observation(
            resource_id("entry", e.id, "side-effect", effect), pref, _item("side-effect"), when,
            valueCodeableConcept=_concept(CS_SIDE_EFFECT, effect, vocab.SIDE_EFFECTS[effect])))
    if e.rescue_medication:
        out.append(_observation(resource_id("entry", e.id, "rescue-medication"), pref,
                                _item("rescue-medication"), when, valueBoolean=True))
    if e.night_rest_pain is not None:
        out.append(_observation(resource_id("entry", e.id, "night-rest-pain"), pref,
                                _item("night-rest-pain"), when,
                                valueBoolean=bool(e.night_rest_pain)))
    # The patient reported it, or a staff member entered it for them (a display only: the
    # export holds no Practitioner resources for a reference to resolve to).
    by = {"type": "Practitioner", "display": x.entered_by} if x.entered_by else pref
    for obs in out:
        obs["performer"] = [dict(by)]
    return out


def procedure(b: BlockRecord, x: BlockExtras, patient: PatientDetails, now: datetime) -> dict:
    """A block. One still to come (after `now`) is `preparation`, never `not-done` (which
    would say it was not performed)."""
    side = x.side or patient.treated_side
    words = f"{vocab.SIDES.get(side, side)} lumbar sympathetic chain"
    proc = {
        "resourceType": "Procedure", "id": resource_id("block", b.id),
        "status": "preparation" if b.performed_at > now else "completed",
        "code": _concept(CS_BLOCK_KIND, b.kind, vocab.BLOCK_KINDS[b.kind],
                         f"Lumbar sympathetic block: {vocab.BLOCK_KINDS[b.kind]}"),
        "subject": ref("Patient", resource_id("patient", patient.id)),
        "performedDateTime": fhir_time(b.performed_at, x.utc_offset_min, patient.timezone),
        "bodySite": [_concept(CS_SIDE, side, vocab.SIDES.get(side, side), words)],
    }
    if b.somatic_spread:
        proc["complication"] = [_item("somatic-spread")]
    details = [part for part in (
        f"Level {x.level}" if x.level else "", f"agent {x.agent}" if x.agent else "",
        f"volume {x.volume_ml:g} ml" if x.volume_ml is not None else "") if part]
    if details:
        proc["note"] = [{"text": "; ".join(details)}]
    return proc


def block_observations(b: BlockRecord, x: BlockExtras, patient: PatientDetails) -> list[dict]:
    """The clinic's readings of a block: pre-block pain, and each foot's temperature before
    it and at each minute after, `partOf` the Procedure."""
    pref = ref("Patient", resource_id("patient", patient.id))
    part_of = [ref("Procedure", resource_id("block", b.id))]
    at = fhir_time(b.performed_at, x.utc_offset_min, patient.timezone)
    out = []
    if b.pre_pain is not None:
        out.append(_observation(resource_id("block", b.id, "pre-pain"), pref,
                                {"coding": [PAIN_CODE], "text": "Pain before the block"}, at,
                                valueQuantity=_quantity(b.pre_pain, SCORE), partOf=part_of))
    treated_foot, other_foot = _feet(x.side or patient.treated_side)
    for role, foot, temps in (("treated", treated_foot, b.temps_treated),
                              ("other", other_foot, b.temps_other)):
        for minute in sorted(temps):
            when = fhir_time(b.performed_at + timedelta(minutes=minute), x.utc_offset_min,
                             patient.timezone)
            out.append(_temperature(resource_id("block", b.id, f"temp-{role}", minute), pref,
                                    when, temps[minute], foot, role, partOf=part_of))
    return out


def visit_observation(v: VisitRecord, patient: PatientDetails) -> dict | None:
    if v.fontaine is None:
        return None
    return _observation(
        resource_id("visit", v.id, "fontaine"), ref("Patient", resource_id("patient", patient.id)),
        _item("fontaine-stage"), v.visited_on.isoformat(), EXAM,
        valueCodeableConcept=_concept(CS_FONTAINE, v.fontaine, vocab.FONTAINE[v.fontaine]))


def _window_entries(a, entries: Sequence[EntryRecord], next_at: datetime | None
                    ) -> list[EntryRecord]:
    """The diary readings the verdict read: from the block to the end of its window (the
    first minutes too: they are checked for side effects and extra medicine)."""
    return [e for e in entries if a.block.performed_at <= e.observed_at <= a.window_end
            and (next_at is None or e.observed_at < next_at)]


def verdict_observation(a, entries: Sequence[EntryRecord], x: BlockExtras,
                        patient: PatientDetails, next_at: datetime | None) -> dict | None:
    """The verdict of a block (`BlockAnalysis`) as an Observation: `focus` and `partOf` its
    Procedure, `derivedFrom` the readings it used. None while planned or pending."""
    if a.verdict is None:
        return None
    b = a.block
    block_ref = ref("Procedure", resource_id("block", b.id))
    used = [ref("Observation", resource_id("entry", e.id, "pain"))
            for e in _window_entries(a, entries, next_at)]
    if b.pre_pain is not None:
        used.insert(0, ref("Observation", resource_id("block", b.id, "pre-pain")))
    for role, temps in (("treated", b.temps_treated), ("other", b.temps_other)):
        used.extend(ref("Observation", resource_id("block", b.id, f"temp-{role}", m))
                    for m in sorted(temps))
    components = [{"code": _item("technical-success"),
                   "valueCodeableConcept": _concept(
                       CS_TECHNICAL, a.technical.grade, CODE_SYSTEMS[CS_TECHNICAL][
                           a.technical.grade])}]
    for item, value, unit in (("temp-rise", a.technical.rise_c, CELSIUS),
                              ("peak-relief", a.peak.relief_pct, PERCENT),
                              ("baseline-b0", a.baseline.b0, SCORE),
                              ("baseline-b7", a.baseline.b7, SCORE)):
        if value is not None:
            components.append({"code": _item(item),
                               "valueQuantity": _quantity(round(value, 1), unit)})
    if a.prolonged is not None and a.prolonged.relief_pct is not None:
        components.append({"code": _item("prolonged"), "valueBoolean": bool(a.prolonged.present)})
    return _observation(
        resource_id("block", b.id, "verdict"), ref("Patient", resource_id("patient", patient.id)),
        _item("block-verdict"), fhir_time(a.window_end, x.utc_offset_min, patient.timezone),
        PROCEDURE, focus=[block_ref], partOf=[block_ref], derivedFrom=used or None,
        valueCodeableConcept=_concept(CS_VERDICT, a.verdict, CODE_SYSTEMS[CS_VERDICT][a.verdict]),
        method={"text": "Block Diary's rule (docs/clinical.md §3) with the clinic's settings; "
                        "the consultant decides."},
        component=components, note=[{"text": a.explanation}] if a.explanation else None)


def patient_resources(patient: PatientDetails, entries: Sequence[EntryRecord],
                      blocks: Sequence[BlockRecord], visits: Iterable[VisitRecord] = (),
                      analysis=None, now: datetime | None = None,
                      entry_extras: Mapping[str, EntryExtras] | None = None,
                      block_extras: Mapping[int, BlockExtras] | None = None,
                      record_system: str = RECORD_SYSTEM,
                      types: Iterable[str] = RESOURCE_TYPES) -> Iterator[dict]:
    """Every resource of one patient, of the `types` asked for: the Patient, the blocks
    (Procedure), then the Observations (each entry's, each block's clinic readings and
    verdict, each visit's Fontaine stage). `analysis` is `analyse_patient`'s result for the
    same records (no verdicts without it)."""
    types = set(types)
    now = now or (analysis.now if analysis is not None else datetime.now(UTC))
    entry_extras = entry_extras or {}
    block_extras = block_extras or {}
    none_e, none_b = EntryExtras(), BlockExtras()
    ordered = sorted(blocks, key=lambda b: (b.performed_at, b.id))
    if "Patient" in types:
        yield patient_resource(patient, record_system)
    if "Procedure" in types:
        for b in ordered:
            yield procedure(b, block_extras.get(b.id, none_b), patient, now)
    if "Observation" not in types:
        return
    for e in entries:
        yield from entry_observations(e, entry_extras.get(e.id, none_e), patient)
    for b in ordered:
        yield from block_observations(b, block_extras.get(b.id, none_b), patient)
    if analysis is not None:
        starts = [b.performed_at for b in ordered]
        for i, a in enumerate(sorted(analysis.blocks,
                                     key=lambda a: (a.block.performed_at, a.block.id))):
            next_at = starts[i + 1] if i + 1 < len(starts) else None
            obs = verdict_observation(a, entries, block_extras.get(a.block.id, none_b),
                                      patient, next_at)
            if obs is not None:
                yield obs
    for v in visits:
        obs = visit_observation(v, patient)
        if obs is not None:
            yield obs


# ------------------------------------------------------------------------------ files

def bundle(resources: Iterable[dict], bundle_id: str, timestamp: datetime,
           base_url: str = BASE_URL) -> dict:
    """A `collection` Bundle; fullUrl `<base>/<type>/<id>`, so relative references resolve."""
    base = base_url.rstrip("/")
    entries = [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r}
               for r in resources]
    out = {"resourceType": "Bundle", "id": bundle_id, "type": "collection",
           "timestamp": instant(timestamp)}
    if entries:  # FHIR JSON has no empty arrays
        out["entry"] = entries
    return out


def bundle_json(b: dict) -> bytes:
    return (json.dumps(b, ensure_ascii=False, indent=1) + "\n").encode()


def ndjson_line(resource: dict) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"


def ndjson_name(resource_type: str) -> str:
    return f"{resource_type}.ndjson"


class _Sink(io.RawIOBase):
    """A write-only, unseekable file that hands back what was written to it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.parts.append(bytes(b))
        return len(b)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_stream(members: Iterable[tuple[str, Iterable[bytes]]]) -> Iterator[bytes]:
    """A zip of the members (name, chunks), made as it goes: each member is written as its
    chunks come (deflated, with data descriptors, as zip allows for an unseekable file), so
    no file is held whole in memory."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, mode="w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    if (data := sink.take()):
                        yield data
            if (data := sink.take()):
                yield data
    if (data := sink.take()):
        yield data
