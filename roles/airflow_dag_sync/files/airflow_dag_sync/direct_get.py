"""The one seam on botocore internals: GetObject through the client's own signer and HTTP session.

Everything here that botocore does not document as public is listed in :data:`BOTOCORE_ATTRIBUTES` and
checked by :func:`missing_botocore_attributes`; the unit test ``test_direct_get_botocore_seam`` pins the
list against the installed botocore. When a botocore release drops any of them, :meth:`DirectGet.for_client`
returns None and every object is downloaded with the plain ``client.get_object`` (same result, more CPU)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from urllib.parse import quote

from .model import LOG, OpenObject, describe_error, etag_is_content_md5, normalize_etag

# What DirectGet takes from botocore beyond its documented client API: module functions and classes
# (module, attribute), and attributes of an S3 client (dotted paths from the client).
BOTOCORE_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("botocore.awsrequest", "AWSRequest"),
    ("botocore.hooks", "first_non_none_response"),
    ("botocore.httpchecksum", "handle_checksum_body"),
    ("botocore.httpchecksum", "resolve_response_checksum_algorithms"),
    ("botocore.response", "StreamingBody"),
)
CLIENT_ATTRIBUTES: tuple[str, ...] = (
    "_request_signer.sign",
    "_endpoint.http_session.send",
    "meta.events.emit",
    "meta.service_model.operation_model",
    "generate_presigned_url",
)

_WARNED_MISSING: list[bool] = []


def missing_botocore_attributes(client: Any = None) -> list[str]:
    """The botocore names DirectGet needs and cannot find (of ``client`` too, when given); [] when all exist."""
    import importlib

    missing: list[str] = []
    for module_name, attribute in BOTOCORE_ATTRIBUTES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(module_name)
            continue
        if not hasattr(module, attribute):
            missing.append(f"{module_name}.{attribute}")
    if client is not None:
        for path in CLIENT_ATTRIBUTES:
            target = client
            for part in path.split("."):
                target = getattr(target, part, None)
                if target is None:
                    missing.append(f"client.{path}")
                    break
    return missing


class DirectGet:
    """GetObject through the client's own signer and connection pool, without its per-call machinery.

    ``client.get_object`` spends about 1.5 ms of CPU per call on building, validating
    and parsing, and a cold sync is thousands of small GETs that share one GIL.  This
    path signs a plain GET with the client's request signer and sends it over the
    client's HTTP session, so endpoint, addressing style, credentials, proxies and CA
    bundle are the client's; it costs about a third of the CPU.  Anything but a 200
    (and any connection error) goes back to ``client.get_object``, whose retries,
    redirects and error messages then apply.  A redirect or an authorisation error
    also turns the direct path off for the rest of the batch (a bucket in another
    region, S3 Express, access points: cases botocore knows how to handle).  The
    full-object checksum S3 returns is validated by botocore's own response handling,
    with the algorithms get_object would use."""

    PLACEHOLDER = "airflow-dag-sync-placeholder"
    DISABLING_STATUS = frozenset({301, 302, 307, 308, 400, 403})

    def __init__(self, client: Any, base_url: str) -> None:
        from botocore.awsrequest import AWSRequest
        from botocore.hooks import first_non_none_response
        from botocore.httpchecksum import handle_checksum_body, resolve_response_checksum_algorithms
        from botocore.response import StreamingBody

        self._request_cls = AWSRequest
        self._first_response = first_non_none_response
        self._body_cls = StreamingBody
        self._checksum_body = handle_checksum_body
        self._operation = client.meta.service_model.operation_model("GetObject")
        request_dict: dict[str, Any] = {"context": {}}
        resolve_response_checksum_algorithms(request_dict, self._operation, {"ChecksumMode": "ENABLED"})
        self._checksum_context = request_dict["context"]
        self._signer = client._request_signer
        self._http = client._endpoint.http_session
        self._events = client.meta.events
        self._base_url = base_url
        self._lock = threading.Lock()
        self.disabled = False
        self.fallbacks = 0

    @classmethod
    def for_client(cls, client: Any, bucket: str) -> DirectGet | None:
        """The direct path for a botocore client, or None (another client, no credentials)."""
        missing = missing_botocore_attributes(client)
        if missing:
            # A botocore client without them: a botocore release changed its internals. Said once.
            if hasattr(client, "meta") and not _WARNED_MISSING:
                _WARNED_MISSING.append(True)
                LOG.warning("direct GET off, botocore lacks %s: the boto3 client downloads", ", ".join(missing))
            return None
        try:
            # The URL botocore itself would use for a key: endpoint, addressing style, bucket.
            url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": cls.PLACEHOLDER})
        except Exception as exc:  # noqa: BLE001 - without a presigned URL the boto3 client does the GETs
            LOG.debug("direct GET unavailable, using the boto3 client: %s", describe_error(exc))
            return None
        base, found, _rest = url.partition(cls.PLACEHOLDER)
        return cls(client, base) if found else None

    def open(self, key: str) -> OpenObject | None:
        """The object's body, or None when ``client.get_object`` must handle this key."""
        if self.disabled:
            return None
        try:
            response = self._send(key)
        except Exception as exc:  # noqa: BLE001 - any failure falls back to the boto3 client
            LOG.debug("direct GET of %s failed, retrying with the boto3 client: %s", key, describe_error(exc))
            self._fell_back(None)
            return None
        status = int(response.status_code)
        if status != 200:
            with contextlib.suppress(Exception):
                _body = response.content  # reads the error body: the connection goes back to the pool
            self._fell_back(status)
            return None
        headers = response.headers
        length = int(headers["content-length"]) if "content-length" in headers else None
        parsed: dict[str, Any] = {"headers": headers, "context": {}}
        self._checksum_body(response, parsed, self._checksum_context, self._operation)  # sets a checking body
        return OpenObject(
            body=parsed["body"] if "body" in parsed else self._body_cls(response.raw, length),
            etag=normalize_etag(headers.get("etag")),
            length=length,
            etag_is_md5=etag_is_content_md5(
                headers.get("x-amz-server-side-encryption"),
                headers.get("x-amz-server-side-encryption-customer-algorithm"),
            ),
        )

    def _send(self, key: str) -> Any:
        request = self._request_cls(
            method="GET",
            url=self._base_url + quote(key, safe="/~"),
            headers={"x-amz-checksum-mode": "ENABLED"},
            stream_output=True,
        )
        self._signer.sign("GetObject", request)
        prepared = request.prepare()
        # What botocore's endpoint does: a before-send hook may answer (moto, stubs).
        response = self._first_response(self._events.emit("before-send.s3.GetObject", request=prepared))
        return response if response is not None else self._http.send(prepared)

    def _fell_back(self, status: int | None) -> None:
        with self._lock:
            self.fallbacks += 1
            if status in self.DISABLING_STATUS and not self.disabled:
                self.disabled = True
                LOG.info("direct GET answered HTTP %s; the boto3 client downloads the rest of this batch", status)
