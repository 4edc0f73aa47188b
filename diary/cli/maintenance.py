"""The demo clinic, the audit chain's check and SQLite backups."""

import os

import click
from flask import current_app

from diary.cli.group import diary
from diary.data.clock import now
from diary.data.db import db
from diary.services import accounts, audit, backup, demo


@diary.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
def demo_command(if_empty: bool) -> None:
    """Seed the demo clinic (never in production or on DATABASE_URL)."""
    if not current_app.config["DEMO_ALLOWED"]:
        if not if_empty:
            raise click.UsageError("Demo data is not created in production or on DATABASE_URL.")
        return
    if if_empty and accounts.any_user():
        return
    if accounts.find_by_email(demo.CLINICIAN_EMAIL) is not None:
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
    if db.engine.url.get_backend_name() != "sqlite":
        raise click.UsageError("For PostgreSQL use pg_dump (see the README).")
    try:
        backup.backup(dest)
    except (FileExistsError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {dest} (integrity check: ok).")
