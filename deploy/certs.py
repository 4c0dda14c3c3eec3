"""A private CA and the certificates docker-compose.yml mounts from deploy/secrets/ (never committed).

    python -m deploy.certs deploy/secrets          # first time: CA, then every certificate
    python -m deploy.certs deploy/secrets --renew  # new leaf certificates under the same CA

The Kafka brokers get a server certificate for each one's name (kafka.pem: key and chain, as
Kafka's PEM keystore reads it); Temporal a server certificate; each process that talks to Temporal
its own client certificate, so one can be revoked or rotated alone (docs/runbook.md says how).
"""

import argparse
import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The servers, by the host names the containers reach them by. The three Kafka nodes share one
# certificate: each presents it to clients and to the others (its subject is their super user).
KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")
SERVERS = {"kafka": (*KAFKA_NODES, "localhost"), "temporal": ("temporal", "localhost")}
# Every process with a Temporal client: services, workers, the UI, the one-shot set-up
# (deploy/temporal/init.sh) and the operator's CLI.
TEMPORAL_CLIENTS = (
    "audit",
    "audit-worker",
    "roadmap",
    "roadmap-worker",
    "temporal-ui",
    "temporal-init",
    "operator",
)
LEAF_DAYS = 397  # what browsers and most policies accept for a leaf; the runbook renews yearly
CA_DAYS = 3650


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "faio"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def create_ca(directory: Path) -> None:
    key = _key()
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("faio private CA"))
        .issuer_name(_name("faio private CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca.key").write_bytes(_pem_key(key))
    (directory / "ca.key").chmod(0o600)
    (directory / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def issue(directory: Path, name: str, *, hosts: tuple[str, ...] = (), server: bool) -> None:
    """`<name>.crt` and `<name>.key` signed by the CA in `directory` (a server's for `hosts`)."""
    ca_key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    key = _key()
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                if server
                else [ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (directory / f"{name}.key").write_bytes(_pem_key(key))
    (directory / f"{name}.key").chmod(0o600)
    (directory / f"{name}.crt").write_bytes(cert_pem)
    if name == "kafka":  # Kafka's PEM keystore: the key and its chain in one file
        (directory / "kafka.pem").write_bytes(_pem_key(key) + cert_pem)
        (directory / "kafka.pem").chmod(0o600)


def create_all(directory: Path, *, renew: bool = False) -> None:
    if not renew or not (directory / "ca.key").exists():
        create_ca(directory)
    for server, hosts in SERVERS.items():
        issue(directory, server, hosts=hosts, server=True)
    for client in TEMPORAL_CLIENTS:
        issue(directory, client, server=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--renew", action="store_true", help="new leaf certificates, same CA")
    args = parser.parse_args()
    create_all(args.directory, renew=args.renew)
    print(f"certificates in {args.directory}")


if __name__ == "__main__":
    main()
