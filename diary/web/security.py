"""Who may see what. Every path to a patient's data goes through `patients_of` here.

The JSON API has no cookies: a bearer header stands for a person, through the same rule.
A phone's device token is its patient, for that diary only (`patient_from_device_token`); a
staff member's personal access token is that clinician, for their patients (`api_caller`,
`api_patients`, `api_patient_or_404`, `api_row_or_404`).

Sign-ins are server-side `LoginSession` rows: the session and remember cookies
carry a random token, so ending the row (sign-out, sign out everywhere, timeout)
makes every copy of those cookies useless.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import abort, current_app, redirect, session, url_for
from flask_login import current_user, login_user, logout_user

from diary.clinical import limits, roles
from diary.data.clock import now
from diary.data.db import db
from diary.data.models import (
    AccessToken,
    Block,
    DeviceToken,
    Entry,
    LoginSession,
    Patient,
    User,
)
from diary.services import access_tokens, devices, sessions
from diary.web import pending
from diary.web.extensions import login_manager


@login_manager.user_loader
def load_user(user_key: str) -> User | None:
    user_id, _, token = user_key.partition(".")
    if not user_id.isascii() or not user_id.isdigit() or not token:
        return None
    ls = sessions.find(int(user_id), token)
    if ls is None or not ls.user.active:
        return None
    t = now()
    expired = ls.user.is_staff and _expired(ls, t)
    sessions.touch(ls, t, expired)
    if expired:
        return None
    ls.token = token
    ls.user.login_session = ls
    return ls.user


def _expired(ls: LoginSession, t: datetime) -> bool:
    cfg = current_app.config
    return (t - ls.last_seen_at > timedelta(minutes=cfg["CLINICIAN_IDLE_MINUTES"])
            or t - ls.created_at > timedelta(hours=cfg["CLINICIAN_ABSOLUTE_HOURS"]))


def log_in(ls: LoginSession) -> None:
    """Put a sign-in made by the services into this browser's cookies, on a fresh session
    (no fixation); an entry typed before signing in survives it."""
    kept = session.get(pending.KEY)
    session.clear()
    if kept:
        session[pending.KEY] = kept
    user = ls.user
    user.login_session = ls  # the user may be loaded anew after the commit: get_id needs it
    login_user(user, remember=ls.remember,
               duration=current_app.config["REMEMBER_COOKIE_DURATION"])


def home_for(user) -> str:
    if not user.is_staff:
        return url_for("patient.new_entry")
    if not user.can("see") and user.can("staff"):
        return url_for("staff.listing")  # an administrator only: the staff page
    return url_for("clinic.patients")


def log_out() -> None:
    # Clear first: logout_user leaves a note in the session to delete the remember cookie.
    session.clear()
    logout_user()


def _signed_in_as(kind: str, action: str | None = None):
    """A view for patients (`kind` "patient") or staff ("staff"; with `action`, staff whose
    role grants it). Anyone else: not found for the other kind, 403 for staff without the
    role, sign in first for nobody."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if pending.wants_rescue():
                    return pending.keep_and_sign_in()
                return login_manager.unauthorized()
            if kind == "patient":
                if not current_user.is_patient:
                    abort(404)
                return view(*args, **kwargs)
            if not current_user.is_staff:
                abort(404)
            if current_app.config["REQUIRE_MFA"] and current_user.mfa_enabled_at is None:
                return redirect(url_for("mfa.enrol"))
            if action is not None and not current_user.can(action):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def staff_required(action: str | None = None):
    """Staff only; with `action`, staff holding a role that grants it (clinical/roles.py)."""
    return _signed_in_as("staff", action)


patient_required = _signed_in_as("patient")


def _reach(user: User, action: str) -> list[tuple[int, bool]]:
    """The one access rule for staff: (clinic id, own patients only) for each clinic where
    `user` may `action`. A staff member reaches the patients of each clinic they are a
    member of where one of their roles there grants the action; in a clinic set to "own
    patients only", a consultant with no other granting role there reaches only the patients
    they are responsible for."""
    if not user.is_staff or not user.active:
        return []
    reach = []
    for m in user.memberships:
        held = [r for r in roles.parse(m.roles) if roles.grants((r,), action)]
        if held:
            reach.append((m.clinic_id, m.clinic.own_patients_only and held == ["consultant"]))
    return reach


def patients_of(user: User, action: str = "see"):
    """The access rule as a WHERE clause on Patient: whose diaries `user` may `action`. A
    patient: their own diary (action "diary") and nothing else; staff: `_reach`."""
    if user.is_patient:
        return Patient.user_id == user.id if action == "diary" else sa.false()
    allowed = [sa.and_(Patient.clinic_id == clinic_id, Patient.clinician_id == user.id)
               if own_only else Patient.clinic_id == clinic_id
               for clinic_id, own_only in _reach(user, action)]
    return sa.or_(*allowed) if allowed else sa.false()


def can(action: str, patient: Patient | None = None) -> bool:
    """For templates and views: may the signed-in staff member do `action` (to `patient`)?
    The same rule as `patients_of`, read from the loaded memberships (no query)."""
    user = current_user
    if not user.is_authenticated or not user.is_staff:
        return False
    if patient is None:
        return user.can(action)
    return any(patient.clinic_id == clinic_id
               and (not own_only or patient.clinician_id == user.id)
               for clinic_id, own_only in _reach(user, action))


def patient_or_404(patient_id: int, action: str = "see") -> Patient:
    patient = db.session.scalar(
        sa.select(Patient).where(Patient.id == patient_id, patients_of(current_user, action)))
    if patient is None:
        abort(404)
    return patient


