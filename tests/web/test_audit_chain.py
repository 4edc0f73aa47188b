"""The audit chain is keyed, checkpointed, and cannot be rewritten in place (docs/security.md,
*Audit*): what someone with write access to the database, but not the app host's audit key,
can do to the trail, and how `flask diary verify-audit` finds it."""

import hashlib
import hmac
import os
import stat
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DatabaseError

from diary.data.db import db
from diary.data.models import AuditEvent
from diary.services import audit
from diary.web import create_app
from tests.conftest import BASE_CONFIG, PG_URL

KEY = BASE_CONFIG["AUDIT_KEY"]
OTHER_KEY = "another-audit-key-from-another-install-entirely"
COLUMNS = audit._CHAIN_COLUMNS


def add_events(app, n, action="test.event"):
    """n audit events, each in its own committed transaction, as the services write them."""
    with app.app_context():
        for i in range(n):
            audit.record(action, "test", i)
            db.session.commit()


def rows(app):
    with app.app_context():
        return db.session.execute(sa.select(*COLUMNS).order_by(AuditEvent.id)).all()


def verify(runner, *args):
    return runner.invoke(args=["diary", "verify-audit", *args])


@contextmanager
def owner_access(app):
    """A connection that gets round the append-only triggers, as the database's owner (or a
    superuser) can: replica mode on PostgreSQL, as tests/conftest.py cleans; on SQLite the
    triggers are dropped and put back afterwards, leaving no trace in the schema."""
    with app.app_context(), db.engine.begin() as conn:
        if PG_URL:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            yield conn
            return
        triggers = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'audit_event'").all()
        assert {name for name, _ in triggers} >= {"audit_event_no_update",
                                                   "audit_event_no_delete"}
        for name, _ in triggers:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        yield conn
        for _, sql in triggers:
            conn.exec_driver_sql(sql)


def rehash_plain(conn, from_id, edit=None):
    """Rewrite the chain from event `from_id` on with plain SHA-256, which anyone can compute
    (the hash the chain used before it was keyed), after applying `edit` to that event."""
    if edit:
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == from_id).values(**edit))
    prev = conn.scalar(sa.select(AuditEvent.hash).where(AuditEvent.id < from_id)
                       .order_by(AuditEvent.id.desc()).limit(1)) or audit.GENESIS
    for ev in conn.execute(sa.select(*COLUMNS).where(AuditEvent.id >= from_id)
                           .order_by(AuditEvent.id)).all():
        new = audit.plain_hash(prev, ev)
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == ev.id)
                     .values(prev_hash=prev, hash=new))
        prev = new


# --- the keyed chain ---------------------------------------------------------------------

def test_new_events_are_hmac_sha256_under_the_audit_key(app, runner):
    add_events(app, 3)
    prev = audit.GENESIS
    for ev in rows(app):
        body = audit._body(prev, ev)
        assert ev.hash == hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
        assert ev.hash != hashlib.sha256(body).hexdigest()  # not the old plain hash
        assert ev.prev_hash == prev
        prev = ev.hash
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "intact: 3 events." in result.output  # and none of them plain


def test_a_chain_made_with_one_key_fails_verification_with_another(app, runner):
    add_events(app, 3)
    first = rows(app)[0].id
    app.config["AUDIT_KEY"] = OTHER_KEY
    result = verify(runner)
    assert result.exit_code != 0
    assert f"broken at event {first}" in result.output and "another audit key" in result.output
    app.config["AUDIT_KEY"] = KEY
    assert verify(runner).exit_code == 0


def test_rotating_the_secret_key_leaves_the_chain_verifiable(app, runner):
    add_events(app, 2)
    app.config["SECRET_KEY"] = "a-new-secret-key-after-rotation-0123456789"
    add_events(app, 2)
    result = verify(runner)
    assert result.exit_code == 0 and "intact: 4 events." in result.output


