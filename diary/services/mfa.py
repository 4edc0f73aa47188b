"""Two-factor sign-in for clinicians: TOTP (RFC 6238) codes and one-time recovery codes."""

import base64
import hashlib
import hmac
import secrets

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from diary.data.db import db
from diary.services import accounts, audit

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

def second_step(user, code: str, at, app_secret: str):
    """Check the code of a half-signed-in clinician; (sign-in, recovery codes left) or None.

    A TOTP code moves the user's last used step on (no replay); a recovery code is spent.
    A wrong code is audited.
    """
    secret = unseal(user.totp_secret, app_secret)
    step = accepted_step(secret, code, at.timestamp(), user.totp_last_step)
    remaining = None if step is not None else use_recovery_code(user.recovery_codes, code)
    if step is None and remaining is None:
        audit.record("auth.second_factor_failed", "user", user.id, actor=user)
        db.session.commit()
        return None
    if step is not None:
        user.totp_last_step = step
    else:
        user.recovery_codes = remaining
    ls = accounts.sign_in(user, remember=False, at=at,
                          second_factor="totp" if step is not None else "recovery")
    return ls, (None if step is not None else len(remaining))


def enrol(user, secret: str, code: str, at, app_secret: str) -> list[str] | None:
    """Turn two-factor sign-in on with a code from the new secret; the recovery codes, once."""
    step = accepted_step(secret, code, at.timestamp(), None)
    if step is None:
        return None
    codes = new_recovery_codes()
    user.totp_secret = seal(secret, app_secret)
    user.totp_last_step = step
    user.recovery_codes = [hash_code(c) for c in codes]
    user.mfa_enabled_at = at
    audit.record("auth.mfa_enrol", "user", user.id, actor=user)
    db.session.commit()
    return codes
