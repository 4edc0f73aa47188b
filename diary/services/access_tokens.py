"""Staff's personal access tokens for the JSON API (docs/api.md, *Personal access tokens*).

A clinician makes one on the "API tokens" page (signed in with two-factor sign-in): a name,
a scope ("read", or "read write") and an expiry of 1 to 365 days. The raw token is
`bdp_` + `secrets.token_urlsafe(32)` (256 bits), shown once; only its SHA-256 is stored
(`diary.data.tokens.token_hash`, as for device tokens, invites and sign-ins). The prefix makes
a leaked token recognisable (secret scanners, logs) and tells the API which kind it holds.

Each action is one transaction with its audit event (`access_token.create`,
`access_token.revoke`; never the token). A revocation is one conditional UPDATE
(`… WHERE revoked_at IS NULL`): of two requests revoking the same token, one does it and
audits it. Every use of a token is audited too (`api.read` / `api.write`, `record_use`).
"""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from diary.data import txn
from diary.data.db import db
from diary.data.models import AccessToken, User
from diary.data.tokens import token_hash
from diary.services import audit
from diary.services.devices import clean_name

PREFIX = "bdp_"
TOKEN_MAX = 200       # a bearer longer than this is not one of ours (ours are 47 characters)
NAME_MAX = 80         # the column's length
SCOPES = {"read": "Read only", "read write": "Read and write"}
DAYS_MIN, DAYS_MAX, DAYS_DEFAULT = 1, 365, 90
LIVE_MAX = 20         # live tokens a staff member may hold at once


class Refused(ValueError):
    """A token that cannot be made: the field at fault and a plain message."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def is_access_token(raw: str | None) -> bool:
    """The bearer looks like a personal access token (by its prefix), not a device token."""
    return bool(raw) and raw.startswith(PREFIX)


def can_write(token: AccessToken) -> bool:
    return "write" in token.scopes.split()


def live(user: User, at: datetime) -> list[AccessToken]:
    """The staff member's tokens that still work, the newest first."""
    return list(db.session.scalars(
        sa.select(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None),
               AccessToken.expires_at > at)
        .order_by(AccessToken.created_at.desc(), AccessToken.id.desc())))


def issue(user: User, name: str, scopes: str, days: int, at: datetime
          ) -> tuple[AccessToken, str]:
    """A new token, committed: (row, raw token). The raw token is never stored or audited.
    Raises Refused (nothing written) for a name left empty, an unknown scope, an expiry
    outside 1-365 days, a person who is not staff, or more than LIVE_MAX live tokens."""
    if not user.is_staff or not user.active:
        raise Refused("name", "Only staff can make API tokens.")
    name = clean_name(name)[:NAME_MAX]
    if not name:
        raise Refused("name", "Please give the token a name, such as the tool that uses it.")
    if scopes not in SCOPES:
        raise Refused("scopes", "Please choose read only, or read and write.")
    if type(days) is not int or not DAYS_MIN <= days <= DAYS_MAX:
        raise Refused("days", f"Please choose an expiry from {DAYS_MIN} to {DAYS_MAX} days.")
    if len(live(user, at)) >= LIVE_MAX:
        raise Refused("name", f"You have {LIVE_MAX} tokens that still work: please revoke "
                              "one you no longer use first.")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = AccessToken(user_id=user.id, token_hash=token_hash(raw), name=name, scopes=scopes,
                        created_at=at, expires_at=at + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record("access_token.create", "access_token", token.id, actor=user,
                 after={"name": name, "scopes": scopes, "expires_at": token.expires_at})
    db.session.commit()
    return token, raw


def find(raw: str | None, at: datetime) -> AccessToken | None:
    """The token row for a raw token when it still works (not revoked, not expired)."""
    if not is_access_token(raw) or len(raw) > TOKEN_MAX:
        return None
    return db.session.scalar(sa.select(AccessToken).where(
        AccessToken.token_hash == token_hash(raw), AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > at))


def record_use(token: AccessToken, method: str, path: str, status: int,
               patient_id: int | None, at: datetime) -> None:
    """A request made with the token: audited `api.read` (GET, HEAD) or `api.write` (any
    other method) by its staff member, with the method, path and answer (as the trail keeps
    every value: a keyed digest) and the patient where one was named; never any content.
    The token's last use is noted in the same transaction."""
    txn.start_writing()
    db.session.execute(sa.update(AccessToken).where(AccessToken.id == token.id)
                       .values(last_used_at=at))
    action = "api.read" if method in ("GET", "HEAD") else "api.write"
    audit.record(action, "access_token", token.id, patient_id=patient_id,
                 actor=db.session.get(User, token.user_id),
                 after={"method": method, "path": path, "status": status})
    db.session.commit()
    token.last_used_at = at


def revoke(token: AccessToken, by: User, at: datetime) -> bool:
    """Revoke one of the staff member's own tokens, committed; False if it was revoked
    already (or is not theirs: nothing written)."""
    done = db.session.execute(
        sa.update(AccessToken)
        .where(AccessToken.id == token.id, AccessToken.user_id == by.id,
               AccessToken.revoked_at.is_(None))
        .values(revoked_at=at)).rowcount
    if done:
        audit.record("access_token.revoke", "access_token", token.id, actor=by,
                     before={"revoked_at": None}, after={"revoked_at": at})
    db.session.commit()
    if done:
        token.revoked_at = at
    return bool(done)


def own_or_none(user: User, token_id: int, at: datetime) -> AccessToken | None:
    """One of the staff member's tokens that still works, by id."""
    return db.session.scalar(sa.select(AccessToken).where(
        AccessToken.id == token_id, AccessToken.user_id == user.id,
        AccessToken.revoked_at.is_(None), AccessToken.expires_at > at))
