"""The demo clinic, the audit chain's check (with checkpoints) and SQLite backups."""

import os
from pathlib import Path

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
    click.echo(f"DEMO clinic ready. Sign in at http://127.0.0.1:{port}/sign-in with the "
               f"password {demo.DEMO_PASSWORD} as")
    width = max(len(email) for email, _ in demo.accounts())
    for email, who in demo.accounts():
        click.echo(f"  {email:<{width}}  {who}")


@diary.command("verify-audit")
@click.option("--checkpoint", "checkpoint_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A head printed (or saved) by an earlier run: the event it names must still "
                   "be there with the same digest. Keep it off the database host.")
@click.option("--save", is_flag=True,
              help="When all is well, write the new head to the --checkpoint file "
                   "(starting it if there is none).")
def verify_audit(checkpoint_path: Path | None, save: bool) -> None:
    """Check the audit trail's keyed hash chain (and a checkpoint); print its head.

    Exits non-zero on a broken link or a checkpoint the trail no longer matches. Without
    --save the checkpoint file is only read, so an auditor can check against a copy.
    """
    if save and checkpoint_path is None:
        raise click.UsageError("--save needs --checkpoint FILE.")
    checkpoint = None
    if checkpoint_path is not None:
        if checkpoint_path.exists():
            try:
                checkpoint = audit.Head.parse(checkpoint_path.read_text())
            except ValueError as exc:
                raise click.ClickException(f"{checkpoint_path}: {exc}.") from exc
        elif save:
            click.echo(f"No checkpoint at {checkpoint_path} yet: starting one.")
        else:
            raise click.ClickException(
                f"No checkpoint at {checkpoint_path} (give --save to start one).")
    report = audit.verify(checkpoint)
    if report.broken is not None:
        raise click.ClickException(f"Audit chain broken at event {report.broken} "
                                   f"({report.count} checked): {report.problem}.")
    if report.checkpoint_problem:
        raise click.ClickException(f"Audit trail does not match the checkpoint in "
                                   f"{checkpoint_path}: {report.checkpoint_problem}.")
    plain = (f" ({report.plain} from before the keyed chain, hashed with plain SHA-256)"
             if report.plain else "")
    click.echo(f"Audit chain intact: {report.count} events{plain}.")
    if checkpoint is not None:
        click.echo(f"Checkpoint matched: event {checkpoint.last_id} is still number "
                   f"{checkpoint.count}, with the same digest.")
    click.echo(f"Head: {report.head.line()}")
    if save:
        tmp = checkpoint_path.with_name(f".{checkpoint_path.name}.{os.getpid()}")
        tmp.write_text(report.head.line() + "\n")
        os.replace(tmp, checkpoint_path)  # a crash never leaves half a checkpoint
        click.echo(f"Checkpoint saved to {checkpoint_path}.")


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


@diary.command("refresh-summaries")
@click.option("--all", "everyone", is_flag=True,
              help="Compute every patient's line, not only those out of date.")
def refresh_summaries(everyone: bool) -> None:
    """Compute again the clinic-list lines that time has made stale (run it on a timer)."""
    import sqlalchemy as sa

    from diary.data.models import Patient
    from diary.services import summaries

    every = sa.select(Patient.id)
    ids = list(db.session.scalars(every)) if everyone else summaries.stale(every, now())
    count = summaries.refresh_many(ids, now())
    click.echo(f"{count} patients' lines computed.")
