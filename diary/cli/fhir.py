"""`flask --app wsgi diary export-fhir`: the records pages' FHIR R4 exports, scripted
(docs/fhir.md). Audited like the web's (`export.fhir`, `export.clinic.fhir`, via "cli")."""

from pathlib import Path

import click
import sqlalchemy as sa

from diary.cli.group import diary
from diary.cli.records import _clinician, _patient
from diary.data import fhir_export
from diary.data.clock import now
from diary.data.db import db
from diary.data.models import Patient
from diary.services.exports import audited

WHAT = "fhir"


@diary.command("export-fhir")
@click.option("--patient", "record", default=None,
              help="Record number (or id if none): that patient's Bundle.")
@click.option("--clinic", is_flag=True,
              help="Every patient of --clinician, as NDJSON files (one per resource type).")
@click.option("--clinician", "clinician_email", default=None,
              help="The owning clinician's email: needed with --clinic, and with --patient "
                   "when a record number is not unique.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="--patient: the Bundle's file; --clinic: a folder for the NDJSON files.")
def export_fhir(record: str | None, clinic: bool, clinician_email: str | None,
                out: Path) -> None:
    """Write a patient's FHIR R4 Bundle, or the clinic's NDJSON files (Bulk Data layout)."""
    if clinic == (record is not None):
        raise click.UsageError("Give either --patient RECORD or --clinic.")
    clinician = _clinician(clinician_email)
    if record is not None:
        patient = _patient(record, clinician)
        job = fhir_export.prepare([patient], patient.clinician_id)
        with out.open("wb") as f:
            for chunk in audited(fhir_export.bundle_chunks(job, now()), WHAT, clinician,
                                 [patient], via="cli"):
                f.write(chunk)
        click.echo(f"{out}: the FHIR Bundle of record {patient.record_label}.")
        return
    if clinician is None:
        raise click.UsageError("--clinic needs --clinician EMAIL: whose patients to export.")
    if out.exists() and not out.is_dir():
        raise click.UsageError(f"{out} is not a folder.")
    out.mkdir(parents=True, exist_ok=True)
    patients = list(db.session.scalars(
        sa.select(Patient).where(Patient.clinician_id == clinician.id).order_by(Patient.id)))
    job = fhir_export.prepare(patients, clinician.id)
    written = []

    def files():  # each file whole, then its name: the audit ends after the last one
        for name, chunks in fhir_export.ndjson_files(job, now()):
            with (out / name).open("wb") as f:
                for chunk in chunks:
                    f.write(chunk)
            yield name

    for name in audited(files(), WHAT, clinician, patients, clinic=True, via="cli"):
        written.append(name)
    click.echo(f"{out}: {', '.join(written)} ({len(patients)} patients).")
