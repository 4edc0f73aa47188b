"""plotly.js from our own origin: the content-hashed bundle, gzipped, cached for a year; the
chart macros; scripts/fetch_plotly.py; and no chart library on the patient's entry page."""

import gzip
import hashlib
import importlib.util
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from flask import render_template_string

from diary.web import assets

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = b"/* not really plotly */ window.Plotly = {newPlot: function () {}};\n" * 50


def _load_fetch():
    spec = importlib.util.spec_from_file_location("fetch_plotly",
                                                  ROOT / "scripts" / "fetch_plotly.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch = _load_fetch()


@pytest.fixture
def vendor(tmp_path):
    return tmp_path / "vendor"


@pytest.fixture
def app_config(vendor):
    return {"PLOTLY_DIR": str(vendor)}


@pytest.fixture
def bundle(vendor):
    return fetch.install(BUNDLE, "plotly-basic", vendor, "test")


def test_bundle_is_named_by_its_content(bundle, vendor):
    digest = hashlib.sha256(BUNDLE).hexdigest()[:16]
    assert bundle.name == f"plotly-basic.{digest}.min.js"
    assert gzip.decompress((vendor / (bundle.name + ".gz")).read_bytes()) == BUNDLE
    # The same bytes give the same .gz, so a rebuilt server sends an identical file.
    again = fetch.install(BUNDLE, "plotly-basic", vendor, "test")
    assert again == bundle


def test_plotly_src_names_the_hashed_bundle(app, bundle):
    with app.test_request_context():
        assert render_template_string("{{ plotly_src() }}") == f"/assets/{bundle.name}"


def test_bundle_is_sent_gzipped_and_cached_for_a_year(client, bundle):
    with client.get(f"/assets/{bundle.name}",
                    headers={"Accept-Encoding": "gzip, br"}) as response:
        body = response.data
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == BUNDLE
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.mimetype == "text/javascript"


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0, deflate"])
def test_bundle_is_sent_plain_to_clients_without_gzip(client, bundle, accept):
    headers = {"Accept-Encoding": accept} if accept else {}
    with client.get(f"/assets/{bundle.name}", headers=headers) as response:
        body = response.data
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert body == BUNDLE
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("name", ["plotly-basic.0123456789abcdef.min.js", "plotly.json",
                                  "plotly-basic.min.js", "..%2Fsecret_key"])
def test_only_the_current_bundle_is_served(client, bundle, name):
    assert client.get(f"/assets/{name}").status_code == 404


def test_basic_bundle_is_preferred_to_the_full_one(vendor):
    full = fetch.install(b"full bundle", "plotly", vendor / "a", "test")
    assert assets.find_bundle(vendor / "a") == full
    (vendor / "b").mkdir(parents=True)
    for path in (full, full.with_name(full.name + ".gz")):
        (vendor / "b" / path.name).write_bytes(path.read_bytes())
    basic = fetch.install(BUNDLE, "plotly-basic", vendor / "c", "test")
    (vendor / "b" / basic.name).write_bytes(BUNDLE)
    assert assets.find_bundle(vendor / "b").name == basic.name


def test_chart_macros(app, bundle):
    page = """{% from "_charts.html" import chart, chart_head %}{{ chart_head() }}
              {{ chart(fig, "timeline", "Pain fell from 7 to 2 & stayed low") }}"""
    fig = '{"data":[],"layout":{"title":{"text":"\\u003c/script\\u003e"}}}'
    with app.test_request_context():
        html = render_template_string(page, fig=fig)
        nonce = render_template_string("{{ csp_nonce() }}")
    assert f'<style id="plotly.js-style-global" nonce="{nonce}"></style>' in html
    srcs = re.findall(r'<script src="([^"]+)" defer></script>', html)
    assert srcs == [f"/assets/{bundle.name}", "/static/js/charts.js"]
    assert '<div id="timeline" class="chart-plot"></div>' in html
    assert "<figcaption>Pain fell from 7 to 2 &amp; stayed low</figcaption>" in html
    data = re.search(r'<script type="application/json" class="chart-data" '
                     r'data-target="timeline">(.*?)</script>', html, re.S).group(1)
    assert json.loads(data)["layout"]["title"]["text"] == "</script>"
    assert "<script>" not in html  # nothing inline to execute


def test_chart_head_without_a_bundle_loads_no_script(app):
    with app.test_request_context():
        html = render_template_string('{% from "_charts.html" import chart_head %}'
                                      "{{ chart_head() }}")
    assert "<script" not in html and "plotly.js-style-global" in html


def test_patient_entry_page_loads_no_chart_library(as_patient, bundle):
    html = as_patient.get("/diary/").get_data(as_text=True)
    assert "<form" in html  # it is the entry page, signed in
    scripts = re.findall(r"<script[^>]*>", html)
    assert not [s for s in scripts if "plotly" in s or "charts.js" in s or "chart-data" in s]
    assert "plotly" not in html


# ------------------------------------------------------------------ scripts/fetch_plotly.py

def _tarball(content: bytes, member: str = fetch.MEMBER) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_fetch_uses_the_tarball_only_when_its_integrity_matches():
    tarball = _tarball(BUNDLE)
    assert fetch.extract_verified(tarball, fetch.integrity_of(tarball)) == BUNDLE
    with pytest.raises(fetch.IntegrityError):
        fetch.extract_verified(tarball, fetch.INTEGRITY)
    other = _tarball(BUNDLE, "package/other.js")
    with pytest.raises(KeyError):
        fetch.extract_verified(other, fetch.integrity_of(other))


def test_fetch_installs_the_verified_basic_bundle(monkeypatch, tmp_path):
    tarball = _tarball(BUNDLE)
    monkeypatch.setattr(fetch, "INTEGRITY", fetch.integrity_of(tarball))
    monkeypatch.setattr(fetch, "npm_pack", lambda: tarball)
    assert fetch.main(["--dest", str(tmp_path)]) == 0
    assert assets.find_bundle(tmp_path).name == fetch.hashed_name("plotly-basic", BUNDLE)
    # A second run finds it in place and does not go to the registry.
    monkeypatch.setattr(fetch, "npm_pack", lambda: pytest.fail("fetched again"))
    assert fetch.main(["--dest", str(tmp_path)]) == 0


def test_fetch_refuses_a_tarball_that_is_not_the_pinned_one(monkeypatch, tmp_path):
    monkeypatch.setattr(fetch, "npm_pack", lambda: _tarball(b"tampered"))
    assert fetch.main(["--dest", str(tmp_path)]) == 1
    assert assets.find_bundle(tmp_path) is None


def test_fetch_falls_back_to_the_full_bundle_without_npm(monkeypatch, tmp_path):
    monkeypatch.setattr(fetch, "npm_pack", lambda: None)
    monkeypatch.setattr(fetch, "full_bundle", lambda: b"the full bundle")
    assert fetch.main(["--dest", str(tmp_path)]) == 0
    found = assets.find_bundle(tmp_path)
    assert found.name == fetch.hashed_name("plotly", b"the full bundle")
    assert gzip.decompress(found.with_name(found.name + ".gz").read_bytes()) == b"the full bundle"


def test_fetched_bundle_if_present_matches_its_name():
    vendor = ROOT / "diary" / "static" / "vendor"
    found = assets.find_bundle(vendor) if vendor.is_dir() else None
    if found is None:
        pytest.skip("scripts/fetch_plotly.py has not been run here")
    data = found.read_bytes()
    assert hashlib.sha256(data).hexdigest()[:16] in found.name
    assert gzip.decompress(found.with_name(found.name + ".gz").read_bytes()) == data
