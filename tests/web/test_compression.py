"""Responses are compressed (Flask-Compress) when the client asks: pages, styles, scripts, JSON
and the streamed CSV exports; never the plotly bundle a second time, never a tiny response,
and the security headers stay as they were. Runs on PostgreSQL too (DIARY_TEST_DATABASE_URL)."""

import gzip
import re
import secrets
from datetime import timedelta
from pathlib import Path

import brotli
import pytest
import sqlalchemy as sa
from flask import jsonify

from diary.data.db import db
from diary.data.models import AuditEvent
from tests.conftest import csrf_token
from tests.web.helpers import NOW, add_entry
from tests.web.test_assets import fetch

try:  # Python 3.14 has zstd in the standard library; before it, Flask-Compress's backport
    from compression import zstd
except ImportError:
    from backports import zstd

pytestmark = pytest.mark.usefixtures("fixed_now")

BROWSER = "gzip, deflate, br, zstd"  # what Chrome and Firefox send
BUNDLE = b"/* not really plotly */ window.Plotly = {newPlot: function () {}};\n" * 50
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}


@pytest.fixture
def app_config(tmp_path):
    return {"PLOTLY_DIR": str(tmp_path / "vendor")}


@pytest.fixture
def json_routes(app):
    """The app has no JSON page yet (an API will come): two, to see how JSON is sent."""
    app.add_url_rule("/test/readings.json", "test_json",
                     lambda: jsonify([{"pain": n % 11, "note": "walked"} for n in range(100)]))
    app.add_url_rule("/test/tiny.json", "test_tiny", lambda: jsonify({"ok": True}))


def _same_page(html: bytes) -> bytes:
    """A page with its per-request values (CSP nonce, signed CSRF token) blanked."""
    html = re.sub(rb'nonce="[^"]*"', b'nonce=""', html)
    # The token's signature carries the second it was made: blank it wherever it sits.
    return re.sub(rb'(<input[^>]*name="csrf_token"[^>]*value=)"[^"]*"', rb'\1""', html)


def _get(client, url, accept=None, **kwargs):
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    with client.get(url, headers=headers, **kwargs) as response:
        body = response.get_data()
    return response, body


@pytest.mark.parametrize(("url", "mimetype"), [
    ("/sign-in", "text/html"),
    ("/static/css/diary.css", "text/css"),
    ("/static/js/charts.js", "text/javascript"),
    ("/test/readings.json", "application/json"),
])
@pytest.mark.usefixtures("json_routes")
def test_pages_styles_scripts_and_json_are_gzipped_when_asked(client, url, mimetype):
    plain, plain_body = _get(client, url)
    packed, packed_body = _get(client, url, "gzip")
    assert packed.status_code == plain.status_code == 200
    assert packed.mimetype == mimetype
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert len(packed_body) < len(plain_body)
    assert _same_page(gzip.decompress(packed_body)) == _same_page(plain_body)
    assert "Accept-Encoding" in packed.headers["Vary"]


@pytest.mark.parametrize("encoding", ["br", "zstd"])
def test_brotli_and_zstd_too_and_a_browser_gets_zstd(client, encoding):
    plain, plain_body = _get(client, "/sign-in")
    packed, packed_body = _get(client, "/sign-in", encoding)
    assert packed.headers["Content-Encoding"] == encoding
    assert _same_page(DECODE[encoding](packed_body)) == _same_page(plain_body)
    assert _get(client, "/sign-in", BROWSER)[0].headers["Content-Encoding"] == "zstd"


@pytest.mark.parametrize("accept", [None, "", "identity", "gzip;q=0", "compress"])
def test_not_compressed_unless_asked(as_clinician, accept):
    response, body = _get(as_clinician, "/clinic/", accept)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert body.lstrip().startswith(b"<!doctype html>")
    # Still: a cache must not hand this plain answer to a client that asked for gzip.
    assert "Accept-Encoding" in response.headers["Vary"]


