"""Staff accounts and patients made on the command line, to the web's rules."""

import click
from flask import current_app, url_for

from diary.cli.group import diary
from diary.clinical import roles, vocab
from diary.clinical.localtime import TIMEZONES
from diary.data.clock import now
from diary.services import accounts, patients, staff
from diary.services.accounts import Refused


@diary.command("create-clinician")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_clinician(email: str, name: str, password: str) -> None:
    """Create a consultant's account (the same as create-staff --role consultant)."""
    try:
        user = staff.create_staff(email, name, ["consultant"], password)
    except Refused as refusal:
        raise click.UsageError(str(refusal)) from None
    click.echo(f"Clinician {user.email} created.")


@diary.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "given", required=True, multiple=True,
              type=click.Choice(list(roles.ROLES)), help="Repeat for several roles.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_staff(email: str, name: str, given: tuple[str, ...], password: str) -> None:
    """Create a staff account with one or more roles in the clinic."""
    try:
        user = staff.create_staff(email, name, given, password)
    except Refused as refusal:
        raise click.UsageError(str(refusal)) from None
    click.echo(f"{roles.label(user.roles)} {user.email} created.")


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
    clinician = accounts.find_by_email(clinician_email)
    if clinician is None or "consultant" not in clinician.roles:
        raise click.UsageError(f"No clinician {clinician_email}.")
    if tz not in TIMEZONES:
        raise click.UsageError(f"Unknown time zone {tz!r}.")
    record = (record or "").strip() or None
    clinic = staff.clinic_of(clinician, "manage_patient")
    if patients.record_taken(clinic.id, record):
        raise click.UsageError(f"The clinic already has a patient with record {record}.")
    values = {"display_name": name.strip(), "record_number": record, "treated_side": side,
              "condition": condition, "temp_unit": unit, "timezone": tz}
    days = current_app.config["INVITE_DAYS"]
    try:
        patient, token = patients.create_patient(clinician, values, now(), via="cli",
                                                 invite_days=days)
    except Refused as refusal:
        raise click.UsageError(str(refusal)) from None
    with current_app.test_request_context():
        # The path only: an external URL would take SERVER_NAME over --base-url.
        link = base_url.rstrip("/") + url_for("auth.accept_invite", token=token)
    click.echo(f"Patient {patient.display_name} added (id {patient.id}).")
    click.echo(f"Invite link (valid {days} days, works once):")
    click.echo(link)
