"""Device tokens: the phone asks for one after a sign-in (its outbox sends queued entries
with it, docs/api.md); the patient sees and removes them on the account page; the clinic
disconnects all of a patient's phones.

The pages tell the phone when to ask: base.html puts `data-user`, `data-device-token-url` and,
on the first page after a patient signs in or accepts an invite, `data-fresh-sign-in` on
<body> (`mark_fresh_sign_in` / `take_fresh_sign_in`, a one-shot flag in the session).
"""

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from diary.data.clock import now
from diary.data.db import db
from diary.data.models import Patient
from diary.services import devices
from diary.web.api.problems import problem
from diary.web.extensions import csrf, limiter
from diary.web.security import (
    device_or_404,
    patient_or_404,
    patient_required,
    patients_of,
    staff_required,
)

bp = Blueprint("devices", __name__)
FRESH = "fresh_sign_in"
MINT_LIMIT = "20 per hour"  # per person: a phone asks once a sign-in


def mark_fresh_sign_in(user) -> None:
    """A patient just signed in (or accepted their invite): the next page says so once."""
    if user.is_patient:
        session[FRESH] = True


def take_fresh_sign_in() -> bool:
    """Whether this page is the first since the sign-in; the flag is spent by asking."""
    return bool(session.pop(FRESH, False))


@bp.app_context_processor
def _template_helpers():
    return {"take_fresh_sign_in": take_fresh_sign_in, "devices_of": _devices_of}


def _devices_of(patient) -> list:
    """The signed-in patient's live device tokens for their diary (the account page)."""
    if not (current_user.is_authenticated and current_user.is_patient) or patient is None:
        return []
    return devices.listed(current_user, patient)


def _mint_key() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{request.remote_addr or 'unknown'}"


@bp.errorhandler(429)
def _too_many(error):
    return problem(429)


@bp.post("/diary/device-token")
@csrf.exempt  # checked below, so that a refusal is JSON like the rest of the answer
@limiter.limit(lambda: current_app.config.get("DEVICE_TOKEN_LIMIT", MINT_LIMIT),
               key_func=_mint_key)
def mint():
    """A new device token for the signed-in patient's phone: 201 with the raw token, shown
    this once. The page's CSRF token is required (form field or X-CSRFToken header)."""
    try:
        csrf.protect()
    except CSRFError:
        return problem(400, "Please reload the page",
                       "The page was open too long. Reload it and try again.")
    if not current_user.is_authenticated:
        return problem(401)
    if not current_user.is_patient:
        return problem(403, detail="Only a patient's phone can have a device token.")
    patient = db.session.scalar(sa.select(Patient).where(patients_of(current_user, "diary"),
                                                         Patient.archived_at.is_(None)))
    if patient is None:
        return problem(403, detail="Only a patient's phone can have a device token.")
    body = request.get_json(silent=True)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not devices.clean_name(name):
        name = device_name(request.headers.get("User-Agent", ""))
    user = current_user._get_current_object()
    device, raw = devices.issue(user, patient, name, now(), login_session=user.login_session)
    return {"token": raw, "id": device.id, "name": device.name}, 201


@bp.post("/diary/devices/<int:device_id>/remove")
@patient_required
def remove(device_id: int):
    device = device_or_404(device_id)
    user = current_user._get_current_object()
    if devices.revoke(device, user, now(), keep=user.login_session):
        flash(f"“{device.name}” can no longer send entries and is signed out.")
    else:
        flash("That phone was already removed.")
    return redirect(url_for("patient.account"))


@bp.post("/clinic/patients/<int:patient_id>/devices/revoke")
@staff_required("revoke_devices")
def clinic_revoke(patient_id: int):
    patient = patient_or_404(patient_id, "revoke_devices")
    count = devices.revoke_for_patient(patient, current_user._get_current_object(), now())
    flash(f"{patient.display_name}'s phones are disconnected ({count}): they can send entries "
          "again once the patient signs in on them." if count else
          f"{patient.display_name} had no phone connected.")
    return redirect(url_for("clinic.patient", patient_id=patient.id))


# Words for the device, read from its browser's User-Agent: (marker, words), first match.
_DEVICES = (("iPhone", "iPhone"), ("iPad", "iPad"), ("CrOS", "Chromebook"),
            ("Windows", "Windows computer"), ("Macintosh", "Mac"), ("Linux", "Linux computer"))
_BROWSERS = (("SamsungBrowser/", "Samsung Internet"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"),
             ("Edg/", "Edge"), ("OPR/", "Opera"), ("FxiOS/", "Firefox"),
             ("Firefox/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))


def device_name(user_agent: str) -> str:
    """A device's name in plain words from its User-Agent: "Android phone, Chrome"."""
    ua = user_agent[:512]
    if "Android" in ua:
        kind = "Android phone" if "Mobile" in ua else "Android tablet"
    else:
        kind = next((words for marker, words in _DEVICES if marker in ua), "")
    browser = next((words for marker, words in _BROWSERS if marker in ua), "")
    name = ", ".join(part for part in (kind, browser) if part)
    return devices.clean_name(name) or "Phone or computer"
