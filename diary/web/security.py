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

from diary.clinical import limits
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
    expired = ls.user.is_clinician and _expired(ls, t)
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


def log_out() -> None:
    # Clear first: logout_user leaves a note in the session to delete the remember cookie.
    session.clear()
    logout_user()


def role_required(role: str):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if pending.wants_rescue():
                    return pending.keep_and_sign_in()
                return login_manager.unauthorized()
            allowed = current_user.is_clinician if role == "clinician" else current_user.is_patient
            if not allowed:
                abort(404)
            if (role == "clinician" and current_app.config["REQUIRE_MFA"]
                    and current_user.mfa_enabled_at is None):
                return redirect(url_for("mfa.enrol"))
            return view(*args, **kwargs)
        return wrapped
    return decorator


clinician_required = role_required("clinician")
patient_required = role_required("patient")


def patients_of(user: User):
    """The one ownership rule: a clinician owns their patients; a patient is their own."""
    if user.is_clinician:
        return Patient.clinician_id == user.id
    return Patient.user_id == user.id


def patient_or_404(patient_id: int) -> Patient:
    patient = db.session.scalar(
        sa.select(Patient).where(Patient.id == patient_id, patients_of(current_user)))
    if patient is None:
        abort(404)
    return patient


def own_patient() -> Patient:
    """The diary of the signed-in patient."""
    patient = db.session.scalar(sa.select(Patient).where(patients_of(current_user)))
    if patient is None:
        abort(404)
    return patient


def _row_or_404(model, row_id):
    """A live (not deleted) row of a patient the current user may see, else 404."""
    row = db.session.scalar(
        sa.select(model).join(model.patient)
        .where(model.id == row_id, model.deleted_at.is_(None), patients_of(current_user)))
    if row is None:
        abort(404)
    return row


def entry_or_404(entry_id: str) -> Entry:
    if not limits.UUID.fullmatch(entry_id):
        abort(404)  # every entry id is a UUID; and PostgreSQL refuses a NUL in text
    return _row_or_404(Entry, entry_id)


def block_or_404(block_id: int) -> Block:
    return _row_or_404(Block, block_id)


def device_or_404(device_id: int) -> DeviceToken:
    """A live device token of a diary the current user may see, else 404."""
    device = db.session.scalar(
        sa.select(DeviceToken).join(DeviceToken.patient)
        .where(DeviceToken.id == device_id, DeviceToken.revoked_at.is_(None),
               DeviceToken.user_id == current_user.id, patients_of(current_user)))
    if device is None:
        abort(404)
    return device


def patient_from_device_token(raw: str | None) -> tuple[Patient, User, DeviceToken] | None:
    """The diary a bearer token opens, for the API (no cookie is looked at): the token's
    patient, by the same rule as every page, when the token is live, its person is an active
    patient who is that diary's own (`patients_of`) and the diary is not archived; else None.
    """
    device = devices.find(raw)
    if device is None:
        return None
    user = db.session.get(User, device.user_id)
    if user is None or not user.active or not user.is_patient:
        return None
    patient = db.session.scalar(sa.select(Patient).where(
        Patient.id == device.patient_id, Patient.archived_at.is_(None), patients_of(user)))
    if patient is None:
        return None
    return patient, user, device


def passed_second_step(user: User) -> bool:
    """The signed-in staff member has two-factor sign-in on and this sign-in passed it.

    With two-factor sign-in on, a sign-in exists only after its code step
    (`mfa.second_step`); turning it on (or moving it) needs a code from the new
    authenticator in the sign-in doing it and ends every other sign-in (`mfa.enrol`). So a
    live sign-in of a user with `mfa_enabled_at` set is one that passed the second step."""
    ls = getattr(user, "login_session", None)
    return (user.is_authenticated and user.is_clinician and user.mfa_enabled_at is not None
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
        if user is None or not user.active or not user.is_clinician:
            return None
        return ApiCaller(user, token=token)
    found = patient_from_device_token(raw)
    if found is None:
        return None
    patient, user, device = found
    return ApiCaller(user, device=device, patient=patient)


def api_patients(caller: ApiCaller):
    """The patients the caller may reach: `patients_of` its person; for a device token,
    only the diary it was made for (and not archived)."""
    if caller.device is not None:
        return sa.and_(patients_of(caller.user), Patient.id == caller.device.patient_id,
                       Patient.archived_at.is_(None))
    return patients_of(caller.user)


def api_patient_or_404(caller: ApiCaller, patient_id: int) -> Patient:
    patient = db.session.scalar(
        sa.select(Patient).where(Patient.id == patient_id, api_patients(caller)))
    if patient is None:
        abort(404)
    return patient


def api_row_or_404(caller: ApiCaller, model, row_id):
    """A live (not deleted) entry or block of a patient the caller may reach, else 404."""
    if model is Entry and not (isinstance(row_id, str) and limits.UUID.fullmatch(row_id)):
        abort(404)
    row = db.session.scalar(
        sa.select(model).join(model.patient)
        .where(model.id == row_id, model.deleted_at.is_(None), api_patients(caller)))
    if row is None:
        abort(404)
    return row
