"""`flask diary send-reminders`: push the readings now due to the phones that asked for it.

Run it every few minutes from a timer (deploy/systemd/block-diary-send-reminders.timer). Each
reading goes once to each subscription however often, and on however many hosts, it runs
(diary.services.reminders).
"""

from datetime import timedelta

import click
from flask import current_app

from diary.cli.group import diary
from diary.data.clock import now
from diary.services import reminders


@diary.command("send-reminders")
@click.option("--grace-minutes", type=click.IntRange(1, 24 * 60), default=30, show_default=True,
              help="Remind of readings that fell due this long ago at most.")
def send_reminders(grace_minutes: int) -> None:
    """Send Web Push reminders of the readings now due (each once); end gone subscriptions."""
    key = current_app.config.get("VAPID_PRIVATE_KEY")
    if not key:
        raise click.ClickException(
            "No Web Push key: set DIARY_VAPID_PRIVATE_KEY, or let the app write "
            "instance/vapid_private_key.pem.")
    outcome = reminders.send_due(now(), private_key=key,
                                 subject=current_app.config["VAPID_SUBJECT"],
                                 grace=timedelta(minutes=grace_minutes))
    click.echo(f"{outcome.sent} reminders sent, {outcome.ended} subscriptions ended, "
               f"{outcome.failed} failed (to be tried again).")
