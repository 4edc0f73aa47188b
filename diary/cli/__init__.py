"""`flask --app wsgi diary ...`: set-up and records commands a clinic can script.

Each module adds its commands to the one group; like the views, they call the services.
"""

from diary.cli import accounts, fhir, maintenance, records, reminders  # noqa: F401  (they add the commands)
from diary.cli.group import diary


def register_cli(app) -> None:
    app.cli.add_command(diary)
