"""Secret tokens (invites, sign-ins) are stored only as their hash."""

import hashlib


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
