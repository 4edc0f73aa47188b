"""The phone with no signal, in Chromium at 360×740: the installable app (manifest, service
worker, the entry form with the network off) and the on-phone outbox (static/js/outbox.js):
an entry that cannot be sent is kept on the phone and sent later through the device token,
exactly once, whatever became of the sign-in; one the diary refuses comes back into the form.
Nothing here waits a fixed time: every wait is for a condition in the page."""

import itertools
import json
import re
import struct
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from diary.data.db import db
from diary.data.models import Entry, Patient

from .conftest import sign_in

pytestmark = pytest.mark.browser

KEPT_ONE = "Saved on this phone — it will be sent when you are back online (1 waiting)."
SENT_ONE = "Sent: the entry saved on this phone is now in your diary."
WAIT_MS = 20_000  # the outbox's own patience with the server is 15 s
# What Chromium logs for the answers these tests bring about on purpose: refusals and no network.
EXPECTED_NOISE = re.compile(r"Failed to load resource: (the server responded with a status of "
                            r"(400|401|410|422|502)|net::ERR_INTERNET_DISCONNECTED)")

# Reads a store of the outbox's database; never creates the database (the page's script does).
IDB_ALL = """store => new Promise((resolve, reject) => {
  const open = indexedDB.open('block-diary', 1);
  open.onupgradeneeded = () => open.transaction.abort();
  open.onerror = () => resolve([]);
  open.onsuccess = () => {
    const db = open.result;
    const req = db.transaction(store).objectStore(store).getAll();
    req.onsuccess = () => { db.close(); resolve(req.result); };
    req.onerror = () => { db.close(); reject(req.error); };
  };
})"""
IDB_PUT = """([store, value]) => new Promise((resolve, reject) => {
  const open = indexedDB.open('block-diary', 1);
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction(store, 'readwrite');
    tx.objectStore(store).put(value);
    tx.oncomplete = () => { db.close(); resolve(true); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  };
})"""

_numbers = itertools.count(1)


class Phone:
    """A patient of their own, signed in on a phone whose outbox has its device token."""

    def __init__(self, open_context, live, name: str, **options):
        n = next(_numbers)
        self.live = live
        self.email = f"offline-{name}-{n}@home.example"
        clinician = live.clinician(f"offline-dr-{name}-{n}@clinic.example")
        self.patient_id = live.patient(clinician, name=f"Olive Offline {n}", email=self.email)
        self.w = open_context("phone", f"offline-{name}", **options)
        self.context = self.w.context
        self.page = self.w.page

    def sign_in(self):
        sign_in(self.page, self.email)
        self.page.wait_for_url("**/diary/")
        self.page.wait_for_function(f"() => ({IDB_ALL})('tokens').then(t => t.length > 0)")
        return self

    def worker_ready(self):
        self.page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        self.page.wait_for_function(
            "() => caches.open('block-diary-pages-1').then(c => c.keys()).then(k => k.length == 2)")

    def kept(self, page=None) -> list[dict]:
        return (page or self.page).evaluate(IDB_ALL, "outbox")

    def rows(self) -> int:
        return self.live.count(Entry, Entry.patient_id == self.patient_id)

    def entry_ids(self) -> list[str]:
        with self.live.app.app_context():
            try:
                return list(db.session.scalars(sa.select(Entry.id).where(
                    Entry.patient_id == self.patient_id)))
            finally:
                db.session.remove()


@pytest.fixture
def phones(open_context, live):
    """phones(name, **context options) -> Phone; contexts(kind, name, **options) -> Watched.
    The console must stay quiet but for the refusals and the lost network the tests cause."""
    made = []

    def phone(name: str, **options) -> Phone:
        p = Phone(open_context, live, name, **options)
        made.append(p.w)
        return p

    def context(kind: str, name: str, **options):
        made.append(open_context(kind, name, **options))
        return made[-1]

    phone.context = context
    yield phone
    for w in made:
        w.problems[:] = [p for p in w.problems if not EXPECTED_NOISE.search(p)]


def status(page):
    return page.locator("#outbox-status")


