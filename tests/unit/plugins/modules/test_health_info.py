"""Unit tests of the airflow_deploy.cluster.health_info module (run as a play runs it).

The endpoints are served by an HTTP server of the test process on the loopback.
"""

from __future__ import annotations

import datetime
import json
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from ansible_collections.airflow_deploy.cluster.plugins.modules import health_info
from ansible_collections.airflow_deploy.cluster.plugins.modules.health_info import judge, value_at
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from module_runner import run_module

HEALTH = {"metadatabase": {"status": "healthy"}, "scheduler": {"status": "unhealthy"}}


class Handler(BaseHTTPRequestHandler):
    """/version 200, /health 200 with HEALTH, /down 503, /late 503 until its third request, /slow 200 after 3 s."""

    hits: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/version":
            self.answer(200, {"version": "3.3.2"})
        elif self.path == "/health":
            self.answer(200, HEALTH)
        elif self.path == "/slow":
            time.sleep(3)
            self.answer(200, {})
        elif self.path == "/late":
            self.answer(200 if self.hits[self.path] >= 3 else 503, {})
        else:
            self.answer(503, {"detail": "down"})

    def answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def serve(context: ssl.SSLContext | None = None) -> Iterator[str]:
    """The base URL of a server with the endpoints of Handler (HTTPS with a TLS context)."""
    Handler.hits = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"{'https' if context else 'http'}://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def server() -> Iterator[str]:
    yield from serve()


def self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server TLS context with a self-signed certificate for 127.0.0.1 that no CA vouches for."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    yield from serve(self_signed(tmp_path))


def python_command(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_value_at_and_judge() -> None:
    assert value_at(HEALTH, "metadatabase.status") == "healthy"
    assert value_at(HEALTH, "nope.status") is None
    assert value_at(["a"], "x") is None
    check = {"json_path": "metadatabase.status", "json_value": "healthy"}
    assert judge(check, 200, HEALTH) is True
    assert judge(check, 503, HEALTH) is False
    assert judge({**check, "json_path": "scheduler.status"}, 200, HEALTH) is False
    assert judge({}, 200, None) is True
    assert judge({}, 204, None) is False  # only HTTP 200 is healthy


def test_one_probe_reports_every_check(server: str) -> None:
    result = run_module("health_info", {
        "http": [{"name": "api-server", "url": f"{server}/version"},
                 {"name": "metadatabase", "url": f"{server}/health", "json_path": "metadatabase.status",
                  "json_value": "healthy"},
                 {"name": "scheduler", "url": f"{server}/down"}],
        "command": python_command("print('TriggererJob alive'); print('DagProcessorJob dead'); raise SystemExit(1)"),
        "command_name": "jobs",
    })
    assert result["changed"] is False
    assert result["healthy"] is False
    assert result["unhealthy"] == ["scheduler", "jobs"]
    assert result["http"]["api-server"]["status"] == 200
    assert result["http"]["api-server"]["json"] == {"version": "3.3.2"}
    assert result["http"]["metadatabase"]["healthy"] is True
    assert result["http"]["scheduler"]["status"] == 503
    assert result["command"]["rc"] == 1
    assert result["command"]["stdout_lines"] == ["TriggererJob alive", "DagProcessorJob dead"]
    assert "scheduler (HTTP 503" in result["msg"] and "jobs (rc 1: TriggererJob alive DagProcessorJob dead)" in result["msg"]


def test_no_answer_is_status_minus_one() -> None:
    result = run_module("health_info", {"http": [{"name": "gone", "url": "http://127.0.0.1:9/"}], "timeout": 1})
    assert result["http"]["gone"]["status"] == -1
    assert result["http"]["gone"]["error"]
    assert result["unhealthy"] == ["gone"]


def test_an_answer_slower_than_the_timeout_is_no_answer(server: str) -> None:
    result = run_module("health_info", {"http": [{"name": "slow", "url": f"{server}/slow"}], "timeout": 1})
    assert result["http"]["slow"]["status"] == -1
    assert "timed out" in result["http"]["slow"]["error"]


def test_validate_certs_rejects_an_unknown_certificate_unless_turned_off(tls_server: str) -> None:
    checks = [{"name": "api-server", "url": f"{tls_server}/version"}]
    verified = run_module("health_info", {"http": checks})
    assert verified["http"]["api-server"]["status"] == -1
    assert "certificate verify failed" in verified["http"]["api-server"]["error"].lower()
    unverified = run_module("health_info", {"http": checks, "validate_certs": False})
    assert unverified["http"]["api-server"]["status"] == 200
    assert unverified["healthy"] is True


def test_a_command_that_cannot_start_is_unhealthy(tmp_path: Path) -> None:
    result = run_module("health_info", {"command": [str(tmp_path / "missing")]})
    assert result["command"]["healthy"] is False
    assert result["command"]["rc"] == -1
    assert result["unhealthy"] == ["command"]


def test_wait_asks_again_only_what_is_unhealthy(server: str, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    # Fails on its first run, passes from the second: counts its runs in a file.
    command = python_command(
        f"import pathlib, sys; p = pathlib.Path({str(runs)!r}); p.write_text(p.read_text() + 'x' if p.exists() else 'x');"
        " sys.exit(0 if len(p.read_text()) >= 2 else 1)")
    result = run_module("health_info", {
        "http": [{"name": "api-server", "url": f"{server}/version"}, {"name": "late", "url": f"{server}/late"}],
        "command": command, "wait": 30,
    })
    assert result["healthy"] is True, result["msg"]
    assert result["unhealthy"] == []
    assert Handler.hits["/version"] == 1  # healthy at once, not asked again
    assert Handler.hits["/late"] == 3
    assert runs.read_text() == "xx"


def test_wait_gives_up_and_names_what_stayed_unhealthy(server: str) -> None:
    result = run_module("health_info", {"http": [{"name": "scheduler", "url": f"{server}/down"}], "wait": 3})
    assert result["healthy"] is False
    assert result["unhealthy"] == ["scheduler"]
    assert Handler.hits["/down"] >= 2
    assert result["msg"].startswith("unhealthy: scheduler (HTTP 503")


def test_airflow_hostname_is_the_canonical_name_of_the_first_address_that_has_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """As airflow.utils.net.getfqdn(), Airflow's default hostname_callable, names the host."""
    monkeypatch.setattr(health_info.socket, "gethostname", lambda: "airflow1")
    monkeypatch.setattr(health_info.socket, "getaddrinfo",
                        lambda *args: [(2, 2, 17, "", ("10.0.0.120", 0)), (2, 2, 17, "airflow1.example.com", ("10.0.0.120", 0))])
    assert health_info.airflow_hostname() == "airflow1.example.com"


@pytest.mark.parametrize("answer", [OSError("no such host"), [(2, 2, 17, "", ("10.0.0.120", 0))]])
def test_airflow_hostname_falls_back_to_the_host_name(monkeypatch: pytest.MonkeyPatch, answer: Any) -> None:
    def getaddrinfo(*args: Any) -> Any:
        if isinstance(answer, OSError):
            raise answer
        return answer

    monkeypatch.setattr(health_info.socket, "gethostname", lambda: "airflow1")
    monkeypatch.setattr(health_info.socket, "getaddrinfo", getaddrinfo)
    assert health_info.airflow_hostname() == "airflow1"


def test_airflow_hostname_is_returned_only_when_asked() -> None:
    assert "airflow_hostname" not in run_module("health_info", {})
    assert run_module("health_info", {"airflow_hostname": True})["airflow_hostname"] == health_info.airflow_hostname()
