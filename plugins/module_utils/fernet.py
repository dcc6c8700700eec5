# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Fernet key helpers shared by the fernet_key test and lookup plugins."""

from __future__ import annotations

import base64
import binascii
import os

FERNET_KEY_BYTES = 32


def is_fernet_key(value: object) -> bool:
    """Return True when value is 32 bytes encoded as url-safe base64 (what Fernet accepts)."""
    if not isinstance(value, str) or len(value) != 44:
        return False
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    # Reject non-canonical encodings (stray characters decode leniently otherwise).
    return len(raw) == FERNET_KEY_BYTES and base64.urlsafe_b64encode(raw).decode("ascii") == value


def new_fernet_key() -> str:
    """Return a fresh Fernet key from the OS's CSPRNG."""
    return base64.urlsafe_b64encode(os.urandom(FERNET_KEY_BYTES)).decode("ascii")