def tap_pain(page, score: int):
    page.locator(".pain-choice").filter(has_text=re.compile(rf"^\s*{score}\s*$")).tap()


def fill_entry(page, pain: int, treated: str = "", other: str = "") -> str:
    """Answer the form; its client UUID."""
    tap_pain(page, pain)
    page.locator("input[name=temp_treated]").fill(treated)
    page.locator("input[name=temp_other]").fill(other)
    return page.locator("input[name=client_id]").input_value()


def save(page):
    page.get_by_role("button", name="Save", exact=True).tap()


def test_saved_offline_then_sent_once_when_back_online(phones):
    phone = phones("online-again").sign_in()
    page = phone.page
    phone.context.set_offline(True)
    client_id = fill_entry(page, 6, "31.4", "29.0")
    save(page)
    expect(status(page)).to_have_text(KEPT_ONE)
    expect(page.locator("#outbox-send")).to_be_visible()
    [kept] = phone.kept()
    assert kept["client_id"] == client_id and kept["state"] == "waiting"
    assert kept["fields"]["pain"] == "6" and kept["fields"]["temp_treated"] == "31.4"
    assert kept["observed_at"] == kept["fields"]["observed_at"]
    assert "csrf_token" not in kept["fields"]
    # A fresh form for the next entry, under a new UUID.
    assert page.locator("input[name=client_id]").input_value() not in ("", client_id)
    assert page.locator("input[name=pain]:checked").count() == 0
    assert page.locator("input[name=temp_treated]").input_value() == ""
    assert phone.rows() == 0
    phone.w.shot("offline-kept", full_page=False)

    phone.context.set_offline(False)  # the page hears "online" and sends
    expect(status(page)).to_have_text(SENT_ONE, timeout=WAIT_MS)
    expect(page.locator("#outbox-send")).to_be_hidden()
    assert phone.kept() == []
    assert phone.rows() == 1 and phone.entry_ids() == [client_id]

    # Replayed (the same entry kept again and sent twice over): still one row.
    page.evaluate(IDB_PUT, ["outbox", kept])
    page.reload()
    expect(status(page)).to_have_text(SENT_ONE, timeout=WAIT_MS)
    page.evaluate(IDB_PUT, ["outbox", kept])
    page.evaluate("() => window.BlockDiaryOutbox.send(true)")
    assert phone.kept() == [] and phone.rows() == 1

    page.get_by_role("link", name="History").tap()
    page.wait_for_url("**/diary/history")
    card = page.locator(".entry-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Pain 6/10")
    expect(card).to_contain_text("31.4 °C")


def test_an_entry_kept_when_the_browser_closed_is_sent_when_it_opens_again(phones):
    phone = phones("reopened").sign_in()
    phone.context.set_offline(True)
    client_id = fill_entry(phone.page, 3)
    save(phone.page)
    expect(status(phone.page)).to_have_text(KEPT_ONE)
    # The browser closes with the entry on the phone; later it starts again, online.
    saved_state = phone.context.storage_state(indexed_db=True)
    phone.page.close()
    phone.context.close()
    assert phone.rows() == 0
    again = phones.context("phone", "offline-reopened-again", storage_state=saved_state)
    page = again.page
    page.goto("/diary/")
    expect(status(page)).to_have_text(SENT_ONE, timeout=WAIT_MS)
    assert page.evaluate(IDB_ALL, "outbox") == []
    assert phone.rows() == 1 and phone.entry_ids() == [client_id]


def test_with_the_sign_in_gone_kept_entries_go_with_the_device_token(phones):
    phone = phones("expired").sign_in()
    page = phone.page
    phone.context.set_offline(True)
    first = fill_entry(page, 4)
    save(page)
    expect(status(page)).to_have_text(KEPT_ONE)
    phone.context.clear_cookies()  # the sign-in and its CSRF token are gone
    phone.context.set_offline(False)
    expect(status(page)).to_have_text(SENT_ONE, timeout=WAIT_MS)
    assert phone.rows() == 1

    # Saved online on the page left open: the form post is refused (no session, so no CSRF
    # token), the entry is kept, and the device token sends it at once.
    second = fill_entry(page, 2)
    save(page)
    expect(page.locator("input[name=client_id]")).not_to_have_value(second)  # kept, form blank
    page.wait_for_function(f"() => ({IDB_ALL})('outbox').then(kept => kept.length == 0)")
    expect(status(page)).to_have_text(SENT_ONE)
    assert sorted(phone.entry_ids()) == sorted([first, second])


