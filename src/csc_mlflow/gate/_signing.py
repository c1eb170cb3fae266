"""Optional Ed25519 signing of the manifest, so rewritten evidence is detected.

The private key signs at run end (``CSC_MLFLOW_SIGNING_KEY`` names a PEM file); the gate
verifies ``governance/manifest.sig`` against the policy's ``signing.public_key``. Someone with
write access to the tracking server can rewrite the manifest and its tag, but cannot sign.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import Any, Final

from csc_mlflow import _names as names
from csc_mlflow._policy import Policy

KEY_ENV: Final = "CSC_MLFLOW_SIGNING_KEY"


def generate_keys(folder: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair (``signing-key.pem``, ``signing-key.pub.pem``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    folder.mkdir(parents=True, exist_ok=True)
    private, public = folder / "signing-key.pem", folder / "signing-key.pub.pem"
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
    """The base64 signature of ``manifest`` with the key in ``$CSC_MLFLOW_SIGNING_KEY``, if set."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = os.environ.get(KEY_ENV)
    if not path:
        return None
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return base64.b64encode(key.sign(manifest))


def verify_signature(
    client: Any, run_id: str, manifest_sha: str | None, policy: Policy
) -> str | None:
    """None if the run's manifest is signed by the policy's key; else what is wrong."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    assert policy.signing is not None
    if not policy.signing.public_key:
        return "the policy requires signed manifests but names no signing.public_key"
    key_path = policy.resolve(policy.signing.public_key)
    try:
        key = serialization.load_pem_public_key(key_path.read_bytes())
    except (OSError, ValueError) as exc:
        return f"{key_path}: cannot read the public key ({exc})"
    if not isinstance(key, Ed25519PublicKey):
        return f"{key_path}: not an Ed25519 public key"
    with tempfile.TemporaryDirectory(prefix="csc-mlflow-") as tmp:
        try:
            manifest = Path(
                client.download_artifacts(run_id, names.MANIFEST_PATH, tmp)
            ).read_bytes()
            signature = Path(
                client.download_artifacts(run_id, names.SIGNATURE_PATH, tmp)
            ).read_bytes()
        except Exception:  # noqa: BLE001 - a missing signature is the finding, whatever raised
            return "the manifest is not signed (no governance/manifest.sig); the policy requires it"
    try:
        key.verify(base64.b64decode(signature), manifest)
    except (InvalidSignature, ValueError):
        return (
            "the manifest's signature does not verify with the policy's public key: the "
            "evidence was rewritten or signed by another key"
        )
    return None
