"""The one seam on botocore internals (airflow_dag_sync.direct_get), pinned against the installed botocore.

When a botocore upgrade fails here, DirectGet is already off in production for that botocore (the
engine downloads with client.get_object); adapt direct_get.py, or drop DirectGet, before the upgrade.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import airflow_dag_sync as engine
import pytest
from airflow_dag_sync import direct_get

BUCKET = "dag-bucket"  # conftest.BUCKET


def test_direct_get_botocore_seam(s3: Any) -> None:
    """Every botocore name DirectGet uses exists, with the call shapes it relies on."""
    import botocore

    missing = direct_get.missing_botocore_attributes(s3)
    assert missing == [], f"botocore {botocore.__version__} lacks {missing}: adapt airflow_dag_sync/direct_get.py"

    from botocore.awsrequest import AWSRequest
    from botocore.httpchecksum import handle_checksum_body, resolve_response_checksum_algorithms

    assert "stream_output" in inspect.signature(AWSRequest).parameters
    assert len(inspect.signature(resolve_response_checksum_algorithms).parameters) >= 3  # (request, model, params)
    assert len(inspect.signature(handle_checksum_body).parameters) >= 4  # (http_response, response, context, model)
    assert direct_get.DirectGet.for_client(s3, BUCKET) is not None


def test_direct_get_off_when_botocore_lacks_a_name(
    s3: Any,
    put: Callable[..., None],
    make_cfg: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A botocore without one of the names: no direct path, one warning, the client downloads everything."""
    monkeypatch.setattr(
        direct_get, "BOTOCORE_ATTRIBUTES", (*direct_get.BOTOCORE_ATTRIBUTES, ("botocore.hooks", "gone_in_a_release"))
    )
    monkeypatch.setattr(direct_get, "_WARNED_MISSING", [])
    caplog.set_level(logging.WARNING, logger="airflow_dag_sync")
    assert direct_get.missing_botocore_attributes(s3) == ["botocore.hooks.gone_in_a_release"]
    assert direct_get.DirectGet.for_client(s3, BUCKET) is None

    put("t1", "a.py", "1")
    cfg = make_cfg()
    result = engine.sync_tenant(s3, cfg, cfg.tenants[0])
    assert result.ok and result.downloaded == 1, result.error
    assert (Path(cfg.dest_root) / "t1" / "current" / "a.py").read_text() == "1"
    assert [r.getMessage() for r in caplog.records].count(
        "direct GET off, botocore lacks botocore.hooks.gone_in_a_release: the boto3 client downloads"
    ) == 1