def test_a_server_error_keeps_the_entry_and_it_is_sent_anyway(phones):
    phone = phones("server-error").sign_in()
    page = phone.page
    # The page's post meets a broken server; the API answers (the route is the page's only).
    page.route(re.compile(r".*/diary/$"), lambda route: (
        route.fulfill(status=502, body="Bad gateway") if route.request.method == "POST"
        else route.continue_()))
    client_id = fill_entry(page, 5)
    save(page)
    expect(status(page)).to_have_text(SENT_ONE, timeout=WAIT_MS)
    assert phone.entry_ids() == [client_id]
    page.unroute(re.compile(r".*/diary/$"))


def test_an_entry_the_diary_refuses_comes_back_with_its_message(phones):
    phone = phones("refused").sign_in()
    page = phone.page
    phone.context.set_offline(True)
    client_id = fill_entry(page, 7, "95")  # a Fahrenheit reading, typed as °C
    save(page)
    expect(status(page)).to_have_text(KEPT_ONE)
    assert page.locator("input[name=temp_treated]").input_value() == ""
    phone.context.set_offline(False)
    # Back in the form, filled in, with the diary's own message at the field.
    treated = page.locator("input[name=temp_treated]")
    expect(treated).to_have_value("95", timeout=WAIT_MS)
    expect(page.locator("input[name=client_id]")).to_have_value(client_id)
    expect(page.locator("input[name=pain][value='7']")).to_be_checked()
    message = page.locator("#temp_treated-error")
    expect(message).to_contain_text("95 °C is too hot for skin. Did you mean °F?")
    expect(treated).to_have_attribute("aria-invalid", "true")
    expect(page.locator("main > .alert[role=alert]")).to_contain_text("Please look at the marked")
    expect(status(page)).to_contain_text("The diary could not take an entry saved on this phone")
    expect(page.locator("#outbox-discard")).to_be_visible()
    [kept] = phone.kept()
    assert kept["state"] == "refused" and kept["errors"]["temp_treated"]
    assert phone.rows() == 0
    phone.w.shot("offline-refused", full_page=True)

    # Still kept after a reload: never dropped until saved or discarded.
    page.reload()
    expect(treated).to_have_value("95")
    expect(message).to_be_visible()

    # Corrected and saved: the usual way on to the history, and out of the outbox.
    page.locator("label.option").filter(has_text=re.compile(r"^\s*°F\s*$")).tap()
    save(page)
    page.wait_for_url("**/diary/history")
    expect(page.locator(".flash")).to_contain_text("Saved")
    assert phone.kept() == []
    assert phone.entry_ids() == [client_id]


def test_a_kept_reading_to_confirm_comes_back_with_the_confirm_box(phones):
    phone = phones("confirm").sign_in()
    page = phone.page
    phone.context.set_offline(True)
    client_id = fill_entry(page, 5, "18.0", "29.0")  # cold for a foot: the diary asks to check
    save(page)
    expect(status(page)).to_have_text(KEPT_ONE)
    phone.context.set_offline(False)
    expect(page.locator("input[name=temp_treated]")).to_have_value("18.0", timeout=WAIT_MS)
    expect(page.locator(".temps .warning")).to_contain_text("That is cold for a foot.")
    expect(page.locator("main > .alert")).to_contain_text("Please check the reading marked")
    assert phone.kept()[0]["warnings"]["temp_treated"]
    page.get_by_label("I checked: the reading is right, save it").check()
    save(page)
    page.wait_for_url("**/diary/history")
    expect(page.locator(".flash")).to_have_text("Saved. Thank you.")
    assert phone.kept() == [] and phone.entry_ids() == [client_id]


