"""Keep a diary entry that arrived with an expired session or CSRF token.

A patient may type slowly, or their phone may sit for hours with the form open.
Rather than throw the entry away, its fields are kept in the (signed) session and
put back into the form after they sign in again, for them to check and save.

Only a request that carries our own cookies is rescued: another site's forged
POST arrives without them (SameSite=Lax) and gets the plain refusal. A request
without a valid CSRF token is still refused with 400 and saves nothing.
"""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

KEY = "pending_entry"
FORM_ENDPOINTS = {"patient.new_entry"}
MAX_BYTES = 3000  # keep the session cookie under the browsers' 4 kB limit


def wants_rescue() -> bool:
    cfg = current_app.config
    ours = (cfg["SESSION_COOKIE_NAME"] in request.cookies
            or cfg.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)
    return request.method == "POST" and request.endpoint in FORM_ENDPOINTS and ours


def _keep() -> None:
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    if sum(len(k) + len(v) for k, v in fields) <= MAX_BYTES:
        session[KEY] = fields


def keep_and_sign_in():
    """Signed out while typing: stash the fields, sign in, and the form comes back filled."""
    _keep()
    flash("Please sign in again. What you typed is kept: check it and press Save.")
    return redirect(url_for("auth.sign_in", next=url_for("patient.new_entry")))


def keep_after_bad_token():
    """The form's token had expired: refuse (400), but keep what was typed for one tap on."""
    _keep()
    target = (url_for("patient.new_entry") if current_user.is_authenticated
              else url_for("auth.sign_in", next=url_for("patient.new_entry")))
    return render_template("errors/kept.html", target=target,
                           signed_in=current_user.is_authenticated), 400


def take() -> MultiDict | None:
    fields = session.pop(KEY, None)
    if fields:
        flash("What you typed before is back: check it and press Save.")
    return MultiDict(fields) if fields else None
