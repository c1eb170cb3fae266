"""Ed25519 signing of a manifest's bytes, so rewritten evidence is detected.

The private key signs at run end (``CSC_MLFLOW_SIGNING_KEY`` names a PEM file); the gate
verifies ``governance/manifest.sig`` against the policy's ``signing.public_key``. Someone with
write access to the tracking server can rewrite the manifest and its tag, but cannot sign.

Works on bytes and key files only: imports nothing from MLflow.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Final

from csc_mlflow.exceptions import SigningError

__all__ = ["KEY_ENV", "generate_keys", "sign", "verify"]

KEY_ENV: Final = "CSC_MLFLOW_SIGNING_KEY"


def generate_keys(folder: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair (``signing-key.pem``, ``signing-key.pub.pem``).

    Raises :class:`SigningError` rather than overwrite an existing key without ``force``.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private, public = folder / "signing-key.pem", folder / "signing-key.pub.pem"
    existing = [p for p in (private, public) if p.exists()]
    if existing and not force:
        raise SigningError(
            f"{existing[0]} already exists; a new key would make every manifest it signed "
            "unverifiable. Pass --force to replace it, or choose another --dir",
            path=existing[0],
        )
    key = Ed25519PrivateKey.generate()
    folder.mkdir(parents=True, exist_ok=True)
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private.chmod(0o600)
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def sign(manifest: bytes) -> bytes | None:
    """The base64 signature of ``manifest`` with the key in ``$CSC_MLFLOW_SIGNING_KEY``, if set.

    Raises :class:`SigningError` when the variable names a file that is not an Ed25519 key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = os.environ.get(KEY_ENV)
    if not path:
        return None
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(
            f"{path}: cannot read the signing key ({exc}); fix {KEY_ENV}", path=path, key=KEY_ENV
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(
            f"{path}: not an Ed25519 private key; make one with 'csc-mlflow gate keygen'",
            path=path,
            key=KEY_ENV,
        )
    return base64.b64encode(key.sign(manifest))


def verify(
    manifest: bytes, signature: bytes | None, public_key: Path, *, subject: str = "the manifest"
) -> str | None:
    """None if ``signature`` signs ``manifest`` with ``public_key``; else what is wrong
    (``subject`` names what was signed: the manifest, a ledger entry)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(public_key.read_bytes())
    except (OSError, ValueError) as exc:
        return f"{public_key}: cannot read the public key ({exc})"
    if not isinstance(key, Ed25519PublicKey):
        return f"{public_key}: not an Ed25519 public key"
    if signature is None:
        if subject == "the manifest":
            return "the manifest is not signed (no governance/manifest.sig); the policy requires it"
        return f"{subject} is not signed; the policy requires signatures"
    try:
        key.verify(base64.b64decode(signature), manifest)
    except (InvalidSignature, ValueError):
        return (
            f"{subject}'s signature does not verify with the policy's public key: it was "
            "rewritten or signed by another key"
        )
    return None
