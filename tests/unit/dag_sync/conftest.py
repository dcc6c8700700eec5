"""Fixtures for the airflow_dag_sync engine tests (moto in-process S3, no network)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ENGINE_DIR = Path(__file__).resolve().parents[3] / "roles" / "airflow_dag_sync" / "files"
if str(ENGINE_DIR) not in sys.path:
    sys.path.insert(0, str(ENGINE_DIR))

import airflow_dag_sync as engine
from counting_client import CountingClient

BUCKET = "dag-bucket"
BASE_PREFIX = "dags"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials only; never touch real AWS config files."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)


@pytest.fixture
def s3(aws_env: None) -> Iterator[Any]:
    """A moto-backed boto3 S3 client with an empty bucket."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def client(s3: Any) -> CountingClient:
    return CountingClient(s3)


@pytest.fixture
def put(s3: Any) -> Callable[..., None]:
    """put(tenant_prefix, relkey, body) uploads under dags/<tenant_prefix>/<relkey>."""

    def _put(tenant_prefix: str, relkey: str, body: bytes | str) -> None:
        data = body.encode() if isinstance(body, str) else body
        s3.put_object(Bucket=BUCKET, Key=f"{BASE_PREFIX}/{tenant_prefix}/{relkey}", Body=data)

    return _put


@pytest.fixture
def delete(s3: Any) -> Callable[[str, str], None]:
    def _delete(tenant_prefix: str, relkey: str) -> None:
        s3.delete_object(Bucket=BUCKET, Key=f"{BASE_PREFIX}/{tenant_prefix}/{relkey}")

    return _delete


@pytest.fixture
def make_cfg(tmp_path: Path) -> Callable[..., engine.SyncConfig]:
    """Build a SyncConfig for tests; tenants given as TenantConfig or name strings."""

    def _make(*tenants: engine.TenantConfig | str, **overrides: Any) -> engine.SyncConfig:
        tenant_cfgs = tuple(
            t if isinstance(t, engine.TenantConfig) else engine.TenantConfig(name=t, prefix=t) for t in tenants
        ) or (
            engine.TenantConfig(name="t1", prefix="t1"),
        )
        params: dict[str, Any] = {
            "bucket": BUCKET,
            "base_prefix": BASE_PREFIX,
            "dest_root": tmp_path / "dest",
            "tenants": tenant_cfgs,
            "parallelism": 4,
            "fsync": False,
        }
        params.update(overrides)
        return engine.SyncConfig(**params)

    return _make
