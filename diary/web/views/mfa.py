"""Clinicians' two-factor sign-in: enrolment with a QR code, and the code step at sign-in."""

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required

from diary.data.clock import now
from diary.data.db import db
from diary.data.models import User
from diary.services import mfa
from diary.web.extensions import limiter
from diary.web.forms.accounts import CodeForm
from diary.web.qr import qr_svg
from diary.web.security import log_in

bp = Blueprint("mfa", __name__)
PENDING_MINUTES = 5


def needs_second_step(user: User) -> bool:
    return user.is_clinician and user.mfa_enabled_at is not None


def start_second_step(user: User):
    """Password was right: remember who is half signed in, on a fresh session."""
    session.clear()
    session["mfa_user"] = user.id
    session["mfa_since"] = now().timestamp()
    return redirect(url_for("mfa.verify"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT"], methods=["POST"],
               deduct_when=lambda r: r.status_code != 302)
def verify():
    user_id, since = session.get("mfa_user"), session.get("mfa_since", 0)
    if user_id is None or now().timestamp() - since > PENDING_MINUTES * 60:
        session.clear()
        flash("Please sign in again.")
        return redirect(url_for("auth.sign_in"))
    user = db.session.get(User, user_id)
    form = CodeForm()
    if form.validate_on_submit() and user is not None and user.active:
        done = mfa.second_step(user, form.code.data, now(), current_app.config["SECRET_KEY"])
        if done is not None:
            ls, codes_left = done
            if codes_left is not None:
                flash(f"Recovery code used: {codes_left} left.")
            log_in(ls)
            return redirect(url_for("clinic.patients"))
        form.code.errors = ["That code is not right. Codes change every 30 seconds."]
    return render_template("auth/mfa_verify.html", form=form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def enrol():
    if not current_user.is_clinician:
        return redirect(url_for("auth.index"))
    secret = session.get("mfa_new_secret") or mfa.new_secret()
    session["mfa_new_secret"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        codes = mfa.enrol(current_user._get_current_object(), secret, form.code.data, now(),
                          current_app.config["SECRET_KEY"])
        if codes is None:
            form.code.errors = ["That code is not right. Check the phone's clock and try again."]
        else:
            session.pop("mfa_new_secret", None)
            return render_template("auth/mfa_codes.html", codes=codes)
    uri = mfa.provisioning_uri(secret, current_user.email)
    return render_template("auth/mfa_enrol.html", form=form, qr=qr_svg(uri), secret=secret,
                           enrolled=current_user.mfa_enabled_at is not None)

