"""Signing in, accepting an invite, passwords and the second factor."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from diary.clinical import limits
from diary.web.forms.fields import plain_text, strip


class SignInForm(FlaskForm):
    email = StringField("Email or user name", filters=[strip],
                        validators=[DataRequired("Please type your email or user name."),
                                    Length(max=limits.EMAIL_MAX), plain_text])
    password = PasswordField("Password", validators=[DataRequired("Please type your password."),
                                                     Length(max=limits.PASSWORD_MAX)])
    remember = BooleanField("Keep me signed in on this phone", default=True)


class PasswordMixin:
    password = PasswordField("New password", validators=[
        DataRequired("Please choose a password."),
        Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX,
               message=f"Please use at least {limits.PASSWORD_MIN} characters.")])
    confirm = PasswordField("Type it again", validators=[
        DataRequired("Please type the password again."),
        EqualTo("password", message="The two passwords are not the same.")])


class AcceptInviteForm(PasswordMixin, FlaskForm):
    email = StringField(
        "Email or a user name you will remember", filters=[strip],
        validators=[DataRequired("Please choose how you will sign in."),
                    Length(min=3, max=limits.EMAIL_MAX,
                           message=f"Please use 3 to {limits.EMAIL_MAX} characters."),
                    Regexp(limits.SIGN_IN_NAME.pattern + r"\Z",
                           message="Use letters, numbers and . _ - @ only."), plain_text])


class ChangePasswordForm(PasswordMixin, FlaskForm):
    current = PasswordField("Current password", validators=[
        DataRequired("Please type your current password."), Length(max=limits.PASSWORD_MAX)])


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app (or a recovery code)",
                       validators=[DataRequired("Please type the code."), Length(max=20)])


class EnrolForm(FlaskForm):
    password = PasswordField("Your password", validators=[
        DataRequired("Please type your password."), Length(max=limits.PASSWORD_MAX)])
    current_code = StringField("Code from your current authenticator app (or a recovery code)",
                               validators=[Length(max=20)])
    code = StringField("6-digit code from the new authenticator", validators=[
        DataRequired("Please type the code the app shows."), Length(max=20)])
