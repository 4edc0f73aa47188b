"""Append-only, hash-chained audit events.

Each event names who did what to which object, and which fields changed, with a
keyed digest of the old and new value of each. The values themselves never go
into the audit trail: it must hold no diary content (notes, pain, temperatures).
"""

import hashlib
import hmac
import json

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_login import current_user

from diary.data.db import db
from diary.data.models import AuditEvent, utcnow

GENESIS = "0" * 64


def _digest(value) -> str:
    key = hashlib.sha256(b"audit:" + current_app.config["SECRET_KEY"].encode()).digest()
    data = json.dumps(value, sort_keys=True, default=str).encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:16]


def changes(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Per changed field, a digest of the old and of the new value."""
    before, after = before or {}, after or {}
    fields = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return (
        {k: _digest(before.get(k)) for k in fields if k in before} or None,
        {k: _digest(after.get(k)) for k in fields if k in after} or None,
    )


def event_hash(prev_hash: str, ev: AuditEvent) -> str:
    body = json.dumps(
        [prev_hash, ev.at.isoformat(), ev.actor_id, ev.action, ev.object_type, ev.object_id,
         ev.patient_id, ev.before, ev.after, ev.remote_addr],
        sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _last_hash() -> str:
    if db.engine.dialect.name == "postgresql":
        # Serialise writers of the chain; SQLite already holds its write lock (BEGIN IMMEDIATE).
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(7316)"))
    last = db.session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def record(action: str, object_type: str, object_id=None, *, patient_id=None,
           before: dict | None = None, after: dict | None = None, actor=None) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it describes)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    b, a = changes(before, after)
    ev = AuditEvent(
        at=utcnow(), actor_id=actor.id if actor is not None else None, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        patient_id=patient_id, before=b, after=a,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.flush()  # earlier events of this transaction must be in the chain first
    ev.prev_hash = _last_hash()
    ev.hash = event_hash(ev.prev_hash, ev)
    db.session.add(ev)
    db.session.flush()
    return ev


def viewed(action: str, object_type: str, object_id=None, *, patient_id=None) -> None:
    """Audit a read (a chart viewed, a file exported) in a write transaction of its own."""
    from diary.data.txn import start_writing

    start_writing()
    record(action, object_type, object_id, patient_id=patient_id)
    db.session.commit()


def verify_chain() -> tuple[int, int | None]:
    """Walk the chain; return (events checked, id of the first broken event or None)."""
    prev, count = GENESIS, 0
    rows = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars()
    for ev in rows.yield_per(1000):
        count += 1
        if ev.prev_hash != prev or event_hash(prev, ev) != ev.hash:
            return count, ev.id
        prev = ev.hash
    return count, None
