"""`flask --app wsgi diary export-csv / import-csv`: the web's CSV exports and imports, scripted."""

import click
import sqlalchemy as sa

from diary.cli.group import diary
from diary.data.clock import now
from diary.data.db import db
from diary.data.exports import WHATS, chunks, prepare
from diary.data.models import Patient, User
from diary.interchange.csv_import import MAX_FILE_BYTES
from diary.services import imports as imports_db
from diary.services.exports import audited


def _clinician(email: str | None) -> User | None:
    if email is None:
        return None
    user = db.session.scalar(sa.select(User).where(
        User.email == email.strip().lower(), User.role == "staff"))
    if user is None:
        raise click.UsageError(f"No clinician {email}.")
    return user


def _patient(record: str, clinician: User | None) -> Patient:
    """The patient whose record label (record number, else id) is `record`."""
    mine = [Patient.clinician_id == clinician.id] if clinician is not None else []
    found = list(db.session.scalars(sa.select(Patient).where(
        Patient.record_number == record, *mine)))
    if not found and record.isascii() and record.isdigit():
        found = list(db.session.scalars(sa.select(Patient).where(
            Patient.id == int(record), Patient.record_number.is_(None), *mine)))
    if not found:
        owner = f" of {clinician.email}" if clinician is not None else ""
        raise click.UsageError(f"No patient{owner} with record {record}.")
    if len(found) > 1:
        raise click.UsageError(f"Several clinicians have a patient with record {record}: "
                               "say whose with --clinician.")
    return found[0]


@diary.command("export-csv")
@click.option("--patient", "record", required=True, help="Record number (or id if none).")
@click.option("--what", type=click.Choice(WHATS), default="entries", show_default=True)
@click.option("--clinician", "clinician_email", default=None,
              help="The owning clinician's email (needed when a record number is not unique).")
@click.option("--include-deleted", is_flag=True, help="Add deleted rows and a deleted_at column.")
def export_csv(record: str, what: str, clinician_email: str | None,
               include_deleted: bool) -> None:
    """Write one patient's CSV export to standard output (the same file as the web's)."""
    clinician = _clinician(clinician_email)
    patient = _patient(record, clinician)
    job = prepare(what, [patient], patient.clinician_id, include_deleted=include_deleted)
    for chunk in audited(chunks(job, now()), what, clinician, [patient],
                         include_deleted=job.include_deleted, via="cli"):
        click.echo(chunk, nl=False)  # bytes go to stdout as they are: BOM, UTF-8, CRLF


@diary.command("import-csv")
@click.option("--patient", "record", required=True, help="Record number (or id if none).")
@click.option("--clinician", "clinician_email", required=True,
              help="The importing clinician, who must own the patient.")
@click.option("--entries", "entries_file", type=click.File("rb"), required=True)
@click.option("--blocks", "blocks_file", type=click.File("rb"), default=None)
def import_csv(record: str, clinician_email: str, entries_file, blocks_file) -> None:
    """Import a patient's entries (and blocks): every row, or nothing if any row is wrong."""
    clinician = _clinician(clinician_email)
    patient = _patient(record, clinician)
    # One byte past the cap is enough for the import to refuse a file too large.
    most = MAX_FILE_BYTES + 1
    outcome = imports_db.import_files(
        patient, clinician, now(), entries=entries_file.read(most),
        blocks=blocks_file.read(most) if blocks_file is not None else None, via="cli")
    # The first problems of each kind and how many more: 100,000 bad rows print 101 lines.
    for warning in outcome.warnings():
        click.echo(f"note: {warning}", err=True)
    if outcome.more_warnings:
        click.echo(f"note: …and {outcome.more_warnings:,} more notes.", err=True)
    if not outcome.ok:
        for error in outcome.errors():
            click.echo(f"error: {error}", err=True)
        if outcome.more_errors:
            click.echo(f"error: …and {outcome.more_errors:,} more "
                       f"problem{'s' if outcome.more_errors != 1 else ''}.", err=True)
        count = outcome.error_count
        raise click.ClickException(f"Nothing was imported ({count:,} "
                                   f"problem{'s' if count != 1 else ''}).")
    for f in outcome.files:
        click.echo(f"{f.name}: {f.created} imported, {f.unchanged} already in the diary, "
                   f"{f.skipped} left out.")
