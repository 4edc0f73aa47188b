"""The `flask diary` command group that every CLI module adds its commands to."""

from flask.cli import AppGroup

diary = AppGroup("diary", help="Block Diary administration.")
