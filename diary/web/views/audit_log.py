"""The audit trail of a clinician's own patients (and of their own account)."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from diary.clinical import limits
from diary.data.db import db
from diary.data.models import AuditEvent, Patient, User
from diary.web.security import clinician_required, patients_of

bp = Blueprint("audit_log", __name__, url_prefix="/clinic")
PAGE = 200


@bp.get("/audit")
@clinician_required
def events():
    mine = sa.select(Patient.id).where(patients_of(current_user))
    query = (sa.select(AuditEvent, User.email, Patient.display_name)
             .outerjoin(User, User.id == AuditEvent.actor_id)
             .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
             .where(sa.or_(AuditEvent.patient_id.in_(mine),
                           sa.and_(AuditEvent.patient_id.is_(None),
                                   AuditEvent.actor_id == current_user.id)))
             .order_by(AuditEvent.id.desc()).limit(PAGE))
    before = request.args.get("before", "")
    if before:
        # The "Older events" link's cursor: an event id, nothing else (a number past the
        # column made the database raise, a 500).
        if (older_than := limits.parse_id(before)) is None:
            abort(400)
        query = query.where(AuditEvent.id < older_than)
    rows = db.session.execute(query).all()
    older = rows[-1][0].id if len(rows) == PAGE else None
    return render_template("clinic/audit.html", rows=rows, older=older)
