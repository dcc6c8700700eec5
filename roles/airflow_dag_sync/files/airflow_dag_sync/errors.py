"""The engine's exceptions: a configuration error (exit code 2) and the errors that abort one tenant's cycle."""

from __future__ import annotations


class ConfigError(Exception):
    """Invalid configuration."""


class SyncError(Exception):
    """A tenant cycle failed; the live snapshot is kept."""


class LimitExceeded(SyncError):
    """The tenant exceeds max_objects or max_bytes."""


class SyncAborted(SyncError):
    """Shutdown was requested while the cycle was running."""


class LockBusy(SyncError):
    """Another process holds the tenant lock (it alone writes the tenant's status)."""


class UnsafePath(SyncError):
    """An engine-managed path is a symlink or not of the type the engine creates."""


class IntegrityError(SyncError):
    """A downloaded body does not match the listed size or MD5 ETag."""
