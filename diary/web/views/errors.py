"""Plain error pages that give nothing away."""

from flask import render_template
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import SecurityError

from diary.data.db import db
from diary.web import pending

MESSAGES = {
    400: ("Something went wrong with that request",
          "The page may have been open too long. Please go back, reload it and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Page not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "That page cannot be used this way."),
    413: ("Too large", "That was more than the diary can take at once."),
    429: ("Please wait a moment", "There were too many tries. Please wait a minute and try again."),
    500: ("Something went wrong on our side",
          "Nothing you did caused this. Please try again in a few minutes."),
}


def register(app) -> None:
    def handler(error):
        code = getattr(error, "code", 500) or 500
        if code not in MESSAGES:
            code = 500
        title, text = MESSAGES[code]
        if code == 500:
            # A failed write leaves the session unusable; the page still has to render.
            db.session.rollback()
        return render_template("errors/error.html", title=title, text=text, code=code), code

    def csrf_handler(error):
        # An entry typed on a page left open too long is kept, not thrown away.
        if pending.wants_rescue():
            return pending.keep_after_bad_token()
        return handler(error)

    def untrusted_host(error):
        # No URLs can be built for a host we do not serve: a bare page, nothing reflected.
        title, text = MESSAGES[400]
        return (f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
                f"<p>{escape(text)}</p>", 400)

    for code in MESSAGES:
        app.register_error_handler(code, handler)
    app.register_error_handler(SecurityError, untrusted_host)
    app.register_error_handler(CSRFError, csrf_handler)
