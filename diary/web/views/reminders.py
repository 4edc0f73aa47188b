"""Reading reminders: the calendar file, the private calendar link, and Web Push on this phone.

- `GET /diary/reminders.ics`: the signed-in patient's readings to come, as a file to add to
  their calendar (the default: every calendar app keeps its alarms). Not audited, like the
  patient's other pages of their own diary.
- `POST /diary/calendar-link` makes a private subscription link (replacing any earlier one)
  and shows it once; `POST /diary/calendar-link/revoke` turns it off. Both audited.
- `GET /calendar/<token>.ics`: that link, for a calendar app, with no cookie. Unknown or
  turned-off tokens are 404; each read is audited; rate limited per address.
- `POST /diary/push/subscribe`, `/diary/push/unsubscribe`: JSON from static/js/push.js, with
  the CSRF token in the X-CSRFToken header (Flask-WTF reads it there).
"""

from types import SimpleNamespace

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from diary.data.clock import now
from diary.interchange.calendar import MIME_TYPE
from diary.services import calendar_feeds, reminders
from diary.web.extensions import limiter
from diary.web.forms.common import ConfirmForm
from diary.web.security import own_patient, patient_required

bp = Blueprint("reminders", __name__)
FEED_LIMIT = "30 per minute"    # per address; config CALENDAR_FEED_LIMIT overrides
FILENAME = "block-diary-reminders.ics"


def _ics(body: bytes, filename: str | None = None) -> Response:
    response = Response(body, content_type=MIME_TYPE)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _diary_url() -> str:
    return url_for("patient.new_entry", _external=True)


@bp.get("/diary/reminders.ics")
@patient_required
def download():
    body = calendar_feeds.reminders_file(own_patient(), now(), _diary_url())
    return _ics(body, FILENAME)


@bp.post("/diary/calendar-link")
@patient_required
def create_feed():
    patient = own_patient()
    token = calendar_feeds.create(patient, current_user._get_current_object(), now())
    https = url_for("reminders.feed", token=token, _external=True)
    link = SimpleNamespace(https=https, webcal="webcal://" + https.split("://", 1)[1])
    return render_template("patient/account.html", patient=patient, form=ConfirmForm(),
                           calendar_link=link)


@bp.post("/diary/calendar-link/revoke")
@patient_required
def revoke_feed():
    if calendar_feeds.revoke(own_patient(), current_user._get_current_object(), now()):
        flash("The calendar link is turned off. Calendars that used it get no more updates.")
    return redirect(url_for("patient.account") + "#reminders")


@bp.get("/calendar/<token>.ics")
@limiter.limit(lambda: current_app.config.get("CALENDAR_FEED_LIMIT", FEED_LIMIT))
def feed(token: str):
    found = calendar_feeds.find(token)
    if found is None:
        abort(404)
    body = calendar_feeds.reminders_file(found.patient, now(), _diary_url())
    calendar_feeds.read(found)
    return _ics(body)


@bp.post("/diary/push/subscribe")
@patient_required
def subscribe():
    try:
        reminders.subscribe(own_patient(), current_user._get_current_object(),
                            request.get_json(silent=True), now())
    except reminders.BadSubscription:
        return jsonify(ok=False, error="This browser's reminder subscription was not "
                                       "accepted."), 400
    return jsonify(ok=True), 201


@bp.post("/diary/push/unsubscribe")
@patient_required
def unsubscribe():
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    ended = reminders.unsubscribe(own_patient(), current_user._get_current_object(), endpoint,
                                  now())
    return jsonify(ok=True, ended=ended)


@bp.app_context_processor
def reminder_settings():
    """`reminder_settings()` for patient/_reminders.html: the patient's live calendar link
    (or None) and the key a browser subscribes with (None when push is off)."""
    def settings():
        return SimpleNamespace(feed=calendar_feeds.active(own_patient()),
                               push_key=current_app.config.get("VAPID_PUBLIC_KEY"))
    return {"reminder_settings": settings}
