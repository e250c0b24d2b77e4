"""Key pairs for bundles: ML-DSA-65 signing keys and ML-KEM-768 + X25519 (X-Wing) KEM keys.

Files (PEM, all through `cryptography`'s own serialisation):

* ``signing.key`` / ``signing.pub``: one ML-DSA-65 key as PKCS#8 / SubjectPublicKeyInfo.
* ``kem.key`` / ``kem.pub``: the hybrid HPKE key.  `cryptography` 50 builds the hybrid key
  (`hpke.MLKEM768X25519PrivateKey`) from its two component keys and gives it no serialisation
  of its own, so each file holds two PEM blocks in this order: the ML-KEM-768 key, then the
  X25519 key (each PKCS#8, resp. SubjectPublicKeyInfo).

Private keys are written 0600 and, unless a passphrase is withheld on purpose, encrypted with
`BestAvailableEncryption` (PKCS#8 PBES2).  A key id is the lowercase hex SHA-256 of the raw
public key: the 1,952 ML-DSA-65 public-key bytes, or for the KEM the 1,216-byte X-Wing public
key (ML-KEM-768 public key, then the X25519 public key).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import mldsa, mlkem, x25519

from qroute.bundle.errors import read_capped, unreadable

PASSPHRASE_ENV = "QROUTE_KEY_PASSPHRASE"
SIGNING_KEY = "signing.key"
SIGNING_PUB = "signing.pub"
KEM_KEY = "kem.key"
KEM_PUB = "kem.pub"
MAX_KEY_FILE_BYTES = 64 * 1024

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)

SigningKey = mldsa.MLDSA65PrivateKey
VerifyKey = mldsa.MLDSA65PublicKey


MlKemKey = TypeVar("MlKemKey", mlkem.MLKEM768PublicKey, mlkem.MLKEM768PrivateKey)
X25519Key = TypeVar("X25519Key", x25519.X25519PublicKey, x25519.X25519PrivateKey)
HybridKey = TypeVar("HybridKey", hpke.MLKEM768X25519PublicKey, hpke.MLKEM768X25519PrivateKey)


@dataclass(frozen=True)
class KemPair(Generic[MlKemKey, X25519Key, HybridKey]):
    """The two component keys of the hybrid (X-Wing) HPKE key, both public or both private;
    ``PARTS`` are their types and ``HYBRID`` builds `cryptography`'s hybrid key from them."""

    PARTS: ClassVar[tuple[type, type]]
    HYBRID: ClassVar[Callable[..., Any]]

    mlkem: MlKemKey
    x25519: X25519Key

    @property
    def hpke_key(self) -> HybridKey:
        return cast(HybridKey, self.HYBRID(self.mlkem, self.x25519))

    @classmethod
    def of(cls, first: object, second: object, where: str) -> Self:
        """The pair of two loaded keys, or one line saying they are not this kind of pair."""
        if not isinstance(first, cls.PARTS[0]) or not isinstance(second, cls.PARTS[1]):
            side = "public" if cls.PARTS[0] is mlkem.MLKEM768PublicKey else "private"
            raise unreadable(f"{where}: not an ML-KEM-768 + X25519 {side} key pair")
        return cls(first, second)  # type: ignore[arg-type]


