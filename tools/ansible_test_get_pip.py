"""Offline stand-in for the get-pip.py that ansible-test downloads from ci-files.testing.ansible.com.

ansible-test creates each sanity test's virtualenv without pip and bootstraps pip with that script
(``python get_pip.py [--no-setuptools] [--no-wheel] [pip options] pip==X ...``), cached as
``~/.ansible/test/cache/get_pip_<version>.py``, which is where tools/ansible-test.sh puts this
file. It installs the interpreter's bundled pip (ensurepip, no network) and then the requested
packages with it from the package index, as the original script does.
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY = frozenset({"--no-setuptools", "--no-wheel"})


def pip_arguments(argv: list[str]) -> list[str]:
    """The pip install arguments of a get-pip command line (its own flags dropped)."""
    return [arg for arg in argv if arg not in GET_PIP_ONLY]


def main(argv: list[str]) -> int:
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    command = [sys.executable, "-m", "pip", "install", "--upgrade", *pip_arguments(argv)]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
