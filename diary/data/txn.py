"""Write transactions that never fail under concurrent writers.

On SQLite a GET request reads in a deferred transaction; a read that then writes
can fail at once with "database is locked", busy timeout or not. Before a GET
writes (an audit event, a last-seen time), finish the read transaction and start
the next one with BEGIN IMMEDIATE.
"""

from flask import g, has_request_context
from sqlalchemy import event

from diary.data.db import db

# An execution option for a connection that only reads (the block-summary export's batches):
# a plain BEGIN on SQLite even within a POST, so the read takes no write lock.
READ_ONLY = "diary_read_only"


def start_writing() -> None:
    db.session.commit()
    if has_request_context():
        g.write_intent = True


def wants_write_lock() -> bool:
    from flask import request

    if not has_request_context():
        return True
    return request.method not in ("GET", "HEAD", "OPTIONS") or g.get("write_intent", False)


def tune_sqlite(engine) -> None:
    """Foreign keys, WAL, durable commits, a busy timeout, and BEGIN IMMEDIATE for writes.

    pysqlite's own transaction handling is switched off so that we choose the BEGIN:
    a deferred BEGIN that reads and then writes fails under concurrent writers.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=FULL",
                       "busy_timeout=15000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        writes = wants_write_lock() and not conn.get_execution_options().get(READ_ONLY)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
