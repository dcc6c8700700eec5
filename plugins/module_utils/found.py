# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Whether entries of airflow_deploy.cluster.files are already as wanted, judged on the controller.

The stats come from airflow_deploy.cluster.host_probe's ``stat`` question: per path its type,
owner, group, mode and, for a file, the SHA-1 of its content (None when the path does not exist).
A path the stats do not cover counts as not as wanted, so the module runs and decides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any


def content_sha1(content: Any) -> str:
    """SHA-1 of a file entry's content, as the files module computes it."""
    return hashlib.sha1(str(content).encode("utf-8")).hexdigest()


def same_mode(wanted: Any, found: Any) -> bool:
    """Octal mode strings compared as numbers ('640' and '0640' are the same mode)."""
    try:
        return int(str(wanted), 8) == int(str(found), 8)
    except ValueError:
        return False


def entry_as_found(entry: Mapping[str, Any], found: Mapping[str, Any] | None) -> bool:
    """Whether the path of one entry exists with the wanted type, content and attributes."""
    if not found:
        return False
    if entry.get("state", "file") == "directory":
        if found.get("type") != "directory":
            return False
    elif found.get("type") != "file" or found.get("sha1") != content_sha1(entry.get("content", "")):
        return False
    for key in ("owner", "group"):
        if entry.get(key) is not None and str(entry[key]) != str(found.get(key)):
            return False
    return entry.get("mode") is None or same_mode(entry["mode"], found.get("mode"))


def all_as_found(entries: Iterable[Mapping[str, Any]], stats: Mapping[str, Any] | None) -> bool:
    """Whether every entry is as wanted according to the stats (False for no stats at all)."""
    if not stats:
        return False
    return all(entry_as_found(entry, stats.get(entry.get("path"))) for entry in entries)


def checksums(entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The files module's ``checksums`` result: SHA-1 of the wanted content of each file entry."""
    return {entry["path"]: content_sha1(entry.get("content", ""))
            for entry in entries if entry.get("state", "file") != "directory"}
