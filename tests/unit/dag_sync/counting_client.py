"""The S3 client wrapper of the engine tests: counts calls and can inject failures."""

from __future__ import annotations

from typing import Any


class CountingClient:
    """Wraps a boto3 S3 client, counts calls and can inject failures."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.get_calls = 0
        self.list_calls = 0
        self.head_calls = 0
        self.fail_list: BaseException | None = None
        self.fail_get_after: int | None = None
        self.fail_get_exc: BaseException = RuntimeError("simulated download failure")

    def get_paginator(self, operation_name: str) -> Any:
        self.list_calls += 1
        if self.fail_list is not None:
            raise self.fail_list
        return self.inner.get_paginator(operation_name)

    def get_object(self, **kwargs: Any) -> Any:
        self.get_calls += 1
        if self.fail_get_after is not None and self.get_calls > self.fail_get_after:
            raise self.fail_get_exc
        return self.inner.get_object(**kwargs)

    def head_object(self, **kwargs: Any) -> Any:
        self.head_calls += 1
        if self.fail_list is not None:
            raise self.fail_list
        return self.inner.head_object(**kwargs)

    def reset(self) -> None:
        self.get_calls = self.list_calls = self.head_calls = 0