def test_a_revoked_device_token_leaves_the_entry_on_the_phone(phones):
    phone = phones("revoked").sign_in()
    page = phone.page
    phone.context.set_offline(True)
    client_id = fill_entry(page, 8)
    save(page)
    expect(status(page)).to_have_text(KEPT_ONE)
    # Lost phone? The patient signs out everywhere from a computer: sign-ins and tokens end.
    desk = phones.context("desktop", "offline-revoker")
    sign_in(desk.page, phone.email)
    desk.page.goto("/diary/account")
    desk.page.get_by_role("button", name="Sign out everywhere").click()
    desk.page.wait_for_url("**/sign-in")

    phone.context.set_offline(False)
    expect(status(page)).to_contain_text("Please sign in again to send 1 waiting entry.",
                                         timeout=WAIT_MS)
    link = status(page).get_by_role("link", name="Sign in again")
    expect(link).to_have_attribute("href", re.compile(r"^/sign-in\?next="))
    expect(page.locator("#outbox-send")).to_be_hidden()  # only signing in can help
    [kept] = phone.kept()
    assert kept["client_id"] == client_id and kept["state"] == "signin"
    assert phone.rows() == 0
    phone.w.shot("offline-sign-in-again")

    # Signed in again on the phone: a new token, and the entry goes.
    link.tap()
    page.wait_for_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Email or user name").fill(phone.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/diary/")
    expect(status(page)).to_have_text(SENT_ONE, timeout=WAIT_MS)
    assert phone.entry_ids() == [client_id]


def test_an_entry_kept_when_the_clinic_closes_the_diary_says_so_and_can_go(phones):
    """Discharged while an entry waited on the phone: the phone says the diary is closed
    (not "sign in again", which could never help) and the patient can discard the entry."""
    phone = phones("closed").sign_in()
    page = phone.page
    phone.context.set_offline(True)
    fill_entry(page, 6)
    save(page)
    expect(status(page)).to_have_text(KEPT_ONE)
    with phone.live.app.app_context():
        try:
            patient = db.session.get(Patient, phone.patient_id)
            patient.archived_at = datetime.now(UTC)
            db.session.commit()
        finally:
            db.session.remove()

    phone.context.set_offline(False)
    expect(status(page)).to_contain_text("Your diary with the clinic is closed",
                                         timeout=WAIT_MS)
    expect(status(page)).to_contain_text("could not be sent: you can discard it")
    expect(status(page)).not_to_contain_text("sign in again")
    [kept] = phone.kept()
    assert kept["state"] == "closed" and phone.rows() == 0
    phone.w.shot("offline-diary-closed")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#outbox-discard").get_by_role("button").click()
    expect(status(page)).to_have_text("The entry saved on this phone is discarded.")
    assert phone.kept() == [] and phone.rows() == 0


def test_the_entry_form_works_with_the_network_off(phones):
    phone = phones("shell").sign_in()
    page = phone.page
    phone.worker_ready()
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
    served = page.evaluate("() => document.querySelector('input[name=client_id]').value")
    phone.context.set_offline(True)
    for url in ("/diary/", "/diary/history"):
        response = page.goto(url)
        assert response.ok and response.from_service_worker, url
    page.goto("/diary/")
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    # Styled from the kept style sheet, and a new UUID on every showing of the kept copy.
    assert page.evaluate("""() => [...document.styleSheets].some(
        sheet => sheet.href.endsWith('/diary.css') && sheet.cssRules.length > 20)""")
    first = page.locator("input[name=client_id]").input_value()
    page.reload()
    second = page.locator("input[name=client_id]").input_value()
    assert len({served, first, second}) == 3
    phone.w.shot("offline-form")

    # And an entry saved on it waits on the phone.
    fill_entry(page, 2)
    save(page)
    expect(status(page)).to_have_text(KEPT_ONE)
    phone.context.set_offline(False)
    expect(status(page)).to_have_text(SENT_ONE, timeout=WAIT_MS)
    assert phone.rows() == 1

    # Signing out leaves no diary page on the phone, nor the token (nothing waits for it).
    page.get_by_role("button", name="Sign out").tap()
    page.wait_for_url(re.compile(r"/sign-in$"))
    assert "block-diary-pages-1" not in page.evaluate("() => caches.keys()")
    assert page.evaluate(IDB_ALL, "tokens") == []


