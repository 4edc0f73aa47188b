"""Append-only audit events in a keyed hash chain.

Each event names who did what to which object, and which fields changed, with a
keyed digest of the old and new value of each. The values themselves never go
into the audit trail: it must hold no diary content (notes, pain, temperatures).

Each event's hash is an HMAC-SHA-256, under the audit key, of the previous event's hash and
its own fields. The key is held outside the database (`DIARY_AUDIT_KEY`, else
`instance/audit_key`: diary/web/config.py) and is not derived from SECRET_KEY, so someone who
can write the table but not read the app host cannot make an edited or added event verify.

- Databases from before the key hold events hashed with plain SHA-256. `verify` accepts such
  events only as a prefix, before the first keyed event (whose prev_hash, inside its HMAC,
  binds the prefix); a plain event after a keyed one is reported as broken.
- Deleting the newest events leaves a shorter chain that still verifies, and a chain with no
  keyed event proves nothing by itself. A `Head` (count, newest id, its hash) saved by an
  earlier run and kept elsewhere finds both: `verify(checkpoint)` checks that the event at
  that position is still there with that hash (`flask diary verify-audit --checkpoint`).
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field

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


def _body(prev_hash: str, ev) -> bytes:
    """What an event's hash covers (`ev` is an AuditEvent or a row of its columns)."""
    return json.dumps(
        [prev_hash, ev.at.isoformat(), ev.actor_id, ev.action, ev.object_type, ev.object_id,
         ev.patient_id, ev.before, ev.after, ev.remote_addr],
        sort_keys=True, separators=(",", ":"),
    ).encode()


def _audit_key() -> bytes:
    key = current_app.config.get("AUDIT_KEY")
    if not key:
        raise RuntimeError("No AUDIT_KEY: set DIARY_AUDIT_KEY (see diary/web/config.py).")
    return str(key).encode()


def event_hash(prev_hash: str, ev) -> str:
    """The keyed hash of a new event: HMAC-SHA-256 under the audit key."""
    return hmac.new(_audit_key(), _body(prev_hash, ev), hashlib.sha256).hexdigest()


def plain_hash(prev_hash: str, ev) -> str:
    """The hash of events written before the chain was keyed (plain SHA-256); verify only."""
    return hashlib.sha256(_body(prev_hash, ev)).hexdigest()


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


_HEAD = re.compile(r"count=(?P<count>\d+)\s+last_id=(?P<last_id>\d+)\s+"
                   r"digest=(?P<digest>[0-9a-f]{64})")


@dataclass(frozen=True)
class Head:
    """The end of the chain: how many events, the newest one's id, and its hash."""

    count: int
    last_id: int
    digest: str

    def line(self) -> str:
        return f"count={self.count} last_id={self.last_id} digest={self.digest}"

    @classmethod
    def parse(cls, text: str) -> "Head":
        """Read a head as `line()` wrote it (a printed `Head: ...` line will do)."""
        match = _HEAD.search(text)
        if match is None:
            raise ValueError("not a checkpoint (expected count=N last_id=N digest=<64 hex>)")
        return cls(int(match["count"]), int(match["last_id"]), match["digest"])


@dataclass
class Report:
    """What `verify` found. `broken` is the id of the first event that fails, with `problem`
    saying why; `checkpoint_problem` says how the trail differs from the checkpoint."""

    count: int = 0  # events checked
    plain: int = 0  # of which hashed with plain SHA-256 (the prefix from before the key)
    broken: int | None = None
    problem: str = ""
    checkpoint_problem: str = ""
    head: Head = field(default_factory=lambda: Head(0, 0, GENESIS))

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.checkpoint_problem


_CHAIN_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.actor_id, AuditEvent.action,
                  AuditEvent.object_type, AuditEvent.object_id, AuditEvent.patient_id,
                  AuditEvent.before, AuditEvent.after, AuditEvent.remote_addr,
                  AuditEvent.prev_hash, AuditEvent.hash)


def _check(ev, prev: str, mac: "hmac.HMAC", keyed_before: bool) -> tuple[str | None, bool]:
    """(Why this event does not belong after `prev`, or None; whether its hash is keyed)."""
    if ev.prev_hash != prev:
        return ("it does not follow the event before it: an event was removed, added or "
                "reordered"), False
    if hmac.compare_digest(mac.hexdigest(), ev.hash):
        return None, True
    if hmac.compare_digest(plain_hash(prev, ev), ev.hash):
        if keyed_before:
            return ("it carries a plain SHA-256 hash after the keyed chain began: rewritten "
                    "without the audit key"), False
        return None, False
    return "its hash does not match its content: edited, or hashed with another audit key", False


def verify(checkpoint: Head | None = None, batch: int = 1000) -> Report:
    """Walk the whole chain in id order, streamed in batches (linear time, flat memory).

    Stops at the first broken event. With a checkpoint, the event at its position must still
    be the one it names, with the same hash: a cut tail or a rewrite before it shows there.
    """
    key = hmac.new(_audit_key(), digestmod=hashlib.sha256)
    report, prev, last_id, keyed = Report(), GENESIS, 0, False
    rows = db.session.execute(sa.select(*_CHAIN_COLUMNS).order_by(AuditEvent.id)
                              .execution_options(yield_per=batch))
    try:
        for ev in rows:
            report.count += 1
            mac = key.copy()
            mac.update(_body(prev, ev))
            problem, is_keyed = _check(ev, prev, mac, keyed)
            if problem is not None:
                report.broken, report.problem = ev.id, problem
                return report
            keyed = keyed or is_keyed
            report.plain += not is_keyed
            if checkpoint is not None and report.count == checkpoint.count and (
                    ev.id != checkpoint.last_id or ev.hash != checkpoint.digest):
                report.checkpoint_problem = (
                    f"event number {checkpoint.count} was event {checkpoint.last_id} with digest "
                    f"{checkpoint.digest}, and is now event {ev.id} with digest {ev.hash}: the "
                    "trail was rewritten, or events removed, at or before it")
            prev, last_id = ev.hash, ev.id
    finally:
        rows.close()
    report.head = Head(report.count, last_id, prev)
    if checkpoint is not None and report.count < checkpoint.count:
        report.checkpoint_problem = (
            f"the checkpoint saw {checkpoint.count} events up to event {checkpoint.last_id} "
            f"(digest {checkpoint.digest}), but only {report.count} remain: events were "
            "deleted (the newest cut off, or others removed)")
    return report


def verify_chain() -> tuple[int, int | None]:
    """Walk the chain; return (events checked, id of the first broken event or None)."""
    report = verify()
    return report.count, report.broken