@pytest.mark.parametrize("which", ["newest", "middle"])
def test_an_edited_row_rehashed_with_plain_sha256_is_reported(app, runner, which):
    add_events(app, 5)
    target = rows(app)[-1 if which == "newest" else 2].id
    with owner_access(app) as conn:
        rehash_plain(conn, target, edit={"remote_addr": "10.9.9.9"})
    result = verify(runner)
    assert result.exit_code != 0
    assert f"broken at event {target} " in result.output
    assert "plain SHA-256 hash after the keyed chain began" in result.output


def test_an_edited_row_with_its_hash_unchanged_is_reported(app, runner):
    add_events(app, 3)
    target = rows(app)[1].id
    with owner_access(app) as conn:
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == target)
                     .values(action="user.nothing"))
    result = verify(runner)
    assert result.exit_code != 0 and f"broken at event {target} " in result.output
    assert "does not match its content" in result.output


# --- databases from before the key: a plain prefix ---------------------------------------

def _legacy_then_keyed(app, monkeypatch, plain, keyed):
    """`plain` events as the code before the keyed chain wrote them, then `keyed` ones."""
    with monkeypatch.context() as old_code:
        old_code.setattr(audit, "event_hash", audit.plain_hash)
        add_events(app, plain, action="old.event")
    add_events(app, keyed)
    return rows(app)


def test_a_plain_sha256_prefix_then_keyed_events_verifies(app, runner, monkeypatch):
    chain = _legacy_then_keyed(app, monkeypatch, plain=3, keyed=2)
    for i, ev in enumerate(chain):
        expected = audit.plain_hash if i < 3 else audit.event_hash
        with app.app_context():
            assert ev.hash == expected(ev.prev_hash, ev)
    assert chain[3].prev_hash == chain[2].hash  # the first keyed event binds the prefix
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "intact: 5 events (3 from before the keyed chain, hashed with plain SHA-256)" \
        in result.output


def test_the_first_keyed_event_binds_the_plain_prefix(app, runner, monkeypatch):
    chain = _legacy_then_keyed(app, monkeypatch, plain=3, keyed=2)
    with owner_access(app) as conn:
        # Editing an old event and re-hashing the prefix, as anyone can with plain SHA-256...
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == chain[1].id)
                     .values(action="old.nothing"))
        prev = chain[0].hash
        for ev in conn.execute(sa.select(*COLUMNS).where(AuditEvent.id.in_(
                [chain[1].id, chain[2].id])).order_by(AuditEvent.id)).all():
            new = audit.plain_hash(prev, ev)
            conn.execute(sa.update(AuditEvent).where(AuditEvent.id == ev.id)
                         .values(prev_hash=prev, hash=new))
            prev = new
    result = verify(runner)
    # ...cannot make the first keyed event follow it without the key.
    assert result.exit_code != 0 and f"broken at event {chain[3].id} " in result.output


def test_a_plain_event_after_a_keyed_one_is_reported(app, runner, monkeypatch):
    add_events(app, 2)
    with monkeypatch.context() as without_the_key:
        without_the_key.setattr(audit, "event_hash", audit.plain_hash)
        add_events(app, 1, action="forged.event")
    forged = rows(app)[-1]
    assert forged.action == "forged.event"
    result = verify(runner)
    assert result.exit_code != 0 and f"broken at event {forged.id} " in result.output
    assert "plain SHA-256" in result.output


# --- the head and checkpoints ------------------------------------------------------------

def test_verify_prints_the_head(app, runner):
    empty = verify(runner)
    assert empty.exit_code == 0
    assert f"Head: count=0 last_id=0 digest={audit.GENESIS}" in empty.output
    add_events(app, 3)
    newest = rows(app)[-1]
    result = verify(runner)
    assert f"Head: count=3 last_id={newest.id} digest={newest.hash}" in result.output


