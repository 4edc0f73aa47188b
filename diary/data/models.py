"""Database models. Times are stored in UTC and converted only at the edges."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from diary.clinical import roles
from diary.data.db import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A datetime column that refuses naive values and always gives back aware UTC ones."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: give a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no zone; we only ever write UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))  # staff | patient (staff roles: Membership)
    name: Mapped[str] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (TOTP) for clinicians; recovery codes are stored hashed.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))  # encrypted (mfa.seal)
    totp_last_step: Mapped[int | None]
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recovery_codes: Mapped[list | None] = mapped_column(sa.JSON)

    # Set for the request by security.load_user: the server-side login session in use.
    login_session = None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        token = self.login_session.token if self.login_session else ""
        return f"{self.id}.{token}"

    @property
    def is_active(self) -> bool:
        return self.active

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", lazy="selectin", order_by="Membership.clinic_id")

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def roles(self) -> tuple[str, ...]:
        """Every staff role this person holds, in any clinic."""
        held = {r for m in self.memberships for r in roles.parse(m.roles)}
        return tuple(r for r in roles.ROLES if r in held)

    def can(self, action: str, clinic_id: int | None = None) -> bool:
        """A role of theirs grants `action` (in `clinic_id`, or in any of their clinics)."""
        return self.is_staff and self.active and any(
            roles.grants(roles.parse(m.roles), action)
            for m in self.memberships if clinic_id is None or m.clinic_id == clinic_id)

    @property
    def is_patient(self) -> bool:
        return self.role == "patient"


class Clinic(db.Model):
    """A clinic: its staff (Membership) and its patients. One install usually holds one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # A consultant sees only the patients they are responsible for (nurses and records
    # officers still see the whole clinic).
    own_patients_only: Mapped[bool] = mapped_column(default=False)
    # Staff pages (the audit log) show times in this zone.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/London")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Membership(db.Model):
    """A staff member's place in a clinic and their roles there (diary/clinical/roles.py)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    roles: Mapped[str] = mapped_column(sa.String(60), default="")  # "consultant,admin"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    clinic: Mapped[Clinic] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("user_id", "clinic_id", name="user_clinic"),)


class LoginSession(db.Model):
    """One sign-in on one device; ending it makes every copy of its cookies useless."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remember: Mapped[bool] = mapped_column(default=False)
    # A new TOTP secret being set up in this sign-in (sealed): kept here, never in a cookie.
    pending_totp_secret: Mapped[str | None] = mapped_column(sa.String(255))

    user: Mapped[User] = relationship()
    token = ""  # the raw token, known only in the request that made it


