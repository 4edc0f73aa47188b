"""Write transactions that never fail under concurrent writers.

On SQLite a GET request reads in a deferred transaction; a read that then writes
can fail at once with "database is locked", busy timeout or not. Before a GET
writes (an audit event, a last-seen time), finish the read transaction and start
the next one with BEGIN IMMEDIATE.
"""

from flask import g, has_request_context

from .extensions import db


def start_writing() -> None:
    db.session.commit()
    if has_request_context():
        g.write_intent = True


def wants_write_lock() -> bool:
    from flask import request

    if not has_request_context():
        return True
    return request.method not in ("GET", "HEAD", "OPTIONS") or g.get("write_intent", False)
