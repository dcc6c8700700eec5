# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: secret_rotation
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The three steps of a JWT secret and Fernet key rotation, as contents of the secrets file
description:
  - Plans the playbook C(airflow_deploy.cluster.rotate_secrets) from the current contents of the secrets file
    (what C(airflow_deploy.cluster.generate_secrets) wrote, plus any other entries, which every step keeps).
  - Step 1 accepts the new secrets everywhere (C(airflow_jwt_accepted_secrets), C(airflow_fernet_accepted_keys));
    step 2 signs and encrypts with them and accepts the old ones; step 3 drops the old Fernet key, which
    C(airflow rotate-fernet-key) has made unneeded between steps 2 and 3, and keeps the old JWT secret accepted
    until the next rotation (tokens signed with it stay valid until they expire).
  - Refuses (C(problem)) a file without C(airflow_jwt_secret) and C(airflow_fernet_key), new values equal to the
    current ones, and a file whose C(airflow_fernet_accepted_keys) is not empty, since a Fernet key change is
    then under way and dropping a key before C(rotate-fernet-key) has run would leave values unreadable.
options:
  _input:
    description: The current contents of the secrets file (a mapping).
    type: dict
    required: true
  new_jwt_secret:
    description: The new JWT secret.
    type: str
    required: true
  new_fernet_key:
    description: The new Fernet key.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Plan a rotation
  ansible.builtin.set_fact:
    plan: "{{ current | airflow_deploy.cluster.secret_rotation(new_jwt_secret, lookup('airflow_deploy.cluster.fernet_key')) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: C(problem) (empty when the rotation may start) and C(steps), the contents of the secrets file for
    each of the three steps (empty when there is a problem).
  type: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

JWT = "airflow_jwt_secret"
JWT_ACCEPTED = "airflow_jwt_accepted_secrets"
FERNET = "airflow_fernet_key"
FERNET_ACCEPTED = "airflow_fernet_accepted_keys"


def _problem(current: Mapping[str, Any], new_jwt: str, new_fernet: str) -> str:
    """Why the rotation may not start; empty when it may."""
    missing = [name for name in (JWT, FERNET) if not isinstance(current.get(name), str) or not current[name]]
    if missing:
        return (f"it holds no {' and no '.join(missing)}; rotate_secrets.yml rewrites the secrets file that "
                "generate_secrets.yml wrote, with the secrets in it")
    if current.get(FERNET_ACCEPTED):
        return (f"{FERNET_ACCEPTED} is set, so a Fernet key change is under way. Finish it first "
                "(docs/operations.md, rotating secrets): run site.yml; if airflow_fernet_key is the new key, run "
                "`airflow rotate-fernet-key` once on one host; then empty the list and run site.yml")
    if new_jwt in (current[JWT], *(current.get(JWT_ACCEPTED) or [])) or new_fernet == current[FERNET]:
        return "a new secret equals a current one; run again for new values"
    return ""


def secret_rotation(current: Any, new_jwt_secret: Any, new_fernet_key: Any) -> dict[str, Any]:
    """The contents of the secrets file for each step, or the problem."""
    if not isinstance(current, Mapping):
        raise AnsibleFilterError("secret_rotation: the secrets file must hold a mapping of variables")
    if not all(isinstance(value, str) and value for value in (new_jwt_secret, new_fernet_key)):
        raise AnsibleFilterError("secret_rotation: the new JWT secret and Fernet key must be non-empty strings")
    problem = _problem(current, new_jwt_secret, new_fernet_key)
    if problem:
        return {"problem": problem, "steps": []}
    old_jwt, old_fernet = current[JWT], current[FERNET]
    step1 = dict(current) | {JWT_ACCEPTED: [new_jwt_secret], FERNET_ACCEPTED: [new_fernet_key]}
    step2 = dict(current) | {JWT: new_jwt_secret, JWT_ACCEPTED: [old_jwt], FERNET: new_fernet_key,
                             FERNET_ACCEPTED: [old_fernet]}
    step3 = step2 | {FERNET_ACCEPTED: []}
    return {"problem": "", "steps": [step1, step2, step3]}


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"secret_rotation": secret_rotation}