class Patient(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    # The responsible consultant (handover moves it).
    clinician_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    record_number: Mapped[str | None] = mapped_column(sa.String(40))
    treated_side: Mapped[str] = mapped_column(sa.String(8))
    condition: Mapped[str] = mapped_column(sa.String(16))
    temp_unit: Mapped[str] = mapped_column(sa.String(1), default="C")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/London")
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # discharged

    clinic: Mapped[Clinic] = relationship()
    clinician: Mapped[User] = relationship(foreign_keys=[clinician_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        sa.UniqueConstraint("clinic_id", "record_number", name="clinic_record"),
    )

    @property
    def record_label(self) -> str:
        return self.record_number or str(self.id)


class PatientSummary(db.Model):
    """The patient's line in the clinic's list (diary.clinical.summary): current until
    `valid_until`, stale when that has passed or is NULL (marked by a write that changed the
    diary or the settings), then computed again (diary/services/summaries.py)."""

    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    statuses: Mapped[str] = mapped_column(sa.String(200), default="")  # codes, comma-separated
    urgency: Mapped[int] = mapped_column(default=0, index=True)
    last_entry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_verdict: Mapped[str | None] = mapped_column(sa.String(20))
    last_block_date: Mapped[date | None]
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed: Mapped[bool] = mapped_column(default=False)
    # Casefolded in Python (any script), for sorting and searching in SQL.
    name_key: Mapped[str] = mapped_column(sa.String(120), default="", index=True)
    search_key: Mapped[str] = mapped_column(sa.String(200), default="")
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Each mark of staleness adds one: a line computed before the mark is not stored over it.
    version: Mapped[int] = mapped_column(default=0)


class Invite(db.Model):
    """A single-use link: for a patient (`patient_id`) or a staff member (`user_id`)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The raw token sealed with the app's key, so the page that shows it can show it again.
    sealed_token: Mapped[str | None] = mapped_column(sa.String(255))
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


def new_uuid() -> str:
    return str(uuid.uuid4())


class Entry(db.Model):
    """One moment in the diary (docs/clinical.md §1). Never hard-deleted."""

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_uuid)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    utc_offset_min: Mapped[int] = mapped_column(default=0)  # the offset the patient saw
    pain: Mapped[int] = mapped_column(sa.SmallInteger)
    temp_treated_c: Mapped[float | None]
    temp_other_c: Mapped[float | None]
    colour: Mapped[str | None] = mapped_column(sa.String(16))
    feels: Mapped[str | None] = mapped_column(sa.String(8))
    walk_pain_free_min: Mapped[int | None]
    walk_max_min: Mapped[int | None]
    did_not_walk: Mapped[bool] = mapped_column(default=False)
    swelling: Mapped[str | None] = mapped_column(sa.String(8))
    sweating: Mapped[str | None] = mapped_column(sa.String(8))
    side_effects: Mapped[str] = mapped_column(sa.String(200), default="")  # codes joined by ;
    rescue_medication: Mapped[bool] = mapped_column(default=False)
    touch_pain: Mapped[str | None] = mapped_column(sa.String(8))
    night_rest_pain: Mapped[bool | None]
    wound: Mapped[str | None] = mapped_column(sa.String(12))
    pgic: Mapped[str | None] = mapped_column(sa.String(20))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    entered_by: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()

    __table_args__ = (
        sa.Index("ix_entry_patient_observed", "patient_id", "observed_at"),
        sa.CheckConstraint("pain BETWEEN 0 AND 10", name="pain_range"),
    )

    @property
    def side_effect_codes(self) -> list[str]:
        return [c for c in self.side_effects.split(";") if c]


class Block(db.Model):
    """A lumbar sympathetic block as recorded by the consultant (docs/clinical.md §2)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    utc_offset_min: Mapped[int] = mapped_column(default=0)
    side: Mapped[str] = mapped_column(sa.String(8))
    kind: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[str] = mapped_column(sa.String(40), default="")
    agent: Mapped[str] = mapped_column(sa.String(120), default="")
    volume_ml: Mapped[float | None]
    long_acting: Mapped[bool] = mapped_column(default=False)
    pre_pain: Mapped[int | None] = mapped_column(sa.SmallInteger)
    temp_treated_pre_c: Mapped[float | None]
    temp_treated_5_c: Mapped[float | None]
    temp_treated_10_c: Mapped[float | None]
    temp_treated_15_c: Mapped[float | None]
    temp_treated_20_c: Mapped[float | None]
    temp_treated_30_c: Mapped[float | None]
    temp_other_pre_c: Mapped[float | None]
    temp_other_5_c: Mapped[float | None]
    temp_other_10_c: Mapped[float | None]
    temp_other_15_c: Mapped[float | None]
    temp_other_20_c: Mapped[float | None]
    temp_other_30_c: Mapped[float | None]
    somatic_spread: Mapped[bool] = mapped_column(default=False)
    sedation: Mapped[bool] = mapped_column(default=False)
    confirmed_other_means: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()

    def clinic_temps(self, foot: str) -> dict[int, float]:
        """Minute after the block -> °C for one foot ('treated' or 'other'); 0 is before."""
        out = {}
        for minute in (0, 5, 10, 15, 20, 30):
            suffix = "pre" if minute == 0 else str(minute)
            value = getattr(self, f"temp_{foot}_{suffix}_c")
            if value is not None:
                out[minute] = value
        return out


class DeviceToken(db.Model):
    """A patient's phone: its outbox sends queued entries to the API with this token in a
    header (no cookie), so an expired session never loses an entry. Stored hashed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    # The sign-in that asked for it: removing the phone ends that sign-in too, so a phone still
    # signed in cannot simply ask for a new token.
    login_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("login_session.id"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), default="")   # "Android phone, Chrome"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()


class AccessToken(db.Model):
    """A staff member's personal access token for the API: scoped, expiring, stored hashed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), default="")
    scopes: Mapped[str] = mapped_column(sa.String(40), default="read")   # "read" or "read write"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class BlockDecision(db.Model):
    """The consultant's decision on a block: agree or not with the computed verdict, the plan
    and a note. One current row per block; every change is audited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(sa.ForeignKey("block.id"), unique=True)
    agrees: Mapped[bool]
    reason: Mapped[str] = mapped_column(sa.Text, default="")      # required when not agreeing
    plan: Mapped[str] = mapped_column(sa.String(20))              # vocab.DECISION_PLANS code
    planned_on: Mapped[date | None]                               # a repeat block's date
    note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    block: Mapped[Block] = relationship()


class CalendarFeed(db.Model):
    """A private, revocable link to the patient's reminders as an iCalendar subscription."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()


class PushSubscription(db.Model):
    """One browser's Web Push subscription (opt-in); ended when the push service says 404/410."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(sa.String(200))
    auth: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()


class ReminderSent(db.Model):
    """A reading reminder pushed to a subscription: each due reading is sent once."""

    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("push_subscription.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClinicVisit(db.Model):
    """A clinic visit of a patient with limb ischaemia (docs/clinical.md §7): the Fontaine
    stage the clinician saw. Never hard-deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    visited_on: Mapped[date]
    fontaine: Mapped[str | None] = mapped_column(sa.String(4))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()


class ClinicSettings(db.Model):
    """One clinician's analysis thresholds (docs/clinical.md §3); absent keys use defaults."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    values: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(db.Model):
    """Append-only, in a keyed hash chain (services/audit.py); the database refuses UPDATE,
    DELETE and (SQLite) REPLACE (see migrations 0002 and 0005)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str] = mapped_column(sa.String(20))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    patient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(45))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
