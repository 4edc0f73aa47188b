"""Browser tests: the real app served on a local port, driven by headless Chromium.

Run them with `.venv/bin/python -m pytest -m browser tests/e2e`. Without Chromium or
Playwright they skip on a workstation but fail when `CI` is set: a browser run that
silently tests nothing must never pass in CI.
"""

import json
import os
import shutil
import subprocess
import tarfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import got_request_exception
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from diary.data.db import db
from diary.web import create_app
from tests.conftest import PASSWORD, World

CHROMIUM = os.environ.get("DIARY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE_VERSION = "4.14.1"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots"

WHERE = {"locale": "en-GB", "timezone_id": "Europe/London"}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, **WHERE}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, **WHERE}

# Reported by every page: CSP violations surface here as console errors, so a policy
# breach fails the test whatever resource caused it.
WATCH_CSP = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
});
"""


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def unavailable(reason: str):
    """Fail in CI, skip elsewhere."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class LiveServer(World):
    """The app on a free local port, on its own migrated SQLite file; accounts are made
    straight in the database (World's helpers), for tests that start past the sign-up."""

    def __init__(self, tmp: Path):
        url = f"sqlite:///{tmp / 'diary.sqlite'}"
        self.app = create_app({
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret-key-long-enough-to-pass",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
        })
        with self.app.app_context():
            upgrade()
        self.errors: list[str] = []
        got_request_exception.connect(self._record_error, self.app)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True,
                                  request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _record_error(self, sender, exception, **extra):
        self.errors.append(repr(exception))

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def scalar(self, query):
        with self.app.app_context():
            try:
                return db.session.scalar(query)
            finally:
                db.session.remove()

    def count(self, model, *where) -> int:
        return self.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture(scope="session")
def sync_api():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="session")
def browser(sync_api):
    try:
        browser = sync_api.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - any launch failure means no browser
        unavailable(f"Chromium at {CHROMIUM} would not start: {exc}")
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def live(tmp_path_factory, browser):
    server = LiveServer(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_server_errors(request):
    """Any exception inside a request fails the test that caused it."""
    if "live" not in request.fixturenames:
        yield
        return
    live = request.getfixturevalue("live")
    before = len(live.errors)
    yield
    assert live.errors[before:] == [], "the server raised while serving this test"


class Watched:
    """A browser context whose pages report console errors, page errors and CSP breaches."""

    def __init__(self, browser, base_url: str, options: dict, name: str):
        self.name = name
        self.context = browser.new_context(base_url=base_url, **options)
        self.context.set_default_timeout(10_000)
        self.context.add_init_script(WATCH_CSP)
        self.problems: list[str] = []
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        return page

    def _console(self, msg):
        if msg.type in ("error", "warning") or "Content Security Policy" in msg.text:
            self.problems.append(f"console {msg.type}: {msg.text} ({self.page.url})")

    def shot(self, label: str, full_page: bool = False) -> Path:
        SHOTS.mkdir(exist_ok=True)
        path = SHOTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self):
        self.context.close()


@pytest.fixture
def open_context(browser, live):
    """open_context('phone'|'desktop', name) -> Watched; asserts a clean console at the end."""
    made: list[Watched] = []

    def factory(kind: str, name: str | None = None, **extra) -> Watched:
        options = {**(PHONE if kind == "phone" else DESKTOP), **extra}
        watched = Watched(browser, live.url, options, name or kind)
        made.append(watched)
        return watched

    yield factory
    problems = [p for w in made for p in w.problems]
    for w in made:
        w.close()
    assert problems == [], "console errors or CSP violations:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def demo_clinic(live):
    from diary.services import demo

    with live.app.app_context():
        demo.seed(datetime.now(UTC))
        db.session.remove()
    return demo


def sign_in(page, email: str, password: str = PASSWORD):
    page.goto("/sign-in")
    page.get_by_label("Email or user name").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


# --- page checks -----------------------------------------------------------------------

def assert_no_sideways_scroll(page, width: int = 360):
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll}px wide at {width}px"


def assert_no_none_attributes(page):
    """A Python None leaking into markup (aria-invalid="None") confuses screen readers.
    plotly's data-unformatted copies a label's visible text (touch pain "None" is a level)."""
    leaks = page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(el =>
        [...el.attributes].filter(a => a.value === 'None' && a.name !== 'data-unformatted')
        .map(a => el.tagName + '@' + a.name))""")
    assert leaks == [], f"{page.url} has attributes set to 'None': {leaks[:5]}"


def small_targets(page, selector: str, minimum: int = 44) -> list[str]:
    """Elements matching selector whose tappable box is under minimum×minimum CSS px."""
    boxes = page.eval_on_selector_all(selector, """els => els.map(el => {
        const r = el.getBoundingClientRect();
        return {text: (el.innerText || el.value || el.tagName).trim().slice(0, 30),
                w: r.width, h: r.height};
    })""")
    assert boxes, f"nothing matches {selector} on {page.url}"
    return [f"{b['text']!r} {b['w']:.0f}x{b['h']:.0f}" for b in boxes
            if b["w"] < minimum - 0.5 or b["h"] < minimum - 0.5]


def _axe_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "block-diary" / f"axe-core-{AXE_VERSION}"


def _fetch_axe(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        return
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"], cwd=target,  # noqa: S603
                   check=True, timeout=120, capture_output=True)
    with tarfile.open(target / f"axe-core-{AXE_VERSION}.tgz") as tar:
        member = tar.extractfile("package/axe.min.js")
        (target / "axe.min.js").write_bytes(member.read())


@pytest.fixture(scope="session")
def axe_source():
    """axe-core's source, fetched once with `npm pack` (or from AXE_CORE_JS)."""
    given = os.environ.get("AXE_CORE_JS")
    path = Path(given) if given else _axe_cache() / "axe.min.js"
    if not path.exists() and not given:
        try:
            _fetch_axe(path.parent)
        except (subprocess.SubprocessError, OSError, tarfile.TarError, KeyError) as exc:
            unavailable(f"could not fetch axe-core {AXE_VERSION} with npm: {exc}")
    if not path.exists():
        unavailable(f"axe-core not found at {path} (needs npm, or AXE_CORE_JS=path/axe.min.js)")
    return path.read_text()


def axe_violations(page, source: str, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core in the page (evaluated, not a script tag: the CSP forbids inline code)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [json.dumps(v) for v in result if v["impact"] in impacts]
