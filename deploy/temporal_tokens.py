"""faio's own token issuer for Temporal's authorizer, kept offline like the CA (deploy/certs.py).

    python -m deploy.temporal_tokens deploy/secrets             # first time: issuer key, JWKS, tokens
    python -m deploy.temporal_tokens deploy/secrets --reissue   # new tokens, same key (before expiry)
    python -m deploy.temporal_tokens deploy/secrets --new-key   # a new issuer key; the JWKS keeps the old
    python -m deploy.temporal_tokens deploy/secrets --retire KID  # the JWKS stops publishing a key

The issuer key (temporal-issuer.key) is mounted nowhere; Temporal reads only the JWKS
(temporal-jwks.json, served on the internal network) and each client its own `<process>.jwt`.
The tokens carry Temporal's default claim mapper's `permissions` claim (`<namespace>:<role>`).
"""

import argparse
import base64
import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from deploy.certs import _pem_key
from shared import clock

ISSUER = "faio-temporal-issuer"
ALGORITHM = "ES256"
TOKEN_DAYS = 90  # docs/runbook.md re-issues them monthly, well before they expire
KEY_FILE = "temporal-issuer.key"
JWKS_FILE = "temporal-jwks.json"
SYSTEM_NAMESPACE = "temporal-system"  # the default claim mapper's name for cluster-wide roles
DEFAULT_NAMESPACE = "faio-production"

# Each Temporal client process and its role. The default authorizer compares roles as ordered
# bits (worker < read < write < admin) and polling and completing tasks are write APIs, so a
# worker needs `write`: Temporal's `worker` role alone would let it call nothing.
NAMESPACE_ROLES = {
    "audit": "write",
    "audit-worker": "write",
    "roadmap": "write",
    "roadmap-worker": "write",
    "temporal-ui": "read",
}
# Cluster-wide: the operator's CLI, and the one-shot set-up that creates the namespace and its
# search attributes (deploy/temporal/init.sh; creating a namespace is a cluster admin's call).
SYSTEM_ADMINS = ("operator", "temporal-init")
PROCESSES = (*NAMESPACE_ROLES, *SYSTEM_ADMINS)


def permissions(process: str, namespace: str) -> list[str]:
    if process in SYSTEM_ADMINS:
        return [f"{SYSTEM_NAMESPACE}:admin"]
    return [f"{namespace}:{NAMESPACE_ROLES[process]}"]


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """The public half as a JWK, its `kid` the RFC 7638 thumbprint (stable, no state to keep)."""
    jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    members = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    digest = hashlib.sha256(members.encode()).digest()
    return jwk | {
        "kid": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
        "use": "sig",
        "alg": ALGORITHM,
    }


def issuer_key(directory: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key((directory / KEY_FILE).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SystemExit(f"{directory / KEY_FILE} is not an EC key")
    return key


def read_jwks(directory: Path) -> dict[str, Any]:
    path = directory / JWKS_FILE
    return json.loads(path.read_text()) if path.exists() else {"keys": []}


def _write_jwks(directory: Path, jwks: dict[str, Any]) -> None:
    (directory / JWKS_FILE).write_text(json.dumps(jwks, indent=2) + "\n")


def new_issuer_key(directory: Path) -> str:
    """A new signing key; the JWKS publishes it next to the ones before it. Returns its kid."""
    key = ec.generate_private_key(ec.SECP256R1())
    directory.mkdir(parents=True, exist_ok=True)
    (directory / KEY_FILE).write_bytes(_pem_key(key))
    (directory / KEY_FILE).chmod(0o600)
    jwk = public_jwk(key)
    jwks = read_jwks(directory)
    jwks["keys"] = [k for k in jwks["keys"] if k["kid"] != jwk["kid"]] + [jwk]
    _write_jwks(directory, jwks)
    return str(jwk["kid"])


def retire(directory: Path, kid: str) -> None:
    """Stop publishing `kid`: every token it signed is refused once Temporal refreshes the JWKS."""
    if kid == public_jwk(issuer_key(directory))["kid"]:
        raise SystemExit(f"{kid} is the current issuer key: make a new one first (--new-key)")
    jwks = read_jwks(directory)
    if kid not in {k["kid"] for k in jwks["keys"]}:
        raise SystemExit(f"{kid} is not in {directory / JWKS_FILE}")
    jwks["keys"] = [k for k in jwks["keys"] if k["kid"] != kid]
    _write_jwks(directory, jwks)


def issue_token(
    directory: Path,
    process: str,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    now: datetime.datetime | None = None,
    days: int = TOKEN_DAYS,
) -> str:
    """`<process>.jwt`: a token signed by the issuer key, for `process` in `namespace`."""
    key = issuer_key(directory)
    issued = now or clock.now()
    claims = {
        "iss": ISSUER,
        "sub": process,
        "iat": issued,
        "exp": issued + datetime.timedelta(days=days),
        "permissions": permissions(process, namespace),
    }
    token = jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": public_jwk(key)["kid"]})
    path = directory / f"{process}.jwt"
    path.write_text(token)
    path.chmod(0o600)
    return token


def create_all(
    directory: Path, *, namespace: str = DEFAULT_NAMESPACE, reissue: bool = False, new_key: bool = False
) -> None:
    if new_key or not (directory / KEY_FILE).exists():
        if reissue and not new_key:
            raise SystemExit(f"{directory / KEY_FILE} is missing: run without --reissue first")
        new_issuer_key(directory)
    for process in PROCESSES:
        issue_token(directory, process, namespace=namespace)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--namespace", default=DEFAULT_NAMESPACE, help="FAIO_TEMPORAL_NAMESPACE")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--reissue", action="store_true", help="new tokens, same issuer key")
    action.add_argument("--new-key", action="store_true", help="a new issuer key, then new tokens")
    action.add_argument("--retire", metavar="KID", help="drop an old key from the JWKS")
    args = parser.parse_args()
    if args.retire:
        retire(args.directory, args.retire)
        print(f"{args.retire} retired from {args.directory / JWKS_FILE}")
        return
    create_all(args.directory, namespace=args.namespace, reissue=args.reissue, new_key=args.new_key)
    print(f"tokens for {args.namespace} in {args.directory} (expire in {TOKEN_DAYS} days)")


if __name__ == "__main__":
    main()