def test_a_cut_tail_is_found_against_a_saved_checkpoint(app, runner, tmp_path):
    checkpoint = tmp_path / "backups" / "audit-head"
    checkpoint.parent.mkdir()
    add_events(app, 5)
    first = verify(runner, "--checkpoint", str(checkpoint), "--save")
    assert first.exit_code == 0, first.output
    assert "starting one" in first.output and "Checkpoint saved" in first.output
    add_events(app, 2)
    second = verify(runner, "--checkpoint", str(checkpoint), "--save")
    assert second.exit_code == 0, second.output
    assert "Checkpoint matched" in second.output
    chain = rows(app)
    saved = checkpoint.read_text()
    assert saved == f"count=7 last_id={chain[-1].id} digest={chain[-1].hash}\n"

    with owner_access(app) as conn:  # the newest three events cut off
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.id > chain[3].id))

    alone = verify(runner)  # what is left is a shorter chain that still holds together...
    assert alone.exit_code == 0 and "intact: 4 events" in alone.output
    result = verify(runner, "--checkpoint", str(checkpoint), "--save")  # ...but not the head
    assert result.exit_code != 0
    assert (f"the checkpoint saw 7 events up to event {chain[-1].id}" in result.output
            and "only 4 remain" in result.output)
    assert checkpoint.read_text() == saved  # a failed check never moves the checkpoint on


def test_a_chain_rewritten_whole_in_plain_sha256_is_found_against_a_checkpoint(
        app, runner, tmp_path):
    """A chain with no keyed event proves nothing by itself: re-hashing everything with
    plain SHA-256 passes as an old database. The checkpoint's digest does not."""
    checkpoint = tmp_path / "audit-head"
    add_events(app, 4)
    assert verify(runner, "--checkpoint", str(checkpoint), "--save").exit_code == 0
    chain = rows(app)
    with owner_access(app) as conn:
        rehash_plain(conn, chain[0].id, edit={"action": "user.nothing"})
    alone = verify(runner)
    assert alone.exit_code == 0 and "4 from before the keyed chain" in alone.output
    result = verify(runner, "--checkpoint", str(checkpoint))
    assert result.exit_code != 0
    assert f"event number 4 was event {chain[-1].id} with digest {chain[-1].hash}" \
        in result.output


def test_a_checkpoint_is_checked_in_streamed_batches(app):
    add_events(app, 5)
    chain = rows(app)
    head = audit.Head(3, chain[2].id, chain[2].hash)
    with app.app_context():
        report = audit.verify(head, batch=2)  # the checkpoint falls inside the second batch
        assert report.ok and report.head == audit.Head(5, chain[-1].id, chain[-1].hash)
        moved = audit.verify(audit.Head(3, chain[2].id, chain[3].hash), batch=2)
        assert not moved.ok and moved.broken is None and "event number 3" in \
            moved.checkpoint_problem


def test_checkpoint_files_are_read_carefully(app, runner, tmp_path):
    add_events(app, 1)
    missing = tmp_path / "nowhere"
    result = verify(runner, "--checkpoint", str(missing))
    assert result.exit_code != 0 and "No checkpoint at" in result.output
    assert not missing.exists()  # only --save writes
    assert verify(runner, "--save").exit_code != 0  # --save needs --checkpoint
    garbage = tmp_path / "garbage"
    garbage.write_text("hello\n")
    result = verify(runner, "--checkpoint", str(garbage), "--save")
    assert result.exit_code != 0 and "not a checkpoint" in result.output
    assert garbage.read_text() == "hello\n"
    printed = tmp_path / "printed"  # a head copied from the command's output will do
    printed.write_text([line for line in verify(runner).output.splitlines()
                        if line.startswith("Head: ")][0])
    result = verify(runner, "--checkpoint", str(printed))
    assert result.exit_code == 0 and "Checkpoint matched" in result.output


# --- the database refuses an insert over an existing row ---------------------------------

OVER_THE_NEWEST = {  # SQL that writes over the newest event's row (same id or same hash)
    "replace": "REPLACE INTO audit_event (id, at, action, object_type, prev_hash, hash) "
               "VALUES (:id, :at, 'tampered', 'test', :prev_hash, :hash)",
    "insert_or_replace": "INSERT OR REPLACE INTO audit_event "
                         "(id, at, action, object_type, prev_hash, hash) "
                         "VALUES (:id, :at, 'tampered', 'test', :prev_hash, :hash)",
    "replace_by_hash": "REPLACE INTO audit_event (at, action, object_type, prev_hash, hash) "
                       "VALUES (:at, 'tampered', 'test', :prev_hash, :hash)",
    "upsert_id": "INSERT INTO audit_event (id, at, action, object_type, prev_hash, hash) "
                 "VALUES (:id, :at, 'tampered', 'test', :prev_hash, :hash) "
                 "ON CONFLICT (id) DO UPDATE SET action = 'tampered'",
    "upsert_hash": "INSERT INTO audit_event (id, at, action, object_type, prev_hash, hash) "
                   "VALUES (:id + 1000, :at, 'tampered', 'test', :prev_hash, :hash) "
                   "ON CONFLICT (hash) DO UPDATE SET action = 'tampered'",
}


