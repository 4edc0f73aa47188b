"""plotly.js from our own origin: found by its content-hashed name, sent gzipped, cached a year.

scripts/fetch_plotly.py writes plotly-basic.<sha256-16>.min.js (or the full plotly.<...>.min.js)
and its .gz into diary/static/vendor/ (config PLOTLY_DIR to look elsewhere). The name changes
whenever the content does, so browsers may keep it for a year without asking again.
Templates get its URL from the Jinja global `plotly_src()`; templates/_charts.html uses it.
"""

import re
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, request, send_file, url_for

bp = Blueprint("assets", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"
BUNDLE_NAME = re.compile(r"plotly(?:-basic)?\.[0-9a-f]{16}\.min\.js")
# The partial bundle draws everything diary/clinical/charts/ makes; the full one is the fallback.
PREFERENCE = ("plotly-basic.*.min.js", "plotly.*.min.js")


def find_bundle(folder: Path) -> Path | None:
    """The hashed bundle in `folder`, the basic one first, the newest if there are several."""
    for pattern in PREFERENCE:
        found = [p for p in folder.glob(pattern) if BUNDLE_NAME.fullmatch(p.name)]
        if found:
            return max(found, key=lambda p: p.stat().st_mtime)
    return None


def bundle_path() -> Path | None:
    """The bundle the app serves; looked up again if it disappeared (fetched anew)."""
    cached = current_app.extensions.get("plotly_bundle")
    if cached is not None and cached.exists():
        return cached
    folder = current_app.config.get("PLOTLY_DIR") or Path(current_app.static_folder) / "vendor"
    found = find_bundle(Path(folder))
    if found is None:
        current_app.logger.warning("No plotly.js bundle in %s: run scripts/fetch_plotly.py",
                                   folder)
    current_app.extensions["plotly_bundle"] = found
    return found


def plotly_src() -> str | None:
    """URL of the hashed bundle for a <script src>, or None when it has not been fetched."""
    bundle = bundle_path()
    return url_for("assets.plotly", name=bundle.name) if bundle else None


@bp.get("/assets/<name>")
def plotly(name: str):
    bundle = bundle_path()
    if bundle is None or name != bundle.name:
        abort(404)
    packed = bundle.with_name(bundle.name + ".gz")
    gzip_ok = request.accept_encodings.quality("gzip") > 0 and packed.exists()
    response = send_file(packed if gzip_ok else bundle, mimetype="text/javascript",
                         conditional=True, etag=True)
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Cache-Control"] = IMMUTABLE
    response.vary.add("Accept-Encoding")
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(plotly_src)