def own_patient() -> Patient:
    """The diary of the signed-in patient."""
    patient = db.session.scalar(sa.select(Patient).where(patients_of(current_user, "diary")))
    if patient is None:
        abort(404)
    return patient


def _row_or_404(model, row_id, action: str):
    """A live (not deleted) row of a patient the current user may `action`, else 404."""
    row = db.session.scalar(
        sa.select(model).join(model.patient)
        .where(model.id == row_id, model.deleted_at.is_(None),
               patients_of(current_user, action)))
    if row is None:
        abort(404)
    return row


def entry_or_404(entry_id: str) -> Entry:
    if not limits.UUID.fullmatch(entry_id):
        abort(404)  # every entry id is a UUID; and PostgreSQL refuses a NUL in text
    return _row_or_404(Entry, entry_id, "diary")


def block_or_404(block_id: int, action: str = "record_block") -> Block:
    return _row_or_404(Block, block_id, action)


def device_or_404(device_id: int) -> DeviceToken:
    """A live device token of a diary the current user may see, else 404."""
    device = db.session.scalar(
        sa.select(DeviceToken).join(DeviceToken.patient)
        .where(DeviceToken.id == device_id, DeviceToken.revoked_at.is_(None),
               DeviceToken.user_id == current_user.id, patients_of(current_user, "diary")))
    if device is None:
        abort(404)
    return device


def _device_diary(raw: str | None) -> tuple[Patient, User, DeviceToken] | None:
    """The diary a live device token was made for, when its person is an active patient
    whose own diary it is (`patients_of`), open or closed; else None."""
    device = devices.find(raw)
    if device is None:
        return None
    user = db.session.get(User, device.user_id)
    if user is None or not user.active or not user.is_patient:
        return None
    patient = db.session.scalar(sa.select(Patient).where(
        Patient.id == device.patient_id, patients_of(user, "diary")))
    return None if patient is None else (patient, user, device)


def patient_from_device_token(raw: str | None) -> tuple[Patient, User, DeviceToken] | None:
    """The diary a bearer token opens, for the API (no cookie is looked at): the token's
    patient, by the same rule as every page, when the diary is not archived; else None."""
    found = _device_diary(raw)
    return found if found is not None and found[0].archived_at is None else None


def closed_diary_of(raw: str | None) -> Patient | None:
    """The discharged diary a live device token was made for, so the phone can be told the
    diary is closed rather than to sign in again; else None."""
    found = _device_diary(raw)
    return found[0] if found is not None and found[0].archived_at is not None else None


def passed_second_step(user: User) -> bool:
    """The signed-in staff member has two-factor sign-in on and this sign-in passed it.

    With two-factor sign-in on, a sign-in exists only after its code step
    (`mfa.second_step`); turning it on (or moving it) needs a code from the new
    authenticator in the sign-in doing it and ends every other sign-in (`mfa.enrol`). So a
    live sign-in of a user with `mfa_enabled_at` set is one that passed the second step."""
    ls = getattr(user, "login_session", None)
    return (user.is_authenticated and user.is_staff and user.mfa_enabled_at is not None
            and ls is not None and ls.ended_at is None)


def access_token_or_404(token_id: int, at: datetime) -> AccessToken:
    """One of the signed-in staff member's own tokens that still works, else 404."""
    token = access_tokens.own_or_none(current_user, token_id, at)
    if token is None:
        abort(404)
    return token


# ------------------------------------------------------------------ the API's callers

@dataclass(frozen=True)
class ApiCaller:
    """Who a bearer token stands for: a patient's phone (`device`, for `patient` only) or a
    staff member's personal access token (`token`, for their patients)."""

    user: User
    device: DeviceToken | None = None
    patient: Patient | None = None
    token: AccessToken | None = None

    @property
    def staff(self) -> bool:
        return self.token is not None

    @property
    def may_write(self) -> bool:
        """A device token writes its own diary's entries; an access token needs the write
        scope."""
        return self.token is None or access_tokens.can_write(self.token)


def api_caller(raw: str | None, at: datetime) -> ApiCaller | None:
    """Who the bearer token is, else None (missing, unknown, revoked, expired, its person
    inactive or no longer staff, a device token's diary archived)."""
    if access_tokens.is_access_token(raw):
        token = access_tokens.find(raw, at)
        if token is None:
            return None
        user = db.session.get(User, token.user_id)
        if user is None or not user.active or not user.is_staff:
            return None
        return ApiCaller(user, token=token)
    found = patient_from_device_token(raw)
    if found is None:
        return None
    patient, user, device = found
    return ApiCaller(user, device=device, patient=patient)


def api_patients(caller: ApiCaller, action: str = "see"):
    """The patients the caller may `action`: `patients_of` its person; for a device token,
    only the diary it was made for (and not archived), whatever the action."""
    if caller.device is not None:
        return sa.and_(patients_of(caller.user, "diary"),
                       Patient.id == caller.device.patient_id, Patient.archived_at.is_(None))
    return patients_of(caller.user, action)


def api_patient_or_404(caller: ApiCaller, patient_id: int, action: str = "see") -> Patient:
    patient = db.session.scalar(
        sa.select(Patient).where(Patient.id == patient_id, api_patients(caller, action)))
    if patient is None:
        abort(404)
    return patient


def api_row_or_404(caller: ApiCaller, model, row_id, action: str = "see"):
    """A live (not deleted) entry or block of a patient the caller may `action`, else 404."""
    if model is Entry and not (isinstance(row_id, str) and limits.UUID.fullmatch(row_id)):
        abort(404)
    row = db.session.scalar(
        sa.select(model).join(model.patient)
        .where(model.id == row_id, model.deleted_at.is_(None),
               api_patients(caller, action)))
    if row is None:
        abort(404)
    return row