def _newest_as_stored(app):
    with app.app_context():
        return db.session.execute(sa.text(
            "SELECT id, at, prev_hash, hash FROM audit_event ORDER BY id DESC LIMIT 1"
        )).one()._asdict()


@pytest.mark.parametrize("kind", list(OVER_THE_NEWEST))
def test_an_insert_over_an_existing_audit_row_is_refused(app, runner, kind):
    if PG_URL and not kind.startswith("upsert"):
        pytest.skip("REPLACE is SQLite's; PostgreSQL has the upsert")
    add_events(app, 2)
    before = rows(app)
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(sa.text(OVER_THE_NEWEST[kind]), _newest_as_stored(app))
            db.session.commit()
        db.session.rollback()
    assert rows(app) == before
    assert verify(runner).exit_code == 0


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's REPLACE trigger")
def test_without_migration_0005_replace_would_rewrite_the_row(app):
    """Why 0005 is there: REPLACE's implicit delete fires no DELETE trigger."""
    add_events(app, 2)
    newest = _newest_as_stored(app)
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_event_no_replace")
        conn.execute(sa.text(OVER_THE_NEWEST["replace"]), newest)
    assert rows(app)[-1].action == "tampered"


# --- where the key comes from ------------------------------------------------------------

@pytest.fixture
def own_instance(monkeypatch, tmp_path):
    """create_app() as run from the command line, with an instance folder of its own."""
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "s" * 16 + "0123456789abcdef0123")
    monkeypatch.setenv("DIARY_TRUSTED_HOSTS", "diary.example")
    for name in ("DIARY_ENV", "DIARY_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)
    return instance


def test_the_audit_key_comes_from_the_environment(own_instance, monkeypatch):
    digits = "1234567890" * 4  # taken as typed, never parsed as a number
    monkeypatch.setenv("DIARY_AUDIT_KEY", digits)
    app = create_app()
    assert app.config["AUDIT_KEY"] == digits
    assert not (own_instance / "audit_key").exists()


def test_outside_production_the_audit_key_is_made_once_in_instance(own_instance):
    app = create_app()
    key_file = own_instance / "audit_key"
    key = app.config["AUDIT_KEY"]
    assert key_file.read_text() == key and len(key) == 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert key != app.config["SECRET_KEY"]
    assert create_app().config["AUDIT_KEY"] == key  # kept, not made again
    assert not list(own_instance.glob(".audit_key*"))  # no temporary file left behind


def test_production_reads_the_audit_key_from_instance(own_instance, monkeypatch):
    monkeypatch.setenv("DIARY_ENV", "production")
    own_instance.mkdir()
    (own_instance / "audit_key").write_text("k" * 40 + "\n")
    assert create_app().config["AUDIT_KEY"] == "k" * 40


@pytest.mark.parametrize("key", [None, "short", "changeme", "same as SECRET_KEY"])
def test_production_refuses_a_missing_short_or_reused_audit_key(own_instance, monkeypatch,
                                                                 key):
    monkeypatch.setenv("DIARY_ENV", "production")
    if key == "same as SECRET_KEY":
        monkeypatch.setenv("DIARY_AUDIT_KEY", os.environ["SECRET_KEY"])
    elif key is not None:
        monkeypatch.setenv("DIARY_AUDIT_KEY", key)
    with pytest.raises(RuntimeError, match="AUDIT_KEY must be set"):
        create_app()
    assert not (own_instance / "audit_key").exists()  # production never makes one
