"""Staff administration: inviting a staff member, their roles, the clinic's setting."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, StringField, ValidationError

from diary.clinical import limits, roles
from diary.services.accounts import check_clinician_details
from diary.web.forms.fields import MultiCheckboxField, strip

CHOOSE_ROLES = "Please choose at least one role."


class RolesField(MultiCheckboxField):
    """Check boxes of the staff roles, in words; at least one must be ticked."""

    def __init__(self, label="Roles", **kwargs):
        super().__init__(label, choices=[SelectChoice(code, words)
                                         for code, words in roles.ROLES.items()],
                         invalid_choice_message="Please choose from the roles shown.", **kwargs)

    def pre_validate(self, form):
        if not self.data:
            raise ValidationError(CHOOSE_ROLES)
        super().pre_validate(form)


class _Details:
    """Email and name, checked by the same rules as accounts made on the command line."""

    def validate_email(self, field):
        self._check("email", field)

    def validate_name(self, field):
        self._check("name", field)

    def _check(self, which, field):
        # Only the field's own rule: the password's is not asked here.
        given = {"email": self.email.data or "", "name": self.name.data or ""}
        message = check_clinician_details(given["email"], given["name"],
                                          "x" * limits.PASSWORD_MIN).get(which)
        if message:
            raise ValidationError(message)


class InviteStaffForm(_Details, FlaskForm):
    email = StringField("Email", filters=[strip])
    name = StringField("Name", filters=[strip])
    roles = RolesField()


class RolesForm(FlaskForm):
    roles = RolesField()


class ClinicSettingForm(FlaskForm):
    own_patients_only = BooleanField(
        "Consultants see only the patients they are responsible for")
