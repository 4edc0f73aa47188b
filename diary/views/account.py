"""Changing one's own password (signed in, knowing the current one)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from .. import audit
from ..extensions import db, limiter
from ..forms import PasswordMixin
from ..models import LoginSession
from ..security import now

bp = Blueprint("account", __name__)


class ChangePasswordForm(PasswordMixin, FlaskForm):
    current = PasswordField("Current password", validators=[
        DataRequired("Please type your current password."), Length(max=200)])


def _who() -> str:
    return f"{current_user.get_id().partition('.')[0]}|{request.remote_addr}"


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT"], key_func=_who, methods=["POST"],
               deduct_when=lambda r: r.status_code != 302)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user
        if not user.check_password(form.current.data):
            form.current.errors = ["That is not your current password."]
            audit.record("auth.password_change_failed", "user", user.id)
            db.session.commit()
        else:
            user.set_password(form.password.data)
            # Every other sign-in of this person ends: a thief's copy stops working.
            db.session.query(LoginSession).filter(
                LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
                LoginSession.id != user.login_session.id).update({"ended_at": now()})
            audit.record("auth.password_change", "user", user.id)
            db.session.commit()
            flash("Your password is changed. Other phones and computers are signed out.")
            return redirect(url_for("auth.index"))
    return render_template("auth/password.html", form=form)