class KemPublicKey(
    KemPair[mlkem.MLKEM768PublicKey, x25519.X25519PublicKey, hpke.MLKEM768X25519PublicKey]
):
    """The recipient's hybrid public key and its key id."""

    PARTS = (mlkem.MLKEM768PublicKey, x25519.X25519PublicKey)
    HYBRID = hpke.MLKEM768X25519PublicKey

    @property
    def raw(self) -> bytes:
        """The X-Wing public key encoding: ML-KEM-768 public key || X25519 public key."""
        return self.mlkem.public_bytes_raw() + self.x25519.public_bytes_raw()

    @property
    def keyid(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


class KemPrivateKey(
    KemPair[mlkem.MLKEM768PrivateKey, x25519.X25519PrivateKey, hpke.MLKEM768X25519PrivateKey]
):
    """The recipient's hybrid private key."""

    PARTS = (mlkem.MLKEM768PrivateKey, x25519.X25519PrivateKey)
    HYBRID = hpke.MLKEM768X25519PrivateKey

    def public_key(self) -> KemPublicKey:
        return KemPublicKey(self.mlkem.public_key(), self.x25519.public_key())


@dataclass(frozen=True)
class KeyFiles:
    """The four files `generate_keys` wrote."""

    signing_key: Path
    signing_pub: Path
    kem_key: Path
    kem_pub: Path
    signing_keyid: str
    kem_keyid: str


def signing_keyid(public: VerifyKey) -> str:
    """Key id of an ML-DSA-65 public key: hex SHA-256 of its raw 1,952 bytes."""
    return hashlib.sha256(public.public_bytes_raw()).hexdigest()


def _encryption(passphrase: bytes | None) -> serialization.KeySerializationEncryption:
    if passphrase is None:
        return serialization.NoEncryption()
    if not passphrase:
        raise unreadable("empty passphrase; use --no-passphrase for an unencrypted key")
    return serialization.BestAvailableEncryption(passphrase)


def _private_pem(
    key: SigningKey | mlkem.MLKEM768PrivateKey | x25519.X25519PrivateKey,
    passphrase: bytes | None,
) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, _encryption(passphrase)
    )


