"""Signing in and out, and accepting an invite."""

import secrets
from functools import cache
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.security import check_password_hash, generate_password_hash

from diary.data.clock import now
from diary.services import accounts
from diary.services.invites import find_valid
from diary.web import throttle
from diary.web.extensions import limiter
from diary.web.forms.accounts import AcceptInviteForm, SignInForm
from diary.web.security import home_for, log_in, log_out
from diary.web.views import devices
from diary.web.views import mfa as mfa_views

bp = Blueprint("auth", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@throttle.guesses(throttle.typed_account)
def sign_in():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.find_by_email(form.email.data)
        if user is None:
            _spend_a_password_check(form.password.data)  # same time whether or not it exists
        elif user.active and user.check_password(form.password.data):
            if mfa_views.needs_second_step(user):
                return mfa_views.start_second_step(user)
            log_in(accounts.sign_in(user, remember=form.remember.data, at=now()))
            devices.mark_fresh_sign_in(user)  # the next page asks the phone for a device token
            return redirect(_safe_next() or home_for(user))
        accounts.sign_in_failed(user)
        form.password.errors = ["That email and password do not match an account."]
    return render_template("auth/sign_in.html", form=form)


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _spend_a_password_check(password: str) -> None:
    check_password_hash(_dummy_hash(), password)


def _limit(name: str) -> str:
    from flask import current_app

    return current_app.config.get(name, "5 per minute")


def _safe_next() -> str | None:
    """Only a local path: never send someone signing in to another site."""
    target = request.args.get("next", "")
    # Browsers drop tabs and newlines from URLs ("/\t/evil" becomes "//evil") and read "\\"
    # as "/"; a newline would also break the Location header. Refuse them all.
    if not target.isprintable() or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.post("/sign-out")
@login_required
def sign_out():
    accounts.sign_out(current_user._get_current_object(), now())
    log_out()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    # Every sign-in ends and every device token is revoked (services/sessions.end_all).
    accounts.sign_out_everywhere(current_user._get_current_object(), now())
    log_out()
    flash("You are signed out on every phone and computer, and no phone can send entries "
          "until you sign in on it again.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
# Guessing links is limited on every method; opening a real one once or twice is not.
@limiter.limit(lambda: _limit("INVITE_LIMIT"), deduct_when=lambda r: r.status_code == 404)
def accept_invite(token: str):
    invite = find_valid(token, now())
    if invite is None:
        return render_template("auth/invite_invalid.html"), 404
    patient, person = invite.patient, invite.user  # person: a staff member's invite
    form = AcceptInviteForm()
    if person is not None:
        del form.email  # staff sign in with the email they were invited by
    elif request.method == "GET" and patient.user is not None:
        form.email.data = patient.user.email
    if form.validate_on_submit():
        try:
            email = person.email if person is not None else form.email.data
            ls = accounts.accept_invite(invite, email, form.password.data, now())
        except accounts.InviteSpent:
            return render_template("auth/invite_invalid.html"), 404
        except accounts.Refused as refusal:
            form.email.errors = [str(refusal)]
        else:
            log_in(ls)
            if person is not None:
                return redirect(home_for(ls.user))  # two-factor set-up first when required
            devices.mark_fresh_sign_in(ls.user)
            return redirect(url_for("patient.welcome"))  # it says welcome itself
    return render_template("auth/accept_invite.html", form=form, patient=patient,
                           person=person)
