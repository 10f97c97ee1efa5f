"""Per-instance certificate authorities, and the short-lived client certificates Cloud SQL mints.

`generateEphemeralCert` signs the caller's public key with the instance's CA and answers an
SslCert whose certificate expires in an hour, as Cloud SQL's does (the connectors refresh well
before `not_valid_after`). The CA lives as long as the sandbox: one per instance, made on first use.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from typing import Any

EPHEMERAL_LIFETIME = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class InstanceCa:
    key: Any           # an EC private key
    cert: Any          # its self-signed x509 certificate

    def pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _format(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CertificateAuthorities:
    """The CA of each instance (by `project:instance`), created on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cas: dict[str, InstanceCa] = {}

    def ca(self, project: str, instance: str) -> InstanceCa:
        key = f"{project}:{instance}"
        with self._lock:
            if key not in self._cas:
                self._cas[key] = _new_ca(key)
            return self._cas[key]

    def server_ca_cert(self, project: str, instance: str) -> dict[str, Any]:
        """The instance's CA as the SslCert that connectSettings carries."""
        ca = self.ca(project, instance)
        return {
            "kind": "sql#sslCert",
            "certSerialNumber": str(ca.cert.serial_number),
            "cert": ca.pem(),
            "commonName": ca.cert.subject.rfc4514_string(),
            "sha1Fingerprint": ca.cert.fingerprint(_sha1()).hex(),
            "instance": instance,
            "createTime": _format(ca.cert.not_valid_before_utc),
            "expirationTime": _format(ca.cert.not_valid_after_utc),
        }

    def ephemeral(self, project: str, instance: str, public_key_pem: str) -> dict[str, Any]:
        """A client certificate for `public_key_pem`, signed by the instance's CA, valid one hour."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        public_key = serialization.load_pem_public_key(public_key_pem.encode())
        ca = self.ca(project, instance)
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{project}:{instance}")]))
            .issuer_name(ca.cert.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + EPHEMERAL_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca.key, hashes.SHA256())
        )
        return {
            "kind": "sql#sslCert",
            "certSerialNumber": str(cert.serial_number),
            "cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
            "commonName": f"{project}:{instance}",
            "sha1Fingerprint": cert.fingerprint(_sha1()).hex(),
            "instance": instance,
            "createTime": _format(now),
            "expirationTime": _format(now + EPHEMERAL_LIFETIME),
        }


def _sha1() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA1()  # noqa: S303 - the fingerprint Cloud SQL reports is SHA-1


def _new_ca(name: str) -> InstanceCa:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sandbox"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Sandbox Cloud SQL CA {name}"),
    ])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return InstanceCa(key, cert)
