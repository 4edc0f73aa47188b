"""Accounts: signing in and out, invites accepted, passwords (staff accounts: staff.py).

Each function is one user action: its changes, its audit event and its commit.
"""

from datetime import datetime

import sqlalchemy as sa

from diary.clinical import limits
from diary.data.db import db
from diary.data.models import Invite, LoginSession, Patient, User
from diary.services import audit, sessions


class Refused(ValueError):
    """The action was refused; the message says why, in plain words."""


class InviteSpent(Refused):
    """The invite was used, revoked or expired in the meantime (by a request running at
    the same moment, say)."""


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def any_user() -> bool:
    return db.session.scalar(sa.select(User.id).limit(1)) is not None


def check_clinician_details(email: str, name: str, password: str) -> dict[str, str]:
    """The same rules as the web's account fields, by field name."""
    errors = {}
    if not email:
        errors["email"] = "Please give an email."
    elif len(email) > limits.EMAIL_MAX:
        errors["email"] = f"Please keep the email under {limits.EMAIL_MAX} characters."
    elif not limits.EMAIL.fullmatch(email) or limits.has_control(email):
        errors["email"] = "Please give an email like name@clinic.example."
    if not name:
        errors["name"] = "Please give a name."
    elif len(name) > limits.NAME_MAX:
        errors["name"] = f"Please keep the name under {limits.NAME_MAX} characters."
    elif limits.has_control(name):
        errors["name"] = "Please remove the special (control) characters from the name."
    if len(password) < limits.PASSWORD_MIN:
        errors["password"] = f"The password needs at least {limits.PASSWORD_MIN} characters."
    return errors


def own_diary(user: User | None) -> int | None:
    """A patient's own diary, named on their sign-in events so that the staff who may see
    the patient find them on the audit page (staff: None)."""
    if user is None or not user.is_patient:
        return None
    return db.session.scalar(sa.select(Patient.id).where(Patient.user_id == user.id))


def sign_in(user: User, remember: bool, at: datetime, second_factor: str | None = None
            ) -> LoginSession:
    """The password (and code) were right: a new sign-in, audited."""
    ls = sessions.open_session(user, remember and user.is_patient, at)
    audit.record("auth.sign_in", "user", user.id, actor=user, patient_id=own_diary(user),
                 after={"second_factor": second_factor} if second_factor else None)
    db.session.commit()
    return ls


def sign_in_failed(user: User | None) -> None:
    audit.record("auth.sign_in_failed", "user", user.id if user else None,
                 patient_id=own_diary(user))
    db.session.commit()


def sign_out(user: User, at: datetime) -> None:
    audit.record("auth.sign_out", "user", user.id, actor=user, patient_id=own_diary(user))
    ls = getattr(user, "login_session", None)
    if ls is not None:
        ls.ended_at = at
    db.session.commit()


def sign_out_everywhere(user: User, at: datetime) -> int:
    count = sessions.end_all(user, at)
    audit.record("auth.sign_out_everywhere", "user", user.id, actor=user,
                 patient_id=own_diary(user), after={"sessions": count})
    db.session.commit()
    return count


def accept_invite(invite: Invite, email: str, password: str, at: datetime) -> LoginSession:
    """The patient chose how to sign in: their account, signed in on this phone (a staff
    member's invite: their password, their email being fixed).

    An invite re-issued to someone with an account resets their password and ends their
    other sign-ins. Refused when another account has that email or user name.
    """
    # Spent first, by one conditional UPDATE: of requests racing with one link, one wins.
    won = db.session.execute(
        sa.update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None),
               Invite.expires_at > at)
        .values(used_at=at)).rowcount
    if won != 1:
        db.session.rollback()
        raise InviteSpent("This invite link has already been used.")
    if invite.user_id is not None:  # a staff member's invite: their email is fixed
        return _accept_staff_invite(invite, password, at)
    patient = invite.patient
    email = email.lower()
    user = patient.user
    taken = find_by_email(email)
    if taken is not None and taken is not user:
        db.session.rollback()  # the invite stays unspent
        raise Refused("That name is already in use. Please choose another.")
    if user is None:
        user = User(email=email, role="patient", name=patient.display_name)
        db.session.add(user)
        patient.user = user
    else:
        user.email = email
        sessions.end_all(user, at)
    user.set_password(password)
    db.session.flush()
    audit.record("invite.accept", "invite", invite.id, patient_id=patient.id, actor=user)
    return sign_in(user, remember=True, at=at)


def _accept_staff_invite(invite: Invite, password: str, at: datetime) -> LoginSession:
    """The invited staff member chose their password: their account works, signed in here."""
    user = invite.user
    user.set_password(password)
    user.active = True
    sessions.end_all(user, at)
    db.session.flush()
    audit.record("invite.accept", "invite", invite.id, actor=user)
    return sign_in(user, remember=False, at=at)


def change_password(user: User, current: str, new: str, at: datetime) -> bool:
    """False (and the failure audited) when `current` is wrong; else every other sign-in ends."""
    if not user.check_password(current):
        audit.record("auth.password_change_failed", "user", user.id, actor=user)
        db.session.commit()
        return False
    user.set_password(new)
    # Every other sign-in of this person ends: a thief's copy stops working.
    sessions.end_all(user, at, keep=user.login_session)
    audit.record("auth.password_change", "user", user.id, actor=user)
    db.session.commit()
    return True
