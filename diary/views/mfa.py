"""Clinicians' two-factor sign-in: enrolment with a QR code, and the code step at sign-in."""

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from .. import audit, mfa
from ..extensions import db, limiter
from ..models import User
from ..qr import qr_svg
from ..security import now, start_session

bp = Blueprint("mfa", __name__)
PENDING_MINUTES = 5


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app (or a recovery code)",
                       validators=[DataRequired("Please type the code."), Length(max=20)])


def needs_second_step(user: User) -> bool:
    return user.is_clinician and user.mfa_enabled_at is not None


def start_second_step(user: User, remember: bool):
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
        secret = mfa.unseal(user.totp_secret, current_app.config["SECRET_KEY"])
        step = mfa.accepted_step(secret, form.code.data, now().timestamp(), user.totp_last_step)
        remaining = None if step is not None else mfa.use_recovery_code(
            user.recovery_codes, form.code.data)
        if step is not None or remaining is not None:
            if step is not None:
                user.totp_last_step = step
            else:
                user.recovery_codes = remaining
                flash(f"Recovery code used: {len(remaining)} left.")
            start_session(user, remember=False)
            audit.record("auth.sign_in", "user", user.id, actor=user,
                         after={"second_factor": "totp" if step is not None else "recovery"})
            db.session.commit()
            return redirect(url_for("clinic.patients"))
        audit.record("auth.second_factor_failed", "user", user.id, actor=user)
        db.session.commit()
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
        step = mfa.accepted_step(secret, form.code.data, now().timestamp(), None)
        if step is None:
            form.code.errors = ["That code is not right. Check the phone's clock and try again."]
        else:
            codes = mfa.new_recovery_codes()
            user = current_user
            user.totp_secret = mfa.seal(secret, current_app.config["SECRET_KEY"])
            user.totp_last_step = step
            user.recovery_codes = [mfa.hash_code(c) for c in codes]
            user.mfa_enabled_at = now()
            audit.record("auth.mfa_enrol", "user", user.id)
            db.session.commit()
            session.pop("mfa_new_secret", None)
            return render_template("auth/mfa_codes.html", codes=codes)
    uri = mfa.provisioning_uri(secret, current_user.email)
    return render_template("auth/mfa_enrol.html", form=form, qr=qr_svg(uri), secret=secret,
                           enrolled=current_user.mfa_enabled_at is not None)

