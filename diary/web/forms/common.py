"""What every form shares: the choice lists and the form that is only a CSRF token."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice

CHOOSE = "Please choose one of the answers shown."


def choices(mapping) -> list[SelectChoice]:
    return [SelectChoice(code, words) for code, words in mapping.items()]


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change something."""


class ChoiceField(RadioField):
    """Radio buttons whose missing answer is reported once, by their own validators."""

    def pre_validate(self, form):
        if self.data not in (None, ""):
            super().pre_validate(form)
