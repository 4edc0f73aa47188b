"""Helpers for the web tests: entry forms as the pages offer them, and database peeks."""

import json
import re
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, Entry, Patient, User
from tests.conftest import input_value

# A summer Sunday: London is on BST (UTC+1), Auckland on NZST (UTC+12).
NOW = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)

FULL_ENTRY = {
    "pain": "6",
    "temp_unit": "C",
    "temp_treated": "28.4",
    "temp_other": "30.1",
    "colour": "blue_purple",
    "feels": "colder",
    "walk_pain_free_min": "12",
    "walk_max_min": "25",
    "swelling": "mild",
    "sweating": "less",
    "side_effects": ["back_soreness", "leg_numbness"],
    "rescue_medication": "y",
    "notes": "Walked to the shop, then sat down.",
}


def entry_page(client, url="/diary/"):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return page.get_data(as_text=True)


def new_entry_data(client, **fields) -> dict:
    """A submit of the new-entry form as the page offers it (client id, time, unit)."""
    html = entry_page(client)
    data = {"client_id": input_value(html, "client_id"),
            "observed_at": input_value(html, "observed_at"),
            "csrf_token": input_value(html, "csrf_token"),
            "temp_unit": checked_value(html, "temp_unit")}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def post_entry(client, **fields):
    return client.post("/diary/", data=new_entry_data(client, **fields))


def _inputs(html: str, name: str) -> list[str]:
    return [tag for tag in re.findall(r"<input[^>]*>", html)
            if re.search(rf'\bname="{re.escape(name)}"', tag)]


def _value(tag: str) -> str:
    return re.search(r'\bvalue="([^"]*)"', tag).group(1)


def option_values(html: str, name: str) -> list[str]:
    """The values offered by the radio buttons or check boxes called `name`."""
    return [_value(tag) for tag in _inputs(html, name)]


def checked_values(html: str, name: str) -> list[str]:
    return [_value(tag) for tag in _inputs(html, name) if re.search(r"\bchecked\b", tag)]


def checked_value(html: str, name: str) -> str | None:
    """The value of the checked radio button called `name`."""
    values = checked_values(html, name)
    assert len(values) <= 1, values
    return values[0] if values else None


def textarea_value(html: str, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*\bname="{re.escape(name)}"[^>]*>\r?\n?(.*?)</textarea>',
                      html, re.S)
    return match.group(1) if match else None


def error_after(html: str, field_id: str) -> str | None:
    """The error messages shown for a field (the macro gives them the id `<field>-error`)."""
    found = re.findall(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return " | ".join(found) if found else None


def entries(app, *where) -> list[Entry]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Entry).where(*where).order_by(Entry.created_at))
        out = list(rows)
        db.session.expunge_all()
        return out


def audit_rows(app, *where) -> list[AuditEvent]:
    with app.app_context():
        out = list(db.session.scalars(sa.select(AuditEvent).where(*where)
                                      .order_by(AuditEvent.id)))
        db.session.expunge_all()
        return out


def audit_json(app) -> str:
    return json.dumps([[ev.action, ev.object_type, ev.object_id, ev.before, ev.after]
                       for ev in audit_rows(app)], ensure_ascii=False)


def new_id() -> str:
    return str(uuid.uuid4())



def add_entry(app, patient_id: int, observed_at: datetime, pain: int = 5, **values) -> str:
    """An entry written straight to the database (as if the patient had saved it)."""
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        entry = Entry(patient_id=patient_id, observed_at=observed_at, pain=pain,
                      entered_by=patient.user_id or patient.clinician_id,
                      utc_offset_min=int(observed_at.utcoffset().total_seconds() // 60),
                      **values)
        db.session.add(entry)
        db.session.commit()
        return entry.id


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))


def every_table(app) -> dict:
    """Every row of every table: to show that a refused request wrote nothing at all."""
    with app.app_context():
        return {t.name: db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
                for t in db.metadata.sorted_tables}


@contextmanager
def counting_queries(app):
    """The SQL statements sent while the block runs, as a list."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