def _public_pem(key: VerifyKey | mlkem.MLKEM768PublicKey | x25519.X25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signing_key_pem(key: SigningKey, passphrase: bytes | None) -> bytes:
    return _private_pem(key, passphrase)


def signing_pub_pem(public: VerifyKey) -> bytes:
    return _public_pem(public)


def kem_key_pem(key: KemPrivateKey, passphrase: bytes | None) -> bytes:
    return _private_pem(key.mlkem, passphrase) + _private_pem(key.x25519, passphrase)


def kem_pub_pem(public: KemPublicKey) -> bytes:
    return _public_pem(public.mlkem) + _public_pem(public.x25519)


def _write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 from the start (never briefly world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)  # in case the umask was stricter than needed, keep exactly 0600


def generate_keys(out_dir: str | Path, passphrase: bytes | None) -> KeyFiles:
    """Write signing.key/.pub and kem.key/.pub into `out_dir`; never overwrite a key."""
    out = Path(out_dir)
    paths = [out / name for name in (SIGNING_KEY, SIGNING_PUB, KEM_KEY, KEM_PUB)]
    existing = [p.name for p in paths if p.exists()]
    if existing:
        raise unreadable(f"{out}: {', '.join(existing)} already exist; not overwriting keys")
    signing = mldsa.MLDSA65PrivateKey.generate()
    kem = KemPrivateKey(mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate())
    signing_pem = signing_key_pem(signing, passphrase)
    kem_pem = kem_key_pem(kem, passphrase)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write_private(paths[0], signing_pem)
        paths[1].write_bytes(signing_pub_pem(signing.public_key()))
        _write_private(paths[2], kem_pem)
        paths[3].write_bytes(kem_pub_pem(kem.public_key()))
    except OSError as exc:
        raise unreadable(f"{out}: cannot write keys: {exc.strerror or exc}") from None
    return KeyFiles(
        signing_key=paths[0],
        signing_pub=paths[1],
        kem_key=paths[2],
        kem_pub=paths[3],
        signing_keyid=signing_keyid(signing.public_key()),
        kem_keyid=kem.public_key().keyid,
    )


def read_key_file(path: str | Path) -> bytes:
    return read_capped(path, MAX_KEY_FILE_BYTES, "key file")


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """The PEM blocks of `data` as (label, block bytes), in file order."""
    return [(m.group(1).decode(), m.group(0) + b"\n") for m in _PEM_BLOCK.finditer(data)]


def is_encrypted_pem(data: bytes) -> bool:
    return any(label == "ENCRYPTED PRIVATE KEY" for label, _ in pem_blocks(data))


def _load_private(block: bytes, passphrase: bytes | None, where: str) -> object:
    encrypted = b"ENCRYPTED PRIVATE KEY" in block.split(b"\n", 1)[0]
    if encrypted and passphrase is None:
        raise unreadable(
            f"{where}: the private key is encrypted; set {PASSPHRASE_ENV} or enter a passphrase"
        )
    try:
        return serialization.load_pem_private_key(block, passphrase if encrypted else None)
    except ValueError:
        if encrypted:
            raise unreadable(f"{where}: wrong passphrase or damaged private key") from None
        raise unreadable(f"{where}: not a valid PKCS#8 private key") from None
    except Exception as exc:  # UnsupportedAlgorithm and friends: one line, no traceback
        raise unreadable(f"{where}: cannot load private key: {type(exc).__name__}") from None


def _load_public(block: bytes, where: str) -> object:
    try:
        return serialization.load_pem_public_key(block)
    except Exception:  # ValueError, UnsupportedAlgorithm: one line, no traceback
        raise unreadable(f"{where}: not a valid SubjectPublicKeyInfo public key") from None


def load_signing_key_pem(data: bytes, passphrase: bytes | None, where: str) -> SigningKey:
    blocks = pem_blocks(data)
    if len(blocks) != 1:
        raise unreadable(f"{where}: expected one PEM private key block, found {len(blocks)}")
    key = _load_private(blocks[0][1], passphrase, where)
    if not isinstance(key, mldsa.MLDSA65PrivateKey):
        raise unreadable(f"{where}: not an ML-DSA-65 signing key ({type(key).__name__})")
    return key


def load_signing_key(path: str | Path, passphrase: bytes | None) -> SigningKey:
    return load_signing_key_pem(read_key_file(path), passphrase, str(path))


def load_verify_key_pem(data: bytes, where: str) -> VerifyKey:
    blocks = pem_blocks(data)
    if len(blocks) != 1 or blocks[0][0] != "PUBLIC KEY":
        raise unreadable(f"{where}: expected one PEM PUBLIC KEY block")
    key = _load_public(blocks[0][1], where)
    if not isinstance(key, mldsa.MLDSA65PublicKey):
        raise unreadable(f"{where}: not an ML-DSA-65 public key ({type(key).__name__})")
    return key


def load_verify_key(path: str | Path) -> VerifyKey:
    return load_verify_key_pem(read_key_file(path), str(path))


def load_kem_private_pem(data: bytes, passphrase: bytes | None, where: str) -> KemPrivateKey:
    blocks = pem_blocks(data)
    if len(blocks) != 2:
        raise unreadable(f"{where}: expected two PEM blocks (ML-KEM-768, X25519)")
    first, second = (_load_private(block, passphrase, where) for _, block in blocks)
    return KemPrivateKey.of(first, second, where)


def load_kem_private(path: str | Path, passphrase: bytes | None) -> KemPrivateKey:
    return load_kem_private_pem(read_key_file(path), passphrase, str(path))


def load_kem_public_pem(data: bytes, where: str) -> KemPublicKey:
    blocks = pem_blocks(data)
    if len(blocks) != 2 or any(label != "PUBLIC KEY" for label, _ in blocks):
        raise unreadable(f"{where}: expected two PEM PUBLIC KEY blocks (ML-KEM-768, X25519)")
    first, second = (_load_public(block, where) for _, block in blocks)
    return KemPublicKey.of(first, second, where)


def load_kem_public(path: str | Path) -> KemPublicKey:
    return load_kem_public_pem(read_key_file(path), str(path))


def passphrase_from_env() -> bytes | None:
    """QROUTE_KEY_PASSPHRASE as bytes, or None when unset."""
    value = os.environ.get(PASSPHRASE_ENV)
    return None if value is None else value.encode()
