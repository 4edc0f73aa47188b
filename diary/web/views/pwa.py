"""The installable app: the web app manifest and the service worker, both at the root.

The worker must be served from `/sw.js`, not `/static/js/sw.js`, for its scope to be the
whole site ("/"): a worker controls only the pages under its own folder unless the answer
allows more (`Service-Worker-Allowed`). Both are public and hold nothing private.

Every dynamic answer of the app is `Cache-Control: no-store` (`register_headers`); these two
are not health data and are sent `no-cache` instead, so the browser may keep a copy and ask
whether it changed (ETag) each time it checks for an updated worker.
"""

from pathlib import Path

from flask import Blueprint, current_app, request, send_from_directory, url_for

bp = Blueprint("pwa", __name__)

NAME = "Block Diary"
THEME = "#0b5cab"        # base.html's theme-color
BACKGROUND = "#f4f6f8"   # the page background of diary.css
ICONS = (  # (file under static/, size, purpose)
    ("icons/icon-192.png", 192, "any"),
    ("icons/icon-512.png", 512, "any"),
    ("icons/maskable-512.png", 512, "maskable"),
)
REVALIDATED = frozenset({"pwa.manifest", "pwa.service_worker"})


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "id": url_for("patient.new_entry"),
        "name": NAME,
        "short_name": NAME,
        "description": "Record your pain and foot temperatures after a lumbar "
                       "sympathetic block.",
        "lang": "en",
        "start_url": url_for("patient.new_entry"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": [{"src": url_for("static", filename=path), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": purpose} for path, size, purpose in ICONS],
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    folder = Path(current_app.static_folder) / "js"
    response = send_from_directory(folder, "sw.js", mimetype="text/javascript",
                                   max_age=0, conditional=True)
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.after_app_request
def revalidate(response):
    # Registered with the blueprints, before register_headers' no_store, so it runs after it.
    if request.endpoint in REVALIDATED:
        response.headers["Cache-Control"] = "no-cache"
    return response
