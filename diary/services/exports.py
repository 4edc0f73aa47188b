"""Exports are audited: who took which file of which patient, or of the whole clinic.

The file itself streams from `diary.data.exports`; this is the write that goes with it. An
export is audited by how it ended, once: `export.<what>` (or `export.clinic.<what>`) when the
whole file was made, `….failed` when making it raised or the download was cut short. Nothing
is audited for a file that was never started (a refused form, a body nobody read).
"""

import logging
from collections.abc import Iterable, Iterator, Sequence

from diary.data.db import db
from diary.data.exports import ALL_DATES, DateRange
from diary.data.models import Patient
from diary.services import audit

log = logging.getLogger(__name__)


def record_export(what: str, actor, patients: Sequence[Patient], *, include_deleted=False,
                  dates: DateRange = ALL_DATES, clinic: bool = False, via: str = "web",
                  failed: bool = False) -> None:
    """The audit event of an export (who, what, which patient or clinic; never the content)."""
    after = {"include_deleted": include_deleted, "via": via, "patients": len(patients)}
    if not dates.open:
        after.update({"from": dates.first, "to": dates.last})
    outcome = ".failed" if failed else ""
    if clinic:
        audit.record(f"export.clinic.{what}{outcome}", "user", actor.id if actor else None,
                     actor=actor, after=after)
    else:
        (patient,) = patients
        audit.record(f"export.{what}{outcome}", "patient", patient.id, patient_id=patient.id,
                     actor=actor, after=after)
    db.session.commit()


def audited(chunks: Iterable[bytes], what: str, actor, patients: Sequence[Patient],
            **event) -> Iterator[bytes]:
    """The file's chunks, with its audit event written as it ends (`record_export`'s keywords).

    The last chunk is held back until `export.<what>` is committed, so no file arrives whole
    without its event. If making the file raises, or the client goes away (the generator is
    closed), `export.<what>.failed` is written instead: part of the file may have gone out.
    """
    db.session.commit()  # end the request's read: no transaction is held while the file streams
    held = None
    try:
        for chunk in chunks:
            if held is not None:
                yield held
            held = chunk
    except BaseException:
        _record_failure(what, actor, patients, event)
        raise
    record_export(what, actor, patients, **event)
    if held is not None:
        yield held


def _record_failure(what, actor, patients, event) -> None:
    """Best effort: the error that ended the file is the one to raise, not this one's."""
    try:
        db.session.rollback()
        record_export(what, actor, patients, failed=True, **event)
    except Exception:
        log.exception("Could not audit a failed export (%s)", what)
