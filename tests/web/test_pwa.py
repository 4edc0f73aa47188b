"""The installable app: the manifest and the service worker at the root, their headers, and
the patient pages that point to them (the outbox script, the install help). The browser side
(offline, the outbox, the worker's cache) is tests/e2e/test_offline.py."""

import gzip
import importlib.util
import re
import struct
from datetime import timedelta
from pathlib import Path

import pytest

from tests.web.helpers import NOW, add_entry

pytestmark = pytest.mark.usefixtures("fixed_now")

STATIC = Path(__file__).resolve().parents[2] / "diary" / "static"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_names_the_app_and_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "Block Diary"
    assert 0 < len(manifest["short_name"]) <= 12
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/diary/", "/", "standalone")
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    kinds = set()
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.mimetype == "image/png", icon["src"]
        width, height = _png_size(png.get_data())
        png.close()
        assert icon["sizes"] == f"{width}x{height}"
        kinds.add((icon["purpose"], width))
    assert kinds == {("any", 192), ("any", 512), ("maskable", 512)}


def test_the_maskable_icon_fills_its_square_and_the_others_have_round_corners():
    """A maskable icon is cut to the platform's shape: it must have no transparent corner
    (PNG colour type 2, no alpha); the plain ones keep the rounded square's clear corners."""
    for name, colour_type in (("maskable-512.png", 2), ("apple-touch-icon-180.png", 2),
                              ("icon-192.png", 6), ("icon-512.png", 6)):
        assert (STATIC / "icons" / name).read_bytes()[25] == colour_type, name


def test_the_service_worker_is_served_at_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    body = response.get_data()
    response.close()
    assert body == (STATIC / "js" / "sw.js").read_bytes()
    for handler in ("install", "activate", "fetch", "push", "notificationclick"):
        assert f'addEventListener("{handler}"'.encode() in body
    # Asked again with its ETag: nothing to send.
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    again.close()


def test_the_service_worker_goes_compressed_when_asked(client):
    response = client.get("/sw.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == (STATIC / "js" / "sw.js").read_bytes()
    response.close()


def test_other_pages_keep_no_store(as_patient):
    for url in ("/diary/", "/diary/history", "/diary/account"):
        assert as_patient.get(url).headers["Cache-Control"] == "no-store"


def _scripts(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


@pytest.mark.parametrize("url", ["/diary/", "/diary/history", "/diary/progress",
                                 "/diary/account"])
def test_patient_pages_link_the_manifest_and_the_outbox(as_patient, url):
    html = as_patient.get(url).get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert re.search(r'<link rel="apple-touch-icon" href="/static/icons/[\w-]+\.png">', html)
    outbox = [tag for tag in _scripts(html) if "js/outbox.js" in tag]
    assert len(outbox) == 1
    assert " defer" in outbox[0] and 'data-sw="/sw.js"' in outbox[0]
    # No inline script: every script tag is a file, or data (the charts' JSON).
    for tag in _scripts(html):
        assert " src=" in tag or 'type="application/json"' in tag, tag


def test_signed_out_pages_have_no_outbox(client):
    html = client.get("/sign-in").get_data(as_text=True)
    assert "outbox.js" not in html and 'rel="manifest"' not in html


def test_clinicians_get_no_outbox(as_clinician):
    html = as_clinician.get("/clinic/").get_data(as_text=True)
    assert "outbox.js" not in html


def test_the_new_entry_form_has_the_outbox_hidden_until_needed(as_patient):
    html = as_patient.get("/diary/").get_data(as_text=True)
    box = html[html.index('<div id="outbox"'):html.index('<form method="post" novalidate')]
    assert 'data-sign-in="/sign-in?next=/diary/"' in box
    assert re.search(r'<div id="outbox-status" role="status" aria-live="polite"></div>', box)
    for wrapper in ("outbox-send", "outbox-show", "outbox-discard"):
        assert re.search(rf'<p id="{wrapper}" hidden>', box), wrapper
    assert ">Send now</button>" in box
    # The confirm box for a kept reading waits in an inert template, not in the form.
    assert '<template id="outbox-confirm">' in box and 'name="confirm_unusual"' in box
    form = html[html.index('<form method="post" novalidate'):]
    assert 'name="confirm_unusual"' not in form


def test_a_correction_has_no_outbox(as_patient, app, world):
    entry_id = add_entry(app, world.patient_id, NOW - timedelta(hours=1))
    html = as_patient.get(f"/diary/entries/{entry_id}/edit").get_data(as_text=True)
    assert 'id="outbox"' not in html


def test_the_account_page_explains_adding_to_the_home_screen(as_patient):
    html = as_patient.get("/diary/account").get_data(as_text=True)
    section = html[html.index('<section class="card" id="install">'):]
    section = section[:section.index("</section>")]
    text = re.sub(r"<[^>]+>", "", section)
    for words in ("iPhone", "Safari", "Share", "Add to Home Screen", "Android", "Chrome",
                  "Install app", "Add to Home screen"):
        assert words in text, words


def test_the_budget_bench_weighs_every_part_of_the_first_load():
    """bench/bench_entry_budget.py keeps working (its figures are its own business)."""
    spec = importlib.util.spec_from_file_location(
        "bench_entry_budget", STATIC.parents[1] / "bench" / "bench_entry_budget.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.run()
    kinds = {row[0] for row in figures["served"]}
    assert kinds == {"page", "css", "js", "worker"}
    urls = {row[1] for row in figures["served"]}
    assert {"/diary/", "/static/js/outbox.js", "/sw.js"} <= urls
    for kind, url, raw, sent, encoding in figures["served"] + figures["gzip"]:
        assert 0 < sent <= raw, (kind, url)
        assert encoding != "none", (kind, url)  # all of it goes compressed
    assert {row[0] for row in figures["extras"]} == {"manifest", "kept page", "icon"}