@pytest.mark.parametrize(("accept", "chosen"), [
    ("br;q=0, *", "zstd"),  # Flask-Compress alone sent br here
    ("zstd;q=0, br;q=0.5, gzip", "gzip"),
    ("gzip;q=0.5, br", "br"),
    ("GZIP", "gzip"),
])
def test_the_client_s_qualities_choose_the_encoding(client, accept, chosen):
    assert _get(client, "/sign-in", accept)[0].headers["Content-Encoding"] == chosen


def test_a_compressed_page_keeps_no_store_and_the_csp(as_clinician):
    plain, _ = _get(as_clinician, "/clinic/")
    packed, _ = _get(as_clinician, "/clinic/", BROWSER)
    assert packed.headers["Content-Encoding"] == "zstd"
    for response in (plain, packed):
        assert response.headers["Cache-Control"] == "no-store"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self' 'nonce-" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Accept-Encoding" in packed.headers["Vary"]


@pytest.fixture
def bundle(app_config):
    return fetch.install(BUNDLE, "plotly-basic", Path(app_config["PLOTLY_DIR"]), "test")


@pytest.mark.parametrize("accept", ["gzip", BROWSER, "br", "zstd, deflate", None])
def test_the_plotly_bundle_is_never_compressed_twice(client, bundle, accept):
    response, body = _get(client, f"/assets/{bundle.name}", accept)
    assert response.status_code == 200
    if accept and "gzip" in accept:
        assert response.headers["Content-Encoding"] == "gzip"  # the stored .gz, as it is
        assert gzip.decompress(body) == BUNDLE
        assert body == (bundle.parent / (bundle.name + ".gz")).read_bytes()
    else:
        assert "Content-Encoding" not in response.headers  # left alone, not packed on the fly
        assert body == BUNDLE
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.usefixtures("json_routes")
@pytest.mark.parametrize("url", ["/test/tiny.json", "/static/icon.svg"])
def test_small_responses_are_not_compressed(app, client, url):
    response, body = _get(client, url, BROWSER)
    assert response.status_code == 200
    assert len(body) < app.config["COMPRESS_MIN_SIZE"]
    assert "Content-Encoding" not in response.headers


def _export_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action)
                                       .where(AuditEvent.action.like("export%"))
                                       .order_by(AuditEvent.id)))


@pytest.fixture
def clinic(as_clinician, world, app):
    world.patient_id = world.patient(world.clinician_id, record="R-1")
    # Random notes barely compress, so the compressed stream has rows out before its end.
    for n in range(60):
        add_entry(app, world.patient_id, NOW - timedelta(hours=n + 1),
                  notes=secrets.token_hex(400))
    world.token = csrf_token(as_clinician, "/clinic/export")
    return world


def _export(client, world, accept=None, **kwargs):
    headers = {"Accept-Encoding": accept} if accept else {}
    return client.post("/clinic/export", data={"csrf_token": world.token, "what": "entries"},
                       headers=headers, **kwargs)


@pytest.mark.parametrize("encoding", ["gzip", "zstd", "br"])
def test_a_csv_export_streams_compressed_and_is_audited_once(clinic, as_clinician, app,
                                                             encoding):
    with _export(as_clinician, clinic) as plain:
        plain_body = plain.get_data()
    with _export(as_clinician, clinic, encoding, buffered=False) as packed:
        assert packed.headers["Content-Encoding"] == encoding
        assert "Content-Length" not in packed.headers  # streamed, not gathered first
        assert packed.headers["Cache-Control"] == "no-store"
        assert packed.mimetype == "text/csv"
        body = b"".join(packed.response)
    assert DECODE[encoding](body) == plain_body
    assert plain_body.startswith(b"\xef\xbb\xbf") and len(plain_body.splitlines()) == 61
    assert _export_actions(app) == ["export.clinic.entries"] * 2


def test_a_compressed_download_cut_short_is_audited_as_failed(clinic, as_clinician, app):
    response = _export(as_clinician, clinic, "gzip", buffered=False)
    chunks = iter(response.response)
    first = next(chunks)
    assert first.startswith(b"\x1f\x8b")  # gzip: part of the file went out, not all of it
    response.close()  # the client went away
    assert _export_actions(app) == ["export.clinic.entries.failed"]
