"""deploy/nginx-block-diary.conf in front of gunicorn: TLS, bodies buffered, forwarded
headers set by the proxy alone, unknown hosts refused, invite links kept out of the log."""

import datetime as dt
import http.client
import os
import shutil
import socket
import ssl
import subprocess

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent
from tests.deploy.conftest import HOST, ROOT, _free_port, input_value, stop, wait_until_serving

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _certificate(tmp):
    """A self-signed certificate for HOST: (certificate path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _ToHost(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 that names HOST in the handshake (SNI), as a browser would."""

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=HOST)


class Proxy:
    def __init__(self, server, tmp):
        self.http_port, self.https_port = _free_port(), _free_port()
        self.cert, key = _certificate(tmp)
        site = (ROOT / "deploy" / "nginx-block-diary.conf").read_text()
        lines = [ln for ln in site.splitlines() if "[::]" not in ln]  # IPv6 may be absent
        site = ("\n".join(lines)
                .replace("diary.clinic.example", HOST)
                .replace(f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(self.cert))
                .replace(f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
                .replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
                .replace("listen 80", f"listen 127.0.0.1:{self.http_port}")
                .replace("listen 443", f"listen 127.0.0.1:{self.https_port}")
                .replace("/var/log/nginx/", f"{tmp}/"))
        (tmp / "site.conf").write_text(site)
        temp = "\n".join(f"{kind}_temp_path {tmp}/{kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;" if os.geteuid() == 0 else ""
        (tmp / "nginx.conf").write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/main-error.log warn;
events {{ worker_connections 256; }}
http {{
    {temp}
    access_log off;
    include {tmp}/site.conf;
}}
""")
        self.log = tmp / "block-diary.access.log"
        out = tmp / "nginx.out"
        with out.open("w") as sink:
            self.proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                                         stdout=sink, stderr=subprocess.STDOUT)
        self.proc.output = out
        wait_until_serving(self.https_port, self.proc)

    def request(self, method, path, body=None, headers=None, cookies=""):
        context = ssl.create_default_context(cafile=str(self.cert))
        conn = _ToHost("127.0.0.1", self.https_port, timeout=20, context=context)
        try:
            conn.request(method, path, body=body, headers={
                "Host": HOST, **({"Cookie": cookies} if cookies else {}), **(headers or {})})
            response = conn.getresponse()
            return response, response.read().decode()
        finally:
            conn.close()

    def close(self):
        stop(self.proc)


@pytest.fixture(scope="module")
def proxy(server, tmp_path_factory):
    if not os.path.exists(NGINX):
        pytest.fail("nginx is not installed (apt-get install nginx-light; .ci/run does)")
    p = Proxy(server, tmp_path_factory.mktemp("nginx"))
    yield p
    p.close()


def test_slow_uploads_do_not_hold_the_workers(proxy):
    """Twenty clients that never finish their request bodies: nginx holds them, and the app
    still answers everyone else (directly on gunicorn the same twenty stall it)."""
    context = ssl.create_default_context(cafile=str(proxy.cert))
    slow = []
    try:
        for _ in range(20):
            raw = socket.create_connection(("127.0.0.1", proxy.https_port))
            conn = context.wrap_socket(raw, server_hostname=HOST)
            conn.sendall(f"POST /sign-in HTTP/1.1\r\nHost: {HOST}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         "Content-Length: 1000\r\n\r\nemail=".encode())
            slow.append(conn)
        for _ in range(3):
            response, body = proxy.request("GET", "/sign-in")
            assert response.status == 200 and "Sign in" in body
    finally:
        for conn in slow:
            conn.close()


def test_the_client_cannot_choose_its_own_address(proxy, server):
    """nginx replaces X-Forwarded-For: a sign-in failure is audited (and rate-limited) at
    the address nginx saw, not at the one the client claimed."""
    server.world.clinician(email="proxied@clinic.example")
    response, page = proxy.request("GET", "/sign-in")
    cookie = response.getheader("Set-Cookie").split(";")[0]
    form = (f"csrf_token={input_value(page, 'csrf_token')}&email=proxied%40clinic.example"
            "&password=wrong-password")
    response, _ = proxy.request("POST", "/sign-in", body=form, cookies=cookie, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "6.6.6.6",
        "Referer": f"https://{HOST}/sign-in"})
    assert response.status == 200
    with server.app.app_context():
        addr = db.session.scalar(sa.select(AuditEvent.remote_addr)
                                 .where(AuditEvent.action == "auth.sign_in_failed")
                                 .order_by(AuditEvent.id.desc()).limit(1))
    assert addr == "127.0.0.1"


def test_unknown_hosts_are_refused_and_never_reflected(proxy):
    plain = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=20)
    try:
        plain.request("GET", "/sign-in", headers={"Host": HOST})
        moved = plain.getresponse()
        moved.read()
        assert moved.status == 301
        assert moved.getheader("Location") == f"https://{HOST}/sign-in"
    finally:
        plain.close()
    forged = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=20)
    try:
        forged.request("GET", "/sign-in", headers={"Host": "evil.example"})
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            forged.getresponse()  # 444: the connection is closed with no answer
    finally:
        forged.close()
    # Certificate checks off: only nginx's refusal can make this handshake fail.
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with (pytest.raises(ssl.SSLError),
          socket.create_connection(("127.0.0.1", proxy.https_port)) as raw):
        context.wrap_socket(raw, server_hostname="evil.example")


def test_invite_links_stay_out_of_the_proxy_log(proxy):
    token = "a-one-time-secret-token-value"
    proxy.request("GET", f"/invite/{token}?utm=x")
    logged = proxy.log.read_text()
    assert "/invite/[redacted]" in logged
    assert token not in logged and "utm" not in logged


def test_the_app_gets_https_and_a_good_session_cookie(proxy, server):
    response, _ = proxy.request("GET", "/sign-in")
    assert response.status == 200  # no redirect loop: the app knows the scheme is https
    cookie = response.getheader("Set-Cookie")
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert "max-age" in response.getheader("Strict-Transport-Security")
