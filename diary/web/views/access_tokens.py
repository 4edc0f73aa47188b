"""Staff's "API tokens" page: personal access tokens for the JSON API (docs/api.md).

A clinician lists their tokens (name, scope, made, expires, last used), makes one (shown
once, on the page that answers the POST, never again) and revokes one. Making one needs
two-factor sign-in on, and this sign-in to have passed it (`security.passed_second_step`):
else the page says so and points to the Two-factor page, and a POST is refused (403).
Every action is a POST with the page's CSRF token; the service audits it.
"""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length

from diary.data.clock import now
from diary.services import access_tokens
from diary.web.forms.common import ConfirmForm, choices
from diary.web.forms.fields import WholeNumberField, plain_text
from diary.web.security import access_token_or_404, passed_second_step, staff_required

bp = Blueprint("access_tokens", __name__, url_prefix="/clinic")


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[
        InputRequired("Please give the token a name, such as the tool that uses it."),
        Length(max=access_tokens.NAME_MAX,
               message=f"Please keep the name under {access_tokens.NAME_MAX} characters."),
        plain_text])
    scopes = RadioField("What it may do", choices=choices(access_tokens.SCOPES),
                        default="read",
                        validators=[InputRequired("Please choose read only, or read and "
                                                  "write.")],
                        invalid_choice_message="Please choose read only, or read and write.")
    days = WholeNumberField("Expires after (days)", default=access_tokens.DAYS_DEFAULT,
                            validators=[InputRequired(
                                f"Please choose an expiry from {access_tokens.DAYS_MIN} to "
                                f"{access_tokens.DAYS_MAX} days.")])


def _page(form=None, raw=None, made=None, status=200):
    user = current_user._get_current_object()
    allowed = passed_second_step(user)
    response = render_template(
        "clinic/access_tokens.html", form=form or TokenForm(), confirm=ConfirmForm(),
        tokens=access_tokens.live(user, now()), allowed=allowed, raw=raw, made=made,
        scopes=access_tokens.SCOPES, days_min=access_tokens.DAYS_MIN,
        days_max=access_tokens.DAYS_MAX)
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/api-tokens")
@staff_required()
def listing():
    return _page()


@bp.post("/api-tokens")
@staff_required()
def create():
    form = TokenForm()
    if not passed_second_step(current_user):
        return _page(status=403)
    if not form.validate_on_submit():
        return _page(form, status=400 if form.csrf_token.errors else 200)
    try:
        token, raw = access_tokens.issue(current_user._get_current_object(), form.name.data,
                                         form.scopes.data, form.days.data, now())
    except access_tokens.Refused as refusal:
        form[refusal.field].errors = [str(refusal)]
        return _page(form)
    return _page(raw=raw, made=token)


@bp.post("/api-tokens/<int:token_id>/revoke")
@staff_required()
def revoke(token_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(status=400)
    token = access_token_or_404(token_id, now())
    if access_tokens.revoke(token, current_user._get_current_object(), now()):
        flash(f"The token \u201c{token.name}\u201d is revoked: it no longer opens anything.")
    return redirect(url_for("access_tokens.listing"))
