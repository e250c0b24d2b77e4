"""Which signing keys a verifier accepts: trust files (names, validity dates) and bare .pub files.

A trust file is JSON::

    {"format": "qroute-trust/1",
     "keys": [{"name": "carrier-2026", "keyid": "<hex sha-256>",
               "not_before": "2026-01-01T00:00:00Z", "not_after": "2027-01-01T00:00:00Z",
               "public_key": "-----BEGIN PUBLIC KEY-----\\n..."}]}

A signature counts when its key is listed and the bundle's creation time lies inside the key's
validity window.  Rotation: list the new key, end the old key's window at the rotation date and
keep it listed; bundles signed before the rotation stay verifiable, newer ones by the old key
are refused as made by an expired key.  Removing a key from the file revokes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qroute.bundle.errors import first_error, invalid, read_capped, unreadable
from qroute.bundle.keys import (
    VerifyKey,
    load_verify_key,
    load_verify_key_pem,
    read_key_file,
    signing_keyid,
)
from qroute.model.clock import as_utc  # the one UTC conversion

TRUST_FORMAT = "qroute-trust/1"
MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024


def iso_utc(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


class TrustEntry(BaseModel):
    """One accepted public key (a row of the trust file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    public_key: Annotated[str, Field(min_length=1, max_length=16_000)]
    keyid: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None

    @field_validator("not_before", "not_after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)


class TrustFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str
    keys: list[TrustEntry]

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value != TRUST_FORMAT:
            raise ValueError(f"format must be {TRUST_FORMAT!r}")
        return value


@dataclass(frozen=True)
class TrustedKey:
    """A loaded trusted key."""

    keyid: str
    name: str
    key: VerifyKey
    not_before: datetime | None
    not_after: datetime | None
    source: str

    def check_valid_at(self, when: datetime) -> None:
        """Raise (exit 1) unless `when` lies in [not_before, not_after]."""
        if self.not_after is not None and when > self.not_after:
            raise invalid(
                f"expired key: {self.name} ({self.keyid[:16]}) was valid until "
                f"{iso_utc(self.not_after)}, the bundle was created {iso_utc(when)}"
            )
        if self.not_before is not None and when < self.not_before:
            raise invalid(
                f"key not yet valid: {self.name} ({self.keyid[:16]}) is valid from "
                f"{iso_utc(self.not_before)}, the bundle was created {iso_utc(when)}"
            )


class TrustStore:
    """Trusted keys by key id."""

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: TrustedKey) -> None:
        earlier = self._keys.get(key.keyid)
        if earlier is not None:
            raise unreadable(
                f"{key.source}: key {key.keyid[:16]} ({key.name}) is already trusted "
                f"from {earlier.source}"
            )
        self._keys[key.keyid] = key

    def get(self, keyid: str) -> TrustedKey | None:
        return self._keys.get(keyid)

    def __len__(self) -> int:
        return len(self._keys)


def _entry_key(entry: TrustEntry, where: str) -> TrustedKey:
    key = load_verify_key_pem(entry.public_key.encode(), f"{where}: key {entry.name!r}")
    keyid = signing_keyid(key)
    if entry.keyid is not None and entry.keyid != keyid:
        raise unreadable(f"{where}: key {entry.name!r}: keyid does not match its public_key")
    if entry.not_before and entry.not_after and entry.not_after < entry.not_before:
        raise unreadable(f"{where}: key {entry.name!r}: not_after is before not_before")
    return TrustedKey(keyid, entry.name, key, entry.not_before, entry.not_after, where)


def read_trust_file(path: str | Path) -> TrustFile:
    path = Path(path)
    data = _read_json_bytes(path)
    try:
        return TrustFile.model_validate(json.loads(data))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise unreadable(f"{path}: not a JSON trust file") from None
    except ValidationError as exc:
        raise unreadable(f"{path}: {first_error(exc)}") from None


def _read_json_bytes(path: Path) -> bytes:
    return read_capped(path, MAX_TRUST_FILE_BYTES, "trust file or public key")


def load_trust(specs: Iterable[str | Path]) -> TrustStore:
    """Trusted keys from .pub files (named after the file, no validity limits) and trust files."""
    store = TrustStore()
    for spec in specs:
        path = Path(spec)
        head = _read_json_bytes(path)[:64] if path.is_file() else b""
        if head.lstrip().startswith(b"-----BEGIN"):
            key = load_verify_key(path)
            name = str(path.with_suffix(""))  # keys/carrier/signing.pub -> keys/carrier/signing
            store.add(TrustedKey(signing_keyid(key), name, key, None, None, str(path)))
            continue
        for entry in read_trust_file(path).keys:
            store.add(_entry_key(entry, str(path)))
    if not len(store):
        raise unreadable("no trusted keys given (--trust PUBKEY or TRUSTFILE)")
    return store


def add_trusted_key(
    trust_path: str | Path,
    public_key_path: str | Path,
    name: str,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> TrustEntry:
    """Append a signing.pub to a trust file (created if missing); returns the new row."""
    trust_path = Path(trust_path)
    key = load_verify_key(public_key_path)
    trust = (
        read_trust_file(trust_path)
        if trust_path.exists()
        else TrustFile(format=TRUST_FORMAT, keys=[])
    )
    keyid = signing_keyid(key)
    if any(e.name == name or e.keyid == keyid for e in trust.keys):
        raise unreadable(f"{trust_path}: a key named {name!r} or with this keyid is listed")
    try:
        entry = TrustEntry(
            name=name,
            keyid=keyid,
            not_before=not_before,
            not_after=not_after,
            public_key=read_key_file(public_key_path).decode("ascii"),
        )
    except ValidationError as exc:
        raise unreadable(f"{trust_path}: {first_error(exc)}") from None
    trust.keys.append(entry)
    write_trust_file(trust_path, trust)
    return entry


def write_trust_file(path: str | Path, trust: TrustFile) -> None:
    rows: list[dict[str, Any]] = []
    for entry in trust.keys:
        row: dict[str, Any] = {"name": entry.name, "keyid": entry.keyid}
        for field in ("not_before", "not_after"):
            value = getattr(entry, field)
            if value is not None:
                row[field] = iso_utc(value)
        row["public_key"] = entry.public_key
        rows.append(row)
    text = json.dumps({"format": TRUST_FORMAT, "keys": rows}, indent=2) + "\n"
    Path(path).write_text(text)
