"""Web tests: the app through Flask's test client."""

from functools import partial

import pytest
from jinja2 import BytecodeCache
from werkzeug.security import generate_password_hash

from diary.data import models
from tests.web.helpers import NOW


@pytest.fixture(autouse=True)
def cheap_password_hash(monkeypatch):
    """scrypt costs ~0.2 s a hash here and the web suite makes hundreds. Checking still
    works (the method is read back from the stored hash); test_auth checks the real default."""
    monkeypatch.setattr(models, "generate_password_hash",
                        partial(generate_password_hash, method="pbkdf2:sha256:1000"))


@pytest.fixture
def fixed_now(clock):
    """Start at NOW (modules opt in with usefixtures); tests move `clock.now` to travel."""
    clock.now = NOW
    return clock


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by every test's app (keyed by the source's checksum)."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


@pytest.fixture
def app(app):
    # A new app per test would otherwise compile every template again (a third of the time).
    app.jinja_env.bytecode_cache = _BYTECODE
    return app
