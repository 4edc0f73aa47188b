"""API tests: the JSON API under /api/v1 through Flask's test client (tests/conftest.py makes
the app on a fresh database per test, SQLite or PostgreSQL)."""

from functools import partial

import pytest
from werkzeug.security import generate_password_hash

from diary.data import models


@pytest.fixture(autouse=True)
def cheap_password_hash(monkeypatch):
    """As in tests/web: a fast hash for the users the tests make (scrypt costs ~0.2 s)."""
    monkeypatch.setattr(models, "generate_password_hash",
                        partial(generate_password_hash, method="pbkdf2:sha256:1000"))
