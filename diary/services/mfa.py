"""Two-factor sign-in for clinicians: TOTP (RFC 6238) codes and one-time recovery codes."""

import base64
import hashlib
import hmac
import secrets

import pyotp
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from diary.data import txn
from diary.data.db import db
from diary.data.models import LoginSession, User
from diary.services import accounts, audit, sessions

ISSUER = "Block Diary"
RECOVERY_COUNT = 10


def _fernet(app_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"block-diary totp secret").derive(app_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, app_secret: str) -> str:
    """The TOTP secret encrypted for the database: a copy of the table alone is not enough
    to make codes. The key comes from SECRET_KEY; if that changes, clinicians sign in once
    with a recovery code and enrol again."""
    return _fernet(app_secret).encrypt(secret.encode()).decode()


def unseal(sealed: str | None, app_secret: str) -> str | None:
    if not sealed:
        return None
    try:
        return _fernet(app_secret).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def accepted_step(secret: str | None, code: str, at_timestamp: float,
                  last_step: int | None) -> int | None:
    """The time step a 6-digit code matches (±1 step of clock drift), or None.

    A step at or before the last one used is refused, so a code cannot be replayed.
    """
    code = (code or "").replace(" ", "")
    if secret is None or len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at_timestamp // totp.interval)
    for step in (now_step - 1, now_step, now_step + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    return [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_COUNT)]


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def use_recovery_code(stored: list[str] | None, code: str) -> list[str] | None:
    """The remaining hashed codes after using `code`, or None if it is not one of them."""
    digest = hash_code(code)
    if not stored or digest not in stored:
        return None
    return [c for c in stored if c != digest]


# ------------------------------------------------------------------------------ actions

class EnrolRefused(accounts.Refused):
    """Two-factor sign-in was not changed; `field` is the answer that was wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _locked(user: User) -> User:
    """The user's row, locked until this transaction ends and read afresh: two requests
    spending the same code or step take turns, and the second sees it spent (PostgreSQL;
    SQLite's write transactions already take turns)."""
    return db.session.execute(
        sa.select(User).where(User.id == user.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def _spend(user: User, code: str, at, app_secret: str) -> str | None:
    """Spend a current code or a recovery code of the (locked) user: which kind, or None."""
    step = accepted_step(unseal(user.totp_secret, app_secret), code, at.timestamp(),
                         user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return "totp"
    remaining = use_recovery_code(user.recovery_codes, code)
    if remaining is not None:
        user.recovery_codes = remaining
        return "recovery"
    return None


def second_step(user, code: str, at, app_secret: str):
    """Check the code of a half-signed-in clinician; (sign-in, recovery codes left) or None.

    A TOTP code moves the user's last used step on (no replay); a recovery code is spent.
    A wrong code is audited.
    """
    user = _locked(user)
    kind = _spend(user, code, at, app_secret)
    if kind is None:
        audit.record("auth.second_factor_failed", "user", user.id, actor=user)
        db.session.commit()
        return None
    ls = accounts.sign_in(user, remember=False, at=at, second_factor=kind)
    return ls, (len(user.recovery_codes) if kind == "recovery" else None)


def pending_secret(ls: LoginSession, app_secret: str) -> str:
    """The new secret being set up in this sign-in: made once, kept sealed on the server."""
    secret = unseal(ls.pending_totp_secret, app_secret)
    if secret is None:
        secret = new_secret()
        txn.start_writing()
        db.session.execute(sa.update(LoginSession).where(LoginSession.id == ls.id)
                           .values(pending_totp_secret=seal(secret, app_secret)))
        db.session.commit()
    return secret


def enrol(user, ls: LoginSession, password: str, current_code: str, code: str, at,
          app_secret: str) -> list[str]:
    """Turn two-factor sign-in on, or move it to a new authenticator: the recovery codes.

    Needs the password, a code from the new authenticator and, when two-factor sign-in is
    already on, a current code or a recovery code: a stolen session alone cannot take over
    the second factor. Other sign-ins end. Raises EnrolRefused, audited, when anything is
    wrong.
    """
    user = _locked(user)
    secret = unseal(db.session.get(LoginSession, ls.id).pending_totp_secret, app_secret)
    step = None if secret is None else accepted_step(secret, code, at.timestamp(), None)
    problem = None
    if not user.check_password(password):
        problem = ("password", "That is not your password.")
    elif step is None:
        problem = ("code", "That code is not right. Check the phone's clock and try again.")
    elif user.mfa_enabled_at is not None and _spend(user, current_code, at, app_secret) is None:
        # Spent last, so a refusal leaves the current code unspent.
        problem = ("current_code", "That code (or recovery code) is not right.")
    if problem is not None:
        audit.record("auth.mfa_enrol_failed", "user", user.id, actor=user)
        db.session.commit()
        raise EnrolRefused(*problem)
    replaced = user.mfa_enabled_at is not None
    codes = new_recovery_codes()
    user.totp_secret = seal(secret, app_secret)
    user.totp_last_step = step
    user.recovery_codes = [hash_code(c) for c in codes]
    user.mfa_enabled_at = at
    db.session.execute(sa.update(LoginSession).where(LoginSession.id == ls.id)
                       .values(pending_totp_secret=None))
    ended = sessions.end_all(user, at, keep=ls)
    audit.record("auth.mfa_enrol", "user", user.id, actor=user,
                 after={"replaced": replaced, "sessions_ended": ended})
    db.session.commit()
    return codes
