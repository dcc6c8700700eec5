# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: jwt_jwks
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The JSON Web Key Set of the JWT secrets Airflow's api-servers accept
description:
  - Builds the key set the role writes for C([api_auth] trusted_jwks_url), so that every Airflow component
    accepts tokens signed with the current JWT secret and with each accepted one, while it signs only with the
    current one. That is what lets a secret change roll host by host (docs/operations.md, rotating secrets).
  - Each secret becomes a symmetric key (C(kty) C(oct), C(alg) C(HS512), Airflow's algorithm for a shared
    secret) whose key id is its RFC 7638 thumbprint, so the id names the secret without revealing it. The
    first key is the signing key; its C(kid) is what C([api_auth] jwt_kid) must be.
  - One more entry holds the signing key under the id C(not-used), the id Airflow puts on tokens it signs
    without C(jwt_kid), so that tokens issued before the key set existed stay valid while the hosts roll.
options:
  _input:
    description: The current JWT secret (the one tokens are signed with).
    type: str
    required: true
  accepted:
    description: Other secrets whose tokens are still (or already) accepted, in any order; the current one and
      repeats are left out.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: The key id of the signing key
  ansible.builtin.debug:
    msg: "{{ (airflow_jwt_secret | airflow_deploy.cluster.jwt_jwks)['keys'][0]['kid'] }}"
"""

RETURN = r"""
_value:
  description: C(keys), a list of JWKs (C(kty), C(kid), C(alg), C(use), C(k)), the signing key first.
  type: dict
"""

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

# The key id Airflow 3.3 gives tokens when [api_auth] jwt_kid is unset and no private key is
# configured (airflow/api_fastapi/auth/tokens.py, _generate_kid).
UNSET_KID = "not-used"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwk(secret: str, kid: str | None = None) -> dict[str, str]:
    """One symmetric key; the kid is the RFC 7638 thumbprint unless given."""
    k = _b64url(secret.encode("utf-8"))
    if kid is None:
        canonical = json.dumps({"k": k, "kty": "oct"}, separators=(",", ":"), sort_keys=True)
        kid = _b64url(hashlib.sha256(canonical.encode("ascii")).digest())
    return {"kty": "oct", "kid": kid, "alg": "HS512", "use": "sig", "k": k}


def jwt_jwks(secret: Any, accepted: Any = ()) -> dict[str, list[dict[str, str]]]:
    """The key set: the signing key, each accepted key, and the signing key under Airflow's unset kid."""
    if not isinstance(secret, str) or not secret:
        raise AnsibleFilterError("jwt_jwks: the JWT secret must be a non-empty string")
    if isinstance(accepted, (str, bytes)) or not isinstance(accepted, Sequence):
        raise AnsibleFilterError("jwt_jwks: accepted must be a list of strings")
    if not all(isinstance(item, str) and item for item in accepted):
        raise AnsibleFilterError("jwt_jwks: each accepted secret must be a non-empty string")
    secrets = [secret] + [item for index, item in enumerate(accepted) if item != secret and item not in accepted[:index]]
    return {"keys": [_jwk(item) for item in secrets] + [_jwk(secret, UNSET_KID)]}


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"jwt_jwks": jwt_jwks}
