"""The app's clock: UTC now, or the clock a test puts in app.config['CLOCK']."""

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock else datetime.now(UTC)
