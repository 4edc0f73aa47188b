"""Changing one's own password (signed in, knowing the current one)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from diary.data.clock import now
from diary.services import accounts
from diary.web import throttle
from diary.web.forms.accounts import ChangePasswordForm

bp = Blueprint("account", __name__)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@throttle.guesses(throttle.signed_in_account)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if accounts.change_password(user, form.current.data, form.password.data, now()):
            flash("Your password is changed. Other phones and computers are signed out.")
            return redirect(url_for("auth.index"))
        form.current.errors = ["That is not your current password."]
    return render_template("auth/password.html", form=form)
