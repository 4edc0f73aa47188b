"""The clinic's staff: accounts with roles (diary/clinical/roles.py), made on the command line
for first set-up or invited by an administrator, who also changes their roles, deactivates
them and resets a lost second factor. Each function is one action, audited and committed."""

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from diary.clinical import limits, roles
from diary.data.db import db
from diary.data.models import Clinic, Invite, Membership, User
from diary.services import audit, invites, sessions
from diary.services.accounts import Refused, check_clinician_details, find_by_email

DEFAULT_CLINIC = "The clinic"


def the_clinic() -> Clinic:
    """The install's clinic (the first one), made on first use; in the caller's transaction."""
    clinic = db.session.scalar(sa.select(Clinic).order_by(Clinic.id).limit(1))
    if clinic is None:
        clinic = Clinic(name=DEFAULT_CLINIC)
        db.session.add(clinic)
        db.session.flush()
    return clinic


def check_roles(given) -> tuple[str, ...]:
    chosen = roles.parse(",".join(given))
    unknown = sorted(set(given) - set(chosen))
    if unknown or not chosen:
        raise Refused("Please choose at least one role of: " + ", ".join(roles.ROLES) + ".")
    return chosen


def create_staff(email: str, name: str, given_roles, password: str, *,
                 clinic: Clinic | None = None, actor: User | None = None) -> User:
    """A staff account with `given_roles` in `clinic` (the install's clinic by default),
    able to sign in with `password`; audited and committed. Refused on a bad value or a
    taken email."""
    email, name = email.strip(), name.strip()
    errors = check_clinician_details(email, name, password)
    if errors:
        raise Refused(" ".join(errors.values()))
    chosen = check_roles(list(given_roles))
    email = email.lower()
    if find_by_email(email) is not None:
        raise Refused(f"An account for {email} already exists.")
    clinic = clinic or the_clinic()
    user = User(email=email, name=name, role="staff")
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, clinic_id=clinic.id, roles=roles.join(chosen)))
    db.session.flush()
    db.session.refresh(user, ["memberships"])
    audit.record("user.create", "user", user.id, actor=actor or user,
                 after={"roles": list(chosen), "clinic": clinic.id})
    db.session.commit()
    return user


def clinic_of(user: User, action: str) -> Clinic | None:
    """The first clinic where `user` may `action` (a new patient joins it)."""
    for m in user.memberships:
        if roles.grants(roles.parse(m.roles), action):
            return m.clinic
    return None


def consultants(clinic_id: int) -> list[User]:
    """The clinic's active consultants, by name (a patient's responsible consultant)."""
    rows = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.clinic_id == clinic_id, User.active, User.role == "staff")
        .order_by(User.name, User.id))
    return [u for u in rows if any(m.clinic_id == clinic_id and "consultant" in
                                   roles.parse(m.roles) for m in u.memberships)]


# ------------------------------------------------------------------ administration (admin only)

# A password hash no password matches (werkzeug finds no method in it): the invited person
# has not chosen a password yet, so they have not joined.
NOT_JOINED = "!"

STATUSES = {
    "active": "Active",
    "invited": "Invited, not yet joined",
    "deactivated": "Deactivated",
}


class FieldRefused(Refused):
    """Refused because of one field of the form (`field`), with the message to show there."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Member:
    """A staff member of a clinic as the staff pages show them."""

    user: User
    membership: Membership
    invite: Invite | None  # their invite link that still works, if any

    @property
    def roles(self) -> tuple[str, ...]:
        return roles.parse(self.membership.roles)

    @property
    def joined(self) -> bool:
        return not self.user.password_hash.startswith(NOT_JOINED)

    @property
    def status(self) -> str:
        if self.user.active:
            return "active"
        return "deactivated" if self.joined else "invited"


def admin_clinic(user: User) -> Clinic | None:
    """The clinic whose staff `user` administers."""
    return clinic_of(user, "staff")


def members(clinic_id: int, at: datetime) -> list[Member]:
    """The clinic's staff, by name."""
    rows = db.session.execute(
        sa.select(User, Membership).join(Membership, Membership.user_id == User.id)
        .where(Membership.clinic_id == clinic_id, User.role == "staff")
        .order_by(User.name, User.id)).all()
    live = {i.user_id: i for i in db.session.scalars(
        sa.select(Invite).where(Invite.user_id.in_([u.id for u, _ in rows]),
                                Invite.used_at.is_(None), Invite.revoked_at.is_(None),
                                Invite.expires_at > at).order_by(Invite.id))}
    return [Member(u, m, live.get(u.id)) for u, m in rows]


def member(clinic_id: int, user_id: int, at: datetime) -> Member | None:
    """One staff member of the clinic, else None (another clinic's staff, a patient)."""
    row = db.session.execute(
        sa.select(User, Membership).join(Membership, Membership.user_id == User.id)
        .where(Membership.clinic_id == clinic_id, User.id == user_id,
               User.role == "staff")).first()
    if row is None:
        return None
    return Member(row[0], row[1], invites.live(Invite.user_id == user_id, at))


def invite_link(m: Member, key: str) -> str | None:
    """The token of their live invite, to show its link again (a reload does not replace it)."""
    return invites.shown_again(m.invite, key)


def set_own_patients_only(clinic: Clinic, value: bool, by: User) -> bool:
    """The clinic setting "consultants see only their own patients"; False when unchanged."""
    before = bool(clinic.own_patients_only)
    if before == bool(value):
        return False
    clinic.own_patients_only = bool(value)
    audit.record("clinic.update", "clinic", clinic.id, actor=by,
                 before={"own_patients_only": before}, after={"own_patients_only": bool(value)})
    db.session.commit()
    return True


