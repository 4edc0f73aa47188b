"""Web Push reminders, end to end: a push service of our own on 127.0.0.1 takes what
`flask diary send-reminders` sends and decrypts it as a browser would (RFC 8291, aes128gcm,
with the subscription's own private key and auth secret), so the real encryption and VAPID
signing (RFC 8292) are exercised. Also: the subscribe switch's routes."""

import base64
import json
import os
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from diary.data.db import db
from diary.data.models import AuditEvent, Block, PushSubscription, ReminderSent
from diary.web.config import vapid_keys
from tests.conftest import input_value, sign_in
from tests.web.helpers import NOW, add_entry, audit_rows, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

EXPECTED = {"title": "Block Diary reading",
            "body": "A reading is due. Open Block Diary to add it.",
            "url": "/diary/"}
SUBJECT = "mailto:reminders@clinic.example"
HEALTH_WORDS = ("pain", "temperature", "foot", "leg", "block after", "minutes", "numb",
                "medicine", "Pat Test", "walked")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_VAPID = ec.generate_private_key(ec.SECP256R1())
VAPID_PEM = _VAPID.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()


@pytest.fixture
def app_config():
    return {"VAPID_PRIVATE_KEY": VAPID_PEM, "VAPID_SUBJECT": SUBJECT}


class Browser:
    """What a browser keeps for a subscription: its P-256 key pair and a 16-byte secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64(self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


class PushService(ThreadingHTTPServer):
    """A push service that decrypts each message for the browser it is meant for."""

    def __init__(self, browser: Browser):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.browser = browser
        self.status = 201
        self.received = []  # one dict per request, recorded before it is answered
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        got = {"path": self.path, "headers": dict(self.headers), "body": body}
        try:
            # aes128gcm (RFC 8188): salt (16) | record size (4) | key id length (1) | key id,
            # which RFC 8291 makes the sender's ephemeral P-256 public key: the `dh`.
            id_len = body[20]
            got["dh"] = body[21:21 + id_len]
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), got["dh"])
            # http_ece 1.2.1 reads `dh` from that header itself for aes128gcm: given as an
            # argument too, it takes the binary key id for a text label and fails. So None.
            got["plain"] = http_ece.decrypt(body, private_key=server.browser.key, dh=None,
                                            auth_secret=server.browser.auth,
                                            version="aes128gcm")
        except Exception as error:  # noqa: BLE001 - the test asserts on it
            got["error"] = repr(error)
        with server.lock:
            server.received.append(got)
        self.send_response(server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def service(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = PushService(Browser())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def subscribed(app, world, service):
    """A patient whose block was at 10:00 (NOW is 10:30, the 30-minute reading's due time),
    with this browser subscribed at our push service."""
    world.clinician_id = world.clinician()
    world.patient_id = world.patient(world.clinician_id, email="pat@home.example")
    with app.app_context():
        db.session.add(Block(patient_id=world.patient_id, performed_at=NOW - timedelta(minutes=30),
                             side="left", kind="diagnostic_la", recorded_by=world.clinician_id))
        sub = PushSubscription(patient_id=world.patient_id,
                               endpoint=f"{service.base}/push/{b64(os.urandom(12))}",
                               p256dh=service.browser.p256dh, auth=b64(service.browser.auth))
        db.session.add(sub)
        db.session.commit()
        world.subscription = sub.id
    return world


def send(runner):
    result = runner.invoke(args=["diary", "send-reminders"])
    assert result.exit_code == 0, result.output
    return result.output


def live(app, sub_id) -> bool:
    with app.app_context():
        return db.session.get(PushSubscription, sub_id).ended_at is None


# ------------------------------------------------------------------------- end to end

def test_a_due_reading_is_pushed_encrypted_and_signed(app, runner, subscribed, service):
    assert "1 reminders sent" in send(runner)
    (got,) = service.received
    assert "error" not in got, got.get("error")
    assert json.loads(got["plain"]) == EXPECTED
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert 60 <= int(headers["ttl"]) <= 3600
    # VAPID (RFC 8292): a JWT for this push service, signed with the app's key.
    auth = headers["authorization"]
    match = re.fullmatch(r"vapid t=([\w-]+\.[\w-]+\.[\w-]+),k=([\w-]+)", auth)
    assert match, auth
    assert match.group(2) == app.config["VAPID_PUBLIC_KEY"] == vapid_keys(VAPID_PEM)[1]
    assert Vapid.verify(auth)
    claims = json.loads(base64.urlsafe_b64decode(match.group(1).split(".")[1] + "=="))
    assert claims["aud"] == service.base and claims["sub"] == SUBJECT
    assert claims["exp"] > 0


def test_each_reading_is_sent_once(app, runner, subscribed, service):
    send(runner)
    assert "0 reminders sent" in send(runner)
    assert len(service.received) == 1
    with app.app_context():
        rows = db.session.execute(sa.select(ReminderSent.subscription_id,
                                            ReminderSent.due_at)).all()
    assert rows == [(subscribed.subscription, NOW)]


def test_a_reading_another_run_has_claimed_is_not_sent_again(app, runner, subscribed, service):
    """The row is the lock: a run on another host that inserted it first wins."""
    with app.app_context():
        db.session.add(ReminderSent(subscription_id=subscribed.subscription, due_at=NOW,
                                    sent_at=NOW))
        db.session.commit()
    assert "0 reminders sent" in send(runner)
    assert service.received == []


def test_a_gone_subscription_is_ended(app, runner, subscribed, service):
    service.status = 410
    assert "1 subscriptions ended" in send(runner)
    assert not live(app, subscribed.subscription)
    assert [r.patient_id for r in audit_rows(app, AuditEvent.action == "push.end")] == [
        subscribed.patient_id]
    app.config["CLOCK"].now = NOW + timedelta(hours=1, minutes=30)  # the 2-hour reading
    assert "0 reminders sent" in send(runner)
    assert len(service.received) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_404_and_410_both_end_it(app, runner, subscribed, service, status):
    service.status = status
    send(runner)
    assert not live(app, subscribed.subscription)


def test_a_failed_send_is_tried_again_by_the_next_run(app, runner, subscribed, service):
    service.status = 503
    assert "1 failed" in send(runner)
    assert live(app, subscribed.subscription)
    service.status = 201
    assert "1 reminders sent" in send(runner)
    assert [json.loads(g["plain"]) for g in service.received] == [EXPECTED, EXPECTED]


def test_a_covered_reading_is_not_sent(app, runner, subscribed, service):
    add_entry(app, subscribed.patient_id, NOW - timedelta(minutes=5))
    assert "0 reminders sent" in send(runner)
    assert service.received == []


def test_readings_are_sent_when_due_not_before(app, runner, subscribed, service):
    clock = app.config["CLOCK"]
    clock.now = NOW - timedelta(minutes=1)  # the 30-minute reading is not due yet
    assert "0 reminders sent" in send(runner)
    clock.now = NOW  # now it is
    assert "1 reminders sent" in send(runner)
    clock.now = NOW + timedelta(minutes=20)  # its window has closed: nothing more
    assert "0 reminders sent" in send(runner)
    clock.now = NOW + timedelta(minutes=30)  # the 1-hour reading
    assert "1 reminders sent" in send(runner)
    assert len(service.received) == 2
    with app.app_context():
        assert list(db.session.scalars(sa.select(ReminderSent.due_at).order_by(
            ReminderSent.due_at))) == [NOW, NOW + timedelta(minutes=30)]


def test_the_message_carries_no_health_details(app, runner, subscribed, service):
    add_entry(app, subscribed.patient_id, NOW - timedelta(days=1), pain=9,
              notes="Walked to the shop; pain in the left leg")
    send(runner)
    (got,) = service.received
    plain = got["plain"].decode()
    assert set(json.loads(plain)) == {"title", "body", "url"}
    for word in HEALTH_WORDS:
        assert word.lower() not in plain.lower(), word
    assert b"pain" not in got["body"] and b"Pat" not in got["body"]  # nor in the clear


def test_no_key_no_sending(app, runner, subscribed, service):
    app.config["VAPID_PRIVATE_KEY"] = None
    result = runner.invoke(args=["diary", "send-reminders"])
    assert result.exit_code != 0 and "No Web Push key" in result.output
    assert service.received == []


# ------------------------------------------------------------------------ the switch

FCM = "https://fcm.googleapis.com/fcm/send/" + "d" * 40


def subscription_json(endpoint=FCM, browser=None):
    browser = browser or Browser()
    return {"endpoint": endpoint, "expirationTime": None,
            "keys": {"p256dh": browser.p256dh, "auth": b64(browser.auth)}}


@pytest.fixture
def patient(app, as_patient):
    token = input_value(as_patient.get("/diary/account").get_data(as_text=True), "csrf_token")
    as_patient.csrf = token
    return as_patient


def post_json(client, url, body, token=True):
    headers = {"X-CSRFToken": client.csrf} if token else {}
    return client.post(url, json=body, headers=headers)


def test_subscribing_stores_the_browsers_subscription(app, patient, world):
    response = post_json(patient, "/diary/push/subscribe", subscription_json())
    assert response.status_code == 201 and response.get_json()["ok"] is True
    with app.app_context():
        (sub,) = db.session.scalars(sa.select(PushSubscription))
        assert (sub.patient_id, sub.endpoint, sub.ended_at) == (world.patient_id, FCM, None)
    assert [r.action for r in audit_rows(app)][-1] == "push.subscribe"
    response = post_json(patient, "/diary/push/unsubscribe", {"endpoint": FCM})
    assert response.get_json() == {"ok": True, "ended": True}
    with app.app_context():
        assert db.session.scalar(sa.select(PushSubscription.ended_at)) is not None
    assert [r.action for r in audit_rows(app)][-1] == "push.unsubscribe"


def test_subscribing_needs_the_csrf_header(app, patient):
    before = every_table(app)
    response = post_json(patient, "/diary/push/subscribe", subscription_json(), token=False)
    assert response.status_code == 400
    assert every_table(app) == before


@pytest.mark.parametrize("endpoint", [
    "http://127.0.0.1:6379/",                      # the server's own neighbours: never
    "https://169.254.169.254/latest/meta-data",
    "https://evil.example/fcm.googleapis.com/",
    "https://fcm.googleapis.com.evil.example/x",
    "https://fcm.googleapis.com:8443/x",
    "https://user@fcm.googleapis.com/x",
    "ftp://fcm.googleapis.com/x",
    "https://fcm.googleapis.com/" + "x" * 1000,
])
def test_only_a_known_push_service_is_accepted(app, patient, endpoint):
    before = every_table(app)
    response = post_json(patient, "/diary/push/subscribe", subscription_json(endpoint))
    assert response.status_code == 400
    assert every_table(app) == before


@pytest.mark.parametrize("body", [
    None, [], "x", {"endpoint": FCM}, {"endpoint": FCM, "keys": {"p256dh": "x", "auth": "y"}},
    {"endpoint": FCM, "keys": {"p256dh": b64(b"\x04" + b"\x01" * 64), "auth": b64(b"a" * 16)}},
    {"endpoint": FCM, "keys": {"p256dh": Browser().p256dh, "auth": b64(b"a" * 15)}},
])
def test_a_malformed_subscription_is_refused(app, patient, body):
    before = every_table(app)
    assert post_json(patient, "/diary/push/subscribe", body).status_code == 400
    assert every_table(app) == before


def test_the_switch_is_for_patients_only(app, client, world):
    world.clinician_id = world.clinician()
    anonymous = client.post("/diary/push/subscribe", json=subscription_json())
    assert anonymous.status_code == 400  # no CSRF token without a session: refused first
    sign_in(client, "dr@clinic.example")
    token = input_value(client.get("/clinic/").get_data(as_text=True), "csrf_token")
    response = client.post("/diary/push/subscribe", json=subscription_json(),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 404


def test_one_patient_cannot_end_anothers_subscription(app, patient, world):
    post_json(patient, "/diary/push/subscribe", subscription_json())
    world.patient(world.clinician_id, name="Other", email="other@home.example")
    other = app.test_client()
    sign_in(other, "other@home.example")
    other.csrf = input_value(other.get("/diary/account").get_data(as_text=True), "csrf_token")
    response = post_json(other, "/diary/push/unsubscribe", {"endpoint": FCM})
    assert response.get_json() == {"ok": True, "ended": False}
    with app.app_context():
        assert db.session.scalar(sa.select(PushSubscription.ended_at)) is None


# -------------------------------------------------------------------- the VAPID key

def test_the_vapid_key_is_made_once_into_instance_with_mode_600(tmp_path, monkeypatch):
    from flask import Flask

    from diary.web import create_app
    from tests.conftest import BASE_CONFIG

    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path))
    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(config)
    path = tmp_path / "vapid_private_key.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert not list(tmp_path.glob(".vapid_private_key*"))  # no temporary file left behind
    again = create_app(config)
    assert first.config["VAPID_PUBLIC_KEY"] == again.config["VAPID_PUBLIC_KEY"]
    given = create_app({**config, "VAPID_PRIVATE_KEY": VAPID_PEM})
    assert given.config["VAPID_PUBLIC_KEY"] == vapid_keys(VAPID_PEM)[1]


def test_the_key_may_be_given_as_pem_der_or_raw():
    numbers = _VAPID.private_numbers().private_value.to_bytes(32, "big")
    der = _VAPID.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    forms = [VAPID_PEM, b64(numbers), base64.b64encode(der).decode(), b64(der)]
    assert len({vapid_keys(f) for f in forms}) == 1
    with pytest.raises(RuntimeError):
        vapid_keys(b64(ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())))


def test_sign_out_everywhere_ends_the_push_subscriptions_too(app, patient, world):
    """A lost phone stops getting reminders along with its sign-ins and device tokens."""
    assert post_json(patient, "/diary/push/subscribe", subscription_json()).status_code == 201
    response = patient.post("/sign-out-everywhere", data={"csrf_token": patient.csrf})
    assert response.status_code == 302
    with app.app_context():
        sub = db.session.scalar(sa.select(PushSubscription))
        assert sub.ended_at is not None
    assert "push.end" in [r.action for r in audit_rows(app)]