def test_online_the_form_behaves_as_it_always_did(phones):
    phone = phones("as-usual").sign_in()
    page = phone.page
    save(page)  # no pain chosen: the server's page with the question marked
    expect(page.locator("main > .alert")).to_contain_text("Please look at the marked questions")
    expect(page.locator(".pain .error")).to_contain_text("Please tap a number from 0 to 10.")
    client_id = fill_entry(page, 1)
    save(page)
    page.wait_for_url("**/diary/history")
    expect(page.locator(".flash")).to_have_text("Saved. Thank you.")
    assert phone.entry_ids() == [client_id]
    assert phone.kept() == []


def test_without_javascript_the_form_posts_as_before(phones):
    phone = phones("no-js", java_script_enabled=False)
    sign_in(phone.page, phone.email)
    page = phone.page
    page.wait_for_url("**/diary/")
    expect(page.locator("#outbox-send")).to_be_hidden()
    page.locator(".pain-choice").filter(has_text=re.compile(r"^\s*3\s*$")).click()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/diary/history")
    expect(page.locator(".flash")).to_have_text("Saved. Thank you.")
    assert phone.rows() == 1


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_makes_the_diary_installable(phones):
    phone = phones("manifest").sign_in()
    page = phone.page
    phone.worker_ready()
    href = page.locator("link[rel=manifest]").get_attribute("href")
    response = page.request.get(href)
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    for key in ("name", "short_name", "start_url", "scope", "display", "icons",
                "theme_color", "background_color"):
        assert manifest.get(key), key
    assert manifest["name"] == "Block Diary" and len(manifest["short_name"]) <= 12
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/diary/", "/", "standalone")
    purposes = set()
    for icon in manifest["icons"]:
        got = page.request.get(icon["src"])
        assert got.ok and got.headers["content-type"] == "image/png", icon["src"]
        width, height = _png_size(got.body())
        assert icon["sizes"] == f"{width}x{height}", icon
        purposes.add((icon.get("purpose", "any"), width))
    assert {("any", 192), ("any", 512), ("maskable", 512)} <= purposes
    touch = page.request.get(page.locator("link[rel=apple-touch-icon]").get_attribute("href"))
    assert _png_size(touch.body()) == (180, 180)
    # Chromium's own reading of it: no manifest errors, nothing stopping an install.
    cdp = phone.context.new_cdp_session(page)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["errors"] == [], parsed["errors"]
    installability = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are private windows, where Chromium never offers an install.
    assert [e for e in installability if e["errorId"] != "in-incognito"] == [], installability


def test_a_push_message_shows_its_own_words_and_opens_our_page(phones):
    """The reminder as the push service brings it (the server side: tests/web/test_push.py):
    title and body from the payload's JSON, and the page to open kept with it."""
    phone = phones("push").sign_in()
    phone.worker_ready()
    phone.context.grant_permissions(["notifications"])
    cdp = phone.context.new_cdp_session(phone.page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")  # reports the registrations that exist
    for _ in range(100):
        if registrations:
            break
        phone.page.evaluate("() => 0")  # lets the events come in
    [registration] = [r for r in registrations if r["scopeURL"] == phone.live.url + "/"]
    message = {"title": "Block Diary reading", "body": "A reading is due. Open Block Diary "
               "to add it.", "url": "/diary/history"}
    elsewhere = {**message, "url": "https://elsewhere.example/diary/", "tag": "second"}
    for payload in (message, elsewhere):
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": phone.live.url, "registrationId": registration["registrationId"],
            "data": json.dumps(payload)})
    [worker] = phone.context.service_workers
    shown = worker.evaluate("""async () => {
        for (;;) {
            const shown = await self.registration.getNotifications();
            if (shown.length == 2) {
                return shown.map(n => ({title: n.title, body: n.body, url: n.data.url}));
            }
            await new Promise(resolve => setTimeout(resolve, 50));
        }
    }""")
    # Only a page of the diary's own is ever opened from a notification.
    assert shown == [{"title": message["title"], "body": message["body"], "url": url}
                     for url in (phone.live.url + "/diary/history", phone.live.url + "/diary/")]
