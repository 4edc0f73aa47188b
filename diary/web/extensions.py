"""The web extensions, created here and bound to the app in create_app."""

from flask import request
from flask_compress import Compress as _Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()


class Compress(_Compress):
    """Flask-Compress (settings in config.py), except for the endpoints that choose their own
    encoding: plotly.js is stored gzipped (assets.py) and goes as it is to a client without
    gzip, never compressed again on the fly.

    A streamed body is replaced by its compressed stream, and closing the response closed only
    the new one: the original is closed too, at once (a static file's handle; an export's
    generator, which writes its `….failed` audit event when the download is cut short).

    Flask-Compress 1.25 takes "gzip;q=0" (gzip refused) for a yes, and "br;q=0, *" for br:
    Werkzeug chooses the encoding instead, by the client's qualities then our order, and
    Flask-Compress is shown only that one."""

    LEFT_ALONE = frozenset({"assets.plotly"})

    def after_request(self, response):
        if request.endpoint in self.LEFT_ALONE:
            return response
        body = response.response
        offered = self.streaming_algorithms if response.is_streamed else self.enabled_algorithms
        environ = request.environ
        asked = environ.get("HTTP_ACCEPT_ENCODING")
        environ["HTTP_ACCEPT_ENCODING"] = request.accept_encodings.best_match(offered) or ""
        try:
            response = super().after_request(response)
        finally:
            if asked is None:
                del environ["HTTP_ACCEPT_ENCODING"]
            else:
                environ["HTTP_ACCEPT_ENCODING"] = asked
        if response.response is not body and hasattr(body, "close"):
            response.call_on_close(body.close)
        return response


compress = Compress()
