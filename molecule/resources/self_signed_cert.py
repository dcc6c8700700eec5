"""Write a self-signed TLS certificate and its key (PEM) for the scenarios' load balancer.

Usage: self_signed_cert.py CERT KEY NAME [NAME ...]; the first name is the subject, every name a
DNS subject alternative name. Test material only: the key is written unencrypted (mode 0600).
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def certificate(key: ec.EllipticCurvePrivateKey, names: list[str]) -> x509.Certificate:
    """A certificate for `names`, signed by its own key, valid from a minute ago for 30 days."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cert_path, key_path, names = Path(argv[0]), Path(argv[1]), argv[2:]
    key = ec.generate_private_key(ec.SECP256R1())
    write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()), 0o600)
    write(cert_path, certificate(key, names).public_bytes(serialization.Encoding.PEM), 0o644)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
