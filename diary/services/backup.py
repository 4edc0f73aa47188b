"""Consistent online copies of the SQLite database (SQLite's backup API), checked after."""

import sqlite3
from pathlib import Path

from diary.data.db import db
from diary.services import audit


def sqlite_backup(source: str, dest: str, pages: int = 1024) -> str:
    """Copy a live SQLite database to `dest` while the app keeps writing; return the check.

    The backup API copies a consistent snapshot, restarting if a writer changes the
    source mid-copy, so the result is never a torn file.
    """
    target = Path(dest)
    if target.exists():
        raise FileExistsError(f"{dest} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst, pages=pages)
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        # A single file is easier to keep: leave the copy in rollback-journal mode.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    if result != "ok":
        target.unlink(missing_ok=True)
        raise RuntimeError(f"backup failed its integrity check: {result}")
    return result


def backup(dest: str) -> None:
    """Back up the app's SQLite database to `dest`, audited. FileExistsError, RuntimeError."""
    sqlite_backup(db.engine.url.database, dest)
    audit.record("database.backup", "database", None)
    db.session.commit()
