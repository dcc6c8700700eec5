"""Probes of a deployed cluster, shared by the `cluster` scenario's tests (molecule/conftest.py) and
`make bench-cluster` (tools/bench_cluster.py): a steady-rate HTTP client through the load
balancer, HAProxy's server states, and objects put on, listed on or deleted from the moto S3 container.
Standard library only."""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Self

# Role airflow_lb: the backend holding the api-servers and the admin socket.
BACKEND = "airflow_api"
HAPROXY_SOCKET = "/var/lib/haproxy/admin.sock"

# Runs inside the S3 container with moto's own Python (boto3 is there); moto takes any key.
S3_SCRIPT = """import sys, boto3
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:9000', region_name='us-east-1',
                  aws_access_key_id='probe', aws_secret_access_key='probe')
action, bucket, key = sys.argv[1:4]
if action == 'put':
    s3.put_object(Bucket=bucket, Key=key, Body=sys.stdin.buffer.read())
elif action == 'list':
    pages = s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=key)
    print('\\n'.join(item['Key'] for page in pages for item in page.get('Contents', [])))
else:
    s3.delete_object(Bucket=bucket, Key=key)
"""


def haproxy_command(lb: str, command: str) -> str:
    """The answer of the HAProxy admin socket on container `lb` to `command`."""
    result = subprocess.run(
        ["docker", "exec", lb, "sh", "-c", f"echo '{command}' | socat stdio {HAPROXY_SOCKET}"],
        capture_output=True, text=True, check=True, timeout=30,
    )
    return result.stdout


def haproxy_worker_pid(lb: str) -> int:
    """PID of the HAProxy worker serving now (a reload starts a new one)."""
    info = dict(line.split(": ", 1) for line in haproxy_command(lb, "show info").splitlines() if ": " in line)
    return int(info["Pid"])


def haproxy_states(lb: str) -> dict[str, str]:
    """Server -> status (UP, "UP 1/3", DOWN, DRAIN, MAINT...) of the api-server backend, from the admin socket."""
    states = {}
    for line in haproxy_command(lb, "show stat").splitlines():
        fields = line.split(",")
        if len(fields) > 17 and fields[0] == BACKEND and fields[1] not in ("FRONTEND", "BACKEND"):
            states[fields[1]] = fields[17]
    return states


def s3(container: str, action: str, bucket: str, key: str, body: str = "") -> list[str]:
    """Put (body) or delete an object on the moto S3 server running in the container, or list the keys
    under a prefix (action "list", key the prefix); the keys listed (empty for put and delete)."""
    result = subprocess.run(
        ["docker", "exec", "-i", container, "/opt/moto/bin/python", "-c", S3_SCRIPT, action, bucket, key],
        input=body.encode(), capture_output=True, check=True, timeout=60,
    )
    return result.stdout.decode().split()


@dataclass
class LoadClient:
    """Sends `rate` requests per second to `base`, each on its own thread so a slow answer does not lower
    the rate, cycling through `requests` (path, headers); records every failure (not 200, error, timeout)
    and counts the answered ones (200), so a test can wait for answers instead of sleeping."""

    base: str
    requests: list[tuple[str, dict[str, str]]]
    rate: float = 10.0
    timeout: float = 10.0
    sent: int = 0
    answered: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    @property
    def failure_pct(self) -> float:
        return 100.0 * len(self.failures) / self.sent if self.sent else 0.0

    def _one(self, path: str, headers: dict[str, str]) -> None:
        error = ""
        try:
            with urllib.request.urlopen(urllib.request.Request(self.base + path, headers=headers),
                                        timeout=self.timeout) as response:
                if response.status != 200:
                    error = f"HTTP {response.status}"
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            error = str(exc)
        with self._lock:
            self.sent += 1
            if error:
                self.failures.append(f"{path}: {error}")
            else:
                self.answered += 1

    def wait_answered(self, count: int, timeout: float) -> int:
        """Wait until `count` more requests than now have been answered (200); return the answered total.
        Raises TimeoutError with the counts when they are not answered within `timeout` seconds."""
        wanted = self.answered + count
        deadline = time.monotonic() + timeout
        while self.answered < wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.answered} of {wanted} requests answered after {timeout:.0f} s "
                                   f"({len(self.failures)} failed: {self.failures[:5]})")
            time.sleep(0.1)
        return self.answered

    def _loop(self) -> None:
        start = tick = time.monotonic()
        with ThreadPoolExecutor(max_workers=int(self.rate * 6)) as pool:
            number = 0
            while not self._stop.is_set():
                pool.submit(self._one, *self.requests[number % len(self.requests)])
                number += 1
                tick += 1 / self.rate
                self._stop.wait(max(0.0, tick - time.monotonic()))
        self.seconds = time.monotonic() - start  # requests still in flight at the stop are counted too

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        print(f"load client: {self.sent} requests in {self.seconds:.0f} s, {len(self.failures)} failed {self.failures[:5]}")
