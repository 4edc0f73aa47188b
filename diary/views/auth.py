"""Signing in and out, and accepting an invite."""

import secrets
from functools import cache
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..extensions import db, limiter
from ..forms import AcceptInviteForm, SignInForm
from ..invites import find_valid
from ..models import User
from ..security import end_all_sessions, end_session, now, start_session
from . import mfa as mfa_views

bp = Blueprint("auth", __name__)


def _account_and_address() -> str:
    return f"{(request.form.get('email') or '').strip().lower()}|{request.remote_addr}"


def _failed(response) -> bool:
    return response.status_code != 302


def home_for(user) -> str:
    return url_for("clinic.patients") if user.is_clinician else url_for("patient.new_entry")


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
# Counted per account *and* address, so an attacker elsewhere cannot lock a real user out.
@limiter.limit(lambda: _limit("SIGN_IN_LIMIT"), key_func=_account_and_address,
               methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: _limit("SIGN_IN_ADDRESS_LIMIT"), methods=["POST"], deduct_when=_failed)
def sign_in():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.email == form.email.data.lower()))
        if user is None:
            _spend_a_password_check(form.password.data)  # same time whether or not it exists
        elif user.active and user.check_password(form.password.data):
            if mfa_views.needs_second_step(user):
                return mfa_views.start_second_step(user, form.remember.data)
            start_session(user, remember=form.remember.data)
            audit.record("auth.sign_in", "user", user.id, actor=user)
            db.session.commit()
            return redirect(_safe_next() or home_for(user))
        audit.record("auth.sign_in_failed", "user", user.id if user else None)
        db.session.commit()
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
    audit.record("auth.sign_out", "user", current_user.id)
    end_session()
    db.session.commit()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    user = current_user._get_current_object()
    count = end_all_sessions(user)
    audit.record("auth.sign_out_everywhere", "user", user.id, after={"sessions": count})
    end_session()
    db.session.commit()
    flash("You are signed out on every phone and computer.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
# Guessing links is limited on every method; opening a real one once or twice is not.
@limiter.limit(lambda: _limit("INVITE_LIMIT"), deduct_when=lambda r: r.status_code == 404)
def accept_invite(token: str):
    invite = find_valid(token, now())
    if invite is None:
        return render_template("auth/invite_invalid.html"), 404
    patient = invite.patient
    form = AcceptInviteForm()
    if request.method == "GET" and patient.user is not None:
        form.email.data = patient.user.email
    if form.validate_on_submit():
        email = form.email.data.lower()
        user = patient.user
        taken = db.session.scalar(sa.select(User).where(User.email == email))
        if taken is not None and taken is not user:
            form.email.errors = ["That name is already in use. Please choose another."]
        else:
            if user is None:
                user = User(email=email, role="patient", name=patient.display_name)
                db.session.add(user)
                patient.user = user
            else:  # an invite re-issued to someone with an account resets their password
                user.email = email
                end_all_sessions(user)
            user.set_password(form.password.data)
            invite.used_at = now()
            db.session.flush()
            audit.record("invite.accept", "invite", invite.id, patient_id=patient.id, actor=user)
            start_session(user, remember=True)
            audit.record("auth.sign_in", "user", user.id, actor=user)
            db.session.commit()
            flash("Welcome! Your diary is ready.")
            return redirect(url_for("patient.new_entry"))
    return render_template("auth/accept_invite.html", form=form, patient=patient)
