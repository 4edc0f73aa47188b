"""`flask --app wsgi diary ...`: set-up commands a clinic can script."""

import os

import click
import sqlalchemy as sa
from flask import current_app, url_for
from flask.cli import AppGroup
from werkzeug.datastructures import MultiDict

from . import audit, demo, invites, vocab
from .extensions import db
from .forms import TIMEZONES, ClinicianForm, PatientForm
from .models import Patient, User
from .security import now

diary = AppGroup("diary", help="Block Diary administration.")


def register_cli(app) -> None:
    app.cli.add_command(diary)


def _checked(form_class, **values):
    """Validate command-line values with the web form's rules; refuse with its messages."""
    form = form_class(formdata=MultiDict(values), meta={"csrf": False})
    if not form.validate():
        raise click.UsageError(" ".join(f"{form[name].label.text}: {' '.join(msgs)}"
                                        for name, msgs in form.errors.items()))
    return form


@diary.command("create-clinician")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_clinician(email: str, name: str, password: str) -> None:
    """Create a clinician account."""
    form = _checked(ClinicianForm, email=email, name=name)
    email, name = form.email.data.lower(), form.name.data
    if len(password) < 10:
        raise click.UsageError("The password needs at least 10 characters.")
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise click.UsageError(f"An account for {email} already exists.")
    user = User(email=email, name=name, role="clinician")
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, actor=user, after={"role": "clinician"})
    db.session.commit()
    click.echo(f"Clinician {email} created.")


@diary.command("create-patient")
@click.option("--clinician", "clinician_email", required=True, help="Owning clinician's email.")
@click.option("--name", required=True)
@click.option("--record", default=None)
@click.option("--side", type=click.Choice(list(vocab.SIDES)), default="left")
@click.option("--condition", type=click.Choice(list(vocab.CONDITIONS)), default="crps")
@click.option("--unit", type=click.Choice(list(vocab.TEMP_UNITS)), default="C")
@click.option("--tz", default="Europe/London", help="IANA time zone, e.g. Europe/London.")
@click.option("--base-url", default="http://localhost:5000", help="Where the app is served.")
def create_patient(clinician_email, name, record, side, condition, unit, tz, base_url) -> None:
    """Add a patient for a clinician and print their invite link."""
    clinician = db.session.scalar(sa.select(User).where(
        User.email == clinician_email.strip().lower(), User.role == "clinician"))
    if clinician is None:
        raise click.UsageError(f"No clinician {clinician_email}.")
    if tz not in TIMEZONES:
        raise click.UsageError(f"Unknown time zone {tz!r}.")
    form = _checked(PatientForm, display_name=name, record_number=record or "",
                    treated_side=side, condition=condition, temp_unit=unit, timezone=tz)
    name, record = form.display_name.data, form.record_number.data or None
    if record and db.session.scalar(sa.select(Patient.id).where(
            Patient.clinician_id == clinician.id, Patient.record_number == record)):
        raise click.UsageError(f"{clinician_email} already has a patient with record {record}.")
    at = now()
    patient = Patient(clinician_id=clinician.id, display_name=name,
                      record_number=record, treated_side=side, condition=condition,
                      temp_unit=unit, timezone=tz, created_at=at)
    db.session.add(patient)
    db.session.flush()
    audit.record("patient.create", "patient", patient.id, patient_id=patient.id,
                 actor=clinician, after={"cli": True})
    token = invites.issue(patient, clinician, at, current_app.config["INVITE_DAYS"])
    db.session.commit()
    with current_app.test_request_context():
        # The path only: an external URL would take SERVER_NAME over --base-url.
        link = base_url.rstrip("/") + url_for("auth.accept_invite", token=token)
    click.echo(f"Patient {patient.display_name} added (id {patient.id}).")
    click.echo(f"Invite link (valid {current_app.config['INVITE_DAYS']} days, works once):")
    click.echo(link)


@diary.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
def demo_command(if_empty: bool) -> None:
    """Seed the demo clinic (never in production or on DATABASE_URL)."""
    if not current_app.config["DEMO_ALLOWED"]:
        if not if_empty:
            raise click.UsageError("Demo data is not created in production or on DATABASE_URL.")
        return
    has_users = db.session.scalar(sa.select(sa.func.count(User.id)))
    if has_users and if_empty:
        return
    if db.session.scalar(sa.select(User.id).where(User.email == demo.CLINICIAN_EMAIL)):
        raise click.UsageError("The demo clinic already exists.")
    demo.seed(now())
    port = os.environ.get("PORT", "5000")
    click.echo(f"DEMO clinic ready. Sign in at http://127.0.0.1:{port}/sign-in as")
    click.echo(f"  clinician: {demo.CLINICIAN_EMAIL} / {demo.DEMO_PASSWORD}")
    click.echo(f"  patient:   {demo.PATIENT_EMAIL} / {demo.DEMO_PASSWORD}")


@diary.command("verify-audit")
def verify_audit() -> None:
    """Check the audit trail's hash chain; report the first broken link."""
    count, broken = audit.verify_chain()
    if broken is not None:
        raise click.ClickException(f"Audit chain broken at event {broken} ({count} checked).")
    click.echo(f"Audit chain intact: {count} events.")


@diary.command("backup")
@click.argument("dest")
def backup_command(dest: str) -> None:
    """Take a consistent copy of the SQLite database while the app runs, and check it."""
    from .backup import sqlite_backup

    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.UsageError("For PostgreSQL use pg_dump (see the README).")
    try:
        sqlite_backup(url.database, dest)
    except (FileExistsError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record("database.backup", "database", None)
    db.session.commit()
    click.echo(f"Backup written to {dest} (integrity check: ok).")


from . import cli_records  # noqa: E402, F401  (adds export-csv and import-csv to `diary`)
