"""Keep a diary entry that arrived with an expired session or CSRF token.

A patient may type slowly, or their phone may sit for hours with the form open.
Rather than throw the entry away, its fields are kept in the (signed) session and
put back into the form after they sign in again, for them to check and save.
"""

from flask import flash, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

KEY = "pending_entry"
FORM_ENDPOINTS = {"patient.new_entry"}
MAX_BYTES = 3000  # keep the session cookie under the browsers' 4 kB limit


def wants_rescue() -> bool:
    return request.method == "POST" and request.endpoint in FORM_ENDPOINTS


def keep_and_sign_in():
    """Stash the typed fields and send the patient to sign in; the form comes back after."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    if sum(len(k) + len(v) for k, v in fields) <= MAX_BYTES:
        session[KEY] = fields
    if current_user.is_authenticated:  # only the form's token had expired
        flash("That page was open a long time. What you typed is kept: check it and press Save.")
        return redirect(url_for("patient.new_entry"))
    flash("Please sign in again. What you typed is kept: check it and press Save.")
    return redirect(url_for("auth.sign_in", next=url_for("patient.new_entry")))


def take() -> MultiDict | None:
    fields = session.pop(KEY, None)
    return MultiDict(fields) if fields else None
