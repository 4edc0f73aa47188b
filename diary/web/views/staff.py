"""Staff administration (administrators only): the clinic's staff and its setting, inviting
staff by a single-use link, changing roles, deactivating and reactivating, and resetting a
lost second factor. Each action is one service function (diary/services/staff.py), audited;
another clinic's staff member is 404, the same as nobody."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from diary.clinical import roles
from diary.data.clock import now
from diary.services import staff
from diary.services.accounts import Refused
from diary.web.forms.common import ConfirmForm
from diary.web.forms.staff import ClinicSettingForm, InviteStaffForm, RolesForm
from diary.web.qr import qr_svg
from diary.web.security import staff_required

bp = Blueprint("staff", __name__, url_prefix="/clinic/staff")


def _me():
    return current_user._get_current_object()


def _clinic():
    clinic = staff.admin_clinic(current_user)
    if clinic is None:  # staff_required("staff") lets only administrators in
        abort(403)
    return clinic


def _member_or_404(user_id: int) -> staff.Member:
    found = staff.member(_clinic().id, user_id, now())
    if found is None:
        abort(404)
    return found


def _render(template: str, status: int = 200, **context):
    return render_template(template, roles=roles, statuses=staff.STATUSES, **context), status


def _person_page(m: staff.Member, form=None, refusal=None, status=200):
    if form is None:
        form = RolesForm(formdata=None, data={"roles": list(m.roles)})
    return _render("staff/person.html", status, m=m, clinic=_clinic(), form=form,
                   confirm=ConfirmForm(), refusal=refusal, me=current_user)


@bp.get("/")
@staff_required("staff")
def listing():
    clinic = _clinic()
    setting = ClinicSettingForm(formdata=None, data={
        "own_patients_only": clinic.own_patients_only})
    return _render("staff/listing.html", clinic=clinic, members=staff.members(clinic.id, now()),
                   setting=setting)


@bp.post("/setting")
@staff_required("staff")
def setting():
    form = ClinicSettingForm()
    if not form.validate_on_submit():
        abort(400)
    if staff.set_own_patients_only(_clinic(), form.own_patients_only.data, _me()):
        flash("The setting is saved.")
    return redirect(url_for("staff.listing"))


@bp.route("/invite", methods=["GET", "POST"])
@staff_required("staff")
def invite():
    form = InviteStaffForm()
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            user = staff.invite(_clinic(), form.email.data, form.name.data, form.roles.data,
                                _me(), now(), cfg["INVITE_DAYS"], cfg["SECRET_KEY"])
        except staff.FieldRefused as refusal:
            form[refusal.field].errors = [str(refusal)]
        else:
            return redirect(url_for("staff.invite_link", user_id=user.id))
    return _render("staff/invite_form.html", form=form)


@bp.get("/<int:user_id>")
@staff_required("staff")
def person(user_id: int):
    return _person_page(_member_or_404(user_id))


# One rule for GET and POST on a path: with two, an id past the column would answer 405.
@bp.route("/<int:user_id>/invite", methods=["GET", "POST"])
@staff_required("staff")
def invite_link(user_id: int):
    """The live invite's link and QR code (a reload shows the same link again); POST: a new
    link in place of the old one, which stops working."""
    m = _member_or_404(user_id)
    cfg = current_app.config
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            staff.new_invite(m, _me(), now(), cfg["INVITE_DAYS"], cfg["SECRET_KEY"])
        except Refused as refusal:
            return _person_page(m, refusal=str(refusal))
        flash("A new invite link is made. The earlier link no longer works.")
        return redirect(url_for("staff.invite_link", user_id=m.user.id))
    token = None if m.joined else staff.invite_link(m, cfg["SECRET_KEY"])
    link = url_for("auth.accept_invite", token=token, _external=True) if token else None
    return _render("staff/invite.html", m=m, link=link, qr=qr_svg(link) if link else None,
                   days=cfg["INVITE_DAYS"], form=ConfirmForm())


@bp.post("/<int:user_id>/roles")
@staff_required("staff")
def change_roles(user_id: int):
    m = _member_or_404(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        return _person_page(m, form=form, status=400 if form.csrf_token.errors else 200)
    try:
        changed = staff.change_roles(m, form.roles.data, _me())
    except staff.FieldRefused as refusal:
        form.roles.errors = [str(refusal)]
        return _person_page(m, form=form)
    flash(f"{m.user.name}'s roles are now: {roles.label(m.roles)}." if changed
          else "Nothing changed.")
    return redirect(url_for("staff.person", user_id=m.user.id))


def _confirm_page(m: staff.Member, action: str, refusal=None, status=200):
    return _render("staff/confirm.html", status, m=m, action=action, form=ConfirmForm(),
                   refusal=refusal)


@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
@staff_required("staff")
def deactivate(user_id: int):
    """GET: the confirm page; POST: deactivate."""
    m = _member_or_404(user_id)
    if request.method == "GET":
        return _confirm_page(m, "deactivate")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        staff.deactivate(m, _me(), now())
    except Refused as refusal:
        return _confirm_page(m, "deactivate", refusal=str(refusal))
    flash(f"{m.user.name} is deactivated and signed out everywhere." if m.joined else
          f"{m.user.name}'s invite link no longer works.")
    return redirect(url_for("staff.person", user_id=m.user.id))


@bp.post("/<int:user_id>/reactivate")
@staff_required("staff")
def reactivate(user_id: int):
    m = _member_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        staff.reactivate(m, _me())
    except Refused as refusal:
        return _person_page(m, refusal=str(refusal))
    flash(f"{m.user.name} can sign in again.")
    return redirect(url_for("staff.person", user_id=m.user.id))


@bp.route("/<int:user_id>/reset-2fa", methods=["GET", "POST"])
@staff_required("staff")
def reset_2fa(user_id: int):
    """GET: the confirm page; POST: reset their second factor."""
    m = _member_or_404(user_id)
    if request.method == "GET":
        return _confirm_page(m, "reset-2fa")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        staff.reset_second_factor(m, _me(), now())
    except Refused as refusal:
        return _confirm_page(m, "reset-2fa", refusal=str(refusal))
    flash(f"{m.user.name}'s two-factor sign-in is reset. They are signed out, and set it up "
          "again when they next sign in.")
    return redirect(url_for("staff.person", user_id=m.user.id))
