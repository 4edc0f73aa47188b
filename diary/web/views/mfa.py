"""Clinicians' two-factor sign-in: enrolment with a QR code, and the code step at sign-in."""

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required
from wtforms.validators import DataRequired

from diary.data.clock import now
from diary.data.db import db
from diary.data.models import User
from diary.services import mfa
from diary.web import throttle
from diary.web.forms.accounts import CodeForm, EnrolForm
from diary.web.qr import qr_svg
from diary.web.security import home_for, log_in

bp = Blueprint("mfa", __name__)
PENDING_MINUTES = 5


def needs_second_step(user: User) -> bool:
    return user.is_staff and user.mfa_enabled_at is not None


def start_second_step(user: User):
    """Password was right: remember who is half signed in, on a fresh session."""
    session.clear()
    session["mfa_user"] = user.id
    session["mfa_since"] = now().timestamp()
    return redirect(url_for("mfa.verify"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@throttle.guesses(throttle.half_signed_in_account, codes=True)
def verify():
    if current_user.is_authenticated:
        # Already signed in: nothing to do here, and the sign-in must not be cut loose.
        return redirect(url_for("auth.index"))
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
            return redirect(home_for(ls.user))
        form.code.errors = ["That code is not right. Codes change every 30 seconds."]
    return render_template("auth/mfa_verify.html", form=form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@throttle.guesses(throttle.signed_in_account, codes=True)
def enrol():
    if not current_user.is_staff:
        return redirect(url_for("auth.index"))
    user = current_user._get_current_object()
    app_secret = current_app.config["SECRET_KEY"]
    secret = mfa.pending_secret(user.login_session, app_secret)
    enrolled = user.mfa_enabled_at is not None
    form = EnrolForm()
    if enrolled:
        form.current_code.validators = [
            DataRequired("Please type a code from your current authenticator app, "
                         "or a recovery code."), *form.current_code.validators]
    if form.validate_on_submit():
        try:
            codes = mfa.enrol(user, user.login_session, form.password.data,
                              form.current_code.data or "", form.code.data, now(), app_secret)
        except mfa.EnrolRefused as refusal:
            form[refusal.field].errors = [str(refusal)]
        else:
            return render_template("auth/mfa_codes.html", codes=codes)
    uri = mfa.provisioning_uri(secret, user.email)
    return render_template("auth/mfa_enrol.html", form=form, qr=qr_svg(uri), secret=secret,
                           enrolled=enrolled)
