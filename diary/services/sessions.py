"""Server-side sign-ins: a `LoginSession` row per signed-in browser or phone.

The cookies carry only a random token; ending the row (sign-out, sign out everywhere,
timeout, a new password) makes every copy of them useless. These functions change rows and
leave the commit to the user action that calls them, except `touch`, which is its own.
"""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from diary.data import txn
from diary.data.db import db
from diary.data.models import LoginSession, User
from diary.data.tokens import token_hash
from diary.services import devices

SEEN_EVERY = timedelta(seconds=60)   # last_seen_at is written at most this often


def find(user_id: int, token: str) -> LoginSession | None:
    return db.session.scalar(sa.select(LoginSession).where(
        LoginSession.token_hash == token_hash(token), LoginSession.user_id == user_id,
        LoginSession.ended_at.is_(None)))


def open_session(user: User, remember: bool, at: datetime) -> LoginSession:
    """A new sign-in row; its raw token is on `.token` (never stored)."""
    token = secrets.token_urlsafe(32)
    ls = LoginSession(user=user, token_hash=token_hash(token), created_at=at, last_seen_at=at,
                      remember=remember)
    db.session.add(ls)
    ls.token = token
    user.login_session = ls
    user.last_login_at = at
    return ls


def end_all(user: User, at: datetime, keep: LoginSession | None = None) -> int:
    """End the user's open sign-ins (but `keep`); the number ended. Ending every one (sign
    out everywhere, an invite accepted again) also revokes every device token of theirs and ends
    their push subscriptions, so no phone sends entries or gets reminders until someone signs
    in on it again."""
    query = sa.update(LoginSession).where(LoginSession.user_id == user.id,
                                          LoginSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    else:
        devices.revoke_for_user(user, at)
        devices.end_push_for_user(user, at)
    return db.session.execute(query.values(ended_at=at)).rowcount


def touch(ls: LoginSession, at: datetime, expired: bool) -> None:
    """Mark a sign-in as seen now, or end it when it timed out: a write of its own."""
    if not expired and at - ls.last_seen_at <= SEEN_EVERY:
        return
    txn.start_writing()
    db.session.execute(sa.update(LoginSession).where(LoginSession.id == ls.id).values(
        **({"ended_at": at} if expired else {"last_seen_at": at})))
    db.session.commit()
