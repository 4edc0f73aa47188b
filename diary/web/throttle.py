"""Limits on guessing passwords and codes (docs/security.md, *Brute force*).

Failed guesses are counted per account *and* address, so an attacker elsewhere cannot lock a
user out and colleagues behind one clinic address are not locked out together; a generous
per-address ceiling caps spraying many accounts; second-factor codes also have a ceiling per
account, whatever the address, since six digits are few. The counters live where
RATELIMIT_STORAGE_URI says (Redis when there is more than one worker) and the address is the
client's as the trusted proxies report it (PROXY_HOPS).
"""

from collections.abc import Callable

from flask import current_app, request, session
from flask_login import current_user

from diary.web.extensions import limiter


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _failed(response) -> bool:
    return response.status_code != 302


def _address() -> str:
    return request.remote_addr or "unknown"


def typed_account() -> str:
    """The account a sign-in form names."""
    return "email:" + (request.form.get("email") or "").strip().lower()


def signed_in_account() -> str:
    return f"user:{current_user.get_id().partition('.')[0]}"


def half_signed_in_account() -> str:
    """The clinician whose password was right and who now owes a code."""
    return f"user:{session.get('mfa_user')}"


def guesses(account: Callable[[], str], *, codes: bool = False):
    """Count a POST that does not succeed (no redirect) against these limits."""
    def decorate(view):
        view = limiter.shared_limit(_setting("SIGN_IN_ADDRESS_LIMIT"), "guess-address",
                                    key_func=_address, methods=["POST"],
                                    deduct_when=_failed)(view)
        scope = "code" if codes else "password"
        view = limiter.shared_limit(_setting("SIGN_IN_LIMIT"), scope,
                                    key_func=lambda: f"{account()}|{_address()}",
                                    methods=["POST"], deduct_when=_failed)(view)
        if codes:
            view = limiter.shared_limit(_setting("CODE_ACCOUNT_LIMIT"), "code-account",
                                        key_func=account, methods=["POST"],
                                        deduct_when=_failed)(view)
        return view
    return decorate
