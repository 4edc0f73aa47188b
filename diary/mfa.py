"""Two-factor sign-in for clinicians: TOTP (RFC 6238) codes and one-time recovery codes."""

import hashlib
import hmac
import secrets

import pyotp

ISSUER = "Block Diary"
RECOVERY_COUNT = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def accepted_step(secret: str, code: str, at_timestamp: float, last_step: int | None) -> int | None:
    """The time step a 6-digit code matches (±1 step of clock drift), or None.

    A step at or before the last one used is refused, so a code cannot be replayed.
    """
    code = (code or "").replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
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