def invite(clinic: Clinic, email: str, name: str, given_roles, by: User, at: datetime,
           days: int, key: str) -> User:
    """A staff account that cannot sign in yet, its roles in `clinic`, and a single-use invite
    (its link can be shown again with `key`); audited and committed. FieldRefused on a bad
    value or a taken email, with nothing written."""
    email, name = (email or "").strip(), (name or "").strip()
    errors = check_clinician_details(email, name, "x" * limits.PASSWORD_MIN)
    for field in ("email", "name"):
        if field in errors:
            raise FieldRefused(field, errors[field])
    try:
        chosen = check_roles(list(given_roles))
    except Refused:
        raise FieldRefused("roles", "Please choose at least one role.") from None
    email = email.lower()
    if find_by_email(email) is not None:
        raise FieldRefused("email", f"There is already an account for {email}.")
    user = User(email=email, name=name, role="staff", active=False,
                password_hash=NOT_JOINED + secrets.token_hex(8))
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, clinic_id=clinic.id, roles=roles.join(chosen)))
    invites.add_for_staff(user, by, at, days, key)
    audit.record("staff.invite", "user", user.id, actor=by,
                 after={"roles": list(chosen), "clinic": clinic.id})
    db.session.commit()
    return user


def new_invite(m: Member, by: User, at: datetime, days: int, key: str) -> None:
    """A new invite link for someone not joined yet; the earlier one stops working."""
    if m.joined:
        raise Refused(f"{m.user.name} has joined already and signs in with their own "
                      "password.")
    invites.add_for_staff(m.user, by, at, days, key)
    db.session.commit()


def _lock(m: Member) -> None:
    """Serialise changes to a clinic's administrators (PostgreSQL; SQLite writes one at a
    time anyway), so two admins demoting each other cannot leave none; then read the
    member again."""
    db.session.execute(sa.select(Clinic.id).where(Clinic.id == m.membership.clinic_id)
                       .with_for_update())
    db.session.refresh(m.membership)
    db.session.refresh(m.user)


def _other_active_admins(clinic_id: int, user_id: int) -> int:
    rows = db.session.scalars(
        sa.select(Membership.roles).join(User, User.id == Membership.user_id)
        .where(Membership.clinic_id == clinic_id, Membership.user_id != user_id,
               User.active, User.role == "staff"))
    return sum("admin" in roles.parse(r) for r in rows)


def _last_admin(m: Member) -> bool:
    return (m.user.active and "admin" in m.roles
            and _other_active_admins(m.membership.clinic_id, m.user.id) == 0)


LAST_ADMIN = ("{name} is the clinic's last active administrator. Please make someone else an "
              "administrator first.")


def change_roles(m: Member, given_roles, by: User) -> bool:
    """Their roles in this clinic; False when unchanged. Refused: no role, or leaving the
    clinic with no active administrator."""
    try:
        chosen = check_roles(list(given_roles))
    except Refused:
        raise FieldRefused("roles", "Please choose at least one role.") from None
    _lock(m)
    before = roles.parse(m.membership.roles)
    if chosen == before:
        return False
    if "admin" not in chosen and _last_admin(m):
        raise FieldRefused("roles", LAST_ADMIN.format(name=m.user.name))
    m.membership.roles = roles.join(chosen)
    audit.record("staff.roles", "user", m.user.id, actor=by,
                 before={"roles": list(before)}, after={"roles": list(chosen)})
    db.session.commit()
    return True


def deactivate(m: Member, by: User, at: datetime) -> None:
    """They can no longer sign in: every sign-in ends, their invite link stops working, and
    their API tokens are refused (security.api_caller checks `active`)."""
    if m.user.id == by.id:
        raise Refused("You cannot deactivate your own account.")
    _lock(m)
    was_active = m.user.active
    if not was_active and m.invite is None:
        raise Refused(f"{m.user.name} is already deactivated.")
    if _last_admin(m):
        raise Refused(LAST_ADMIN.format(name=m.user.name))
    m.user.active = False
    ended = sessions.end_all(m.user, at)
    db.session.execute(sa.update(Invite).where(
        Invite.user_id == m.user.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=at))
    audit.record("staff.deactivate", "user", m.user.id, actor=by,
                 before={"active": was_active}, after={"active": False, "sessions": ended})
    db.session.commit()


def reactivate(m: Member, by: User) -> None:
    """A deactivated person may sign in again with their own password."""
    if m.user.active:
        raise Refused(f"{m.user.name} is already active.")
    if not m.joined:
        raise Refused(f"{m.user.name} has not joined yet: give them a new invite link "
                      "instead.")
    m.user.active = True
    audit.record("staff.reactivate", "user", m.user.id, actor=by,
                 before={"active": False}, after={"active": True})
    db.session.commit()


def reset_second_factor(m: Member, by: User, at: datetime) -> None:
    """A lost authenticator: two-factor sign-in off and every sign-in of theirs ended, so
    their next sign-in sets it up again (required when REQUIRE_MFA is on)."""
    user = m.user
    if user.id == by.id:
        raise Refused("You cannot reset your own two-factor sign-in here. Another "
                      "administrator can.")
    if user.mfa_enabled_at is None and user.totp_secret is None:
        raise Refused(f"{user.name} has not turned on two-factor sign-in: there is nothing "
                      "to reset.")
    user.totp_secret = None
    user.totp_last_step = None
    user.mfa_enabled_at = None
    user.recovery_codes = None
    ended = sessions.end_all(user, at)
    audit.record("staff.reset_2fa", "user", user.id, actor=by,
                 before={"two_factor": True}, after={"two_factor": False, "sessions": ended})
    db.session.commit()
