"""The signed payload of a bundle: creation time, signer key ids and every member file.

JSON (UTF-8, keys in this order, no whitespace)::

    {"format": "qroute-bundle/1", "created": "2026-12-01T17:00:00Z",
     "signers": ["<keyid>", ...],
     "members": [{"name": "result.json", "sha256": "<hex>", "size": 1234,
                  "content": "<base64>"}, ...]}

Members are sorted by name; names are relative POSIX paths inside the bundle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qroute.bundle.errors import first_error, invalid
from qroute.bundle.trust import iso_utc

MANIFEST_FORMAT = "qroute-bundle/1"
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_NAME_CHARS = 255

HexDigest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
_CREATED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\\:]")


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    sha256: HexDigest
    size: Annotated[int, Field(ge=0)]
    content: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    format: str
    created: str
    signers: Annotated[list[HexDigest], Field(min_length=1)]
    members: Annotated[list[Member], Field(min_length=1)]

    @property
    def created_at(self) -> datetime:
        return datetime.strptime(self.created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class MemberFile:
    """A verified member: its name and bytes."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` may not be a member path (None when it is fine)."""
    if not name:
        return "empty name"
    if len(name) > MAX_NAME_CHARS:
        return f"name longer than {MAX_NAME_CHARS} characters"
    if name.startswith("/"):
        return "absolute path"
    if _UNSAFE_CHARS.search(name) or not name.isprintable():
        return "control character, backslash or colon in name"
    parts = name.split("/")
    if ".." in parts:
        return "path outside the bundle ('..')"
    if any(part in ("", ".") for part in parts):
        return "empty or '.' path component"
    return None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    """Strict, canonical standard base64 (padding required, no spare bits, no whitespace)."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise invalid(f"{what} is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise invalid(f"{what} is not canonical base64")
    return data


def canonical_json(value: object) -> bytes:
    """The one encoding qroute writes and accepts: no whitespace, ASCII, fields in order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _check_members(members: Mapping[str, bytes], max_member_bytes: int) -> None:
    if not members:
        raise invalid("a bundle needs at least one member")
    if len(members) > MAX_MEMBERS:
        raise invalid(f"more than {MAX_MEMBERS} members")
    folded: dict[str, str] = {}
    for name, data in members.items():
        reason = unsafe_name_reason(name)
        if reason is not None:
            raise invalid(f"member {name!r}: {reason}")
        if len(data) > max_member_bytes:
            raise invalid(f"member {name}: {len(data)} bytes, over the {max_member_bytes} limit")
        other = folded.setdefault(name.casefold(), name)
        if other != name:
            raise invalid(f"members {other!r} and {name!r} differ only in case")


def encode_manifest(
    members: Mapping[str, bytes],
    signers: Sequence[str],
    created: datetime,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> bytes:
    """The manifest bytes for `members` (name -> content) signed by `signers` (key ids)."""
    _check_members(members, max_member_bytes)
    if len(set(signers)) != len(signers) or not signers:
        raise invalid("each signing key may sign once, and at least one must")
    rows = [
        {
            "name": name,
            "sha256": hashlib.sha256(members[name]).hexdigest(),
            "size": len(members[name]),
            "content": b64encode(members[name]),
        }
        for name in sorted(members)
    ]
    return canonical_json(
        {
            "format": MANIFEST_FORMAT,
            "created": iso_utc(created),
            "signers": list(signers),
            "members": rows,
        }
    )


def parse_manifest(
    payload: bytes, max_member_bytes: int = MAX_MEMBER_BYTES
) -> tuple[Manifest, list[MemberFile]]:
    """Parse the (already signature-checked) payload and check every member; exit 1 if not."""
    try:
        raw = json.loads(payload.decode("utf-8"))
        manifest = Manifest.model_validate(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise invalid("manifest is not JSON") from None
    except ValidationError as exc:
        raise invalid(f"manifest {first_error(exc)}") from None
    if manifest.format != MANIFEST_FORMAT:
        raise invalid(f"manifest format {manifest.format!r}, expected {MANIFEST_FORMAT!r}")
    if not _CREATED.match(manifest.created):
        raise invalid(f"manifest created {manifest.created!r} is not YYYY-MM-DDTHH:MM:SSZ")
    try:
        manifest.created_at  # noqa: B018 - a real calendar date
    except ValueError:
        raise invalid(f"manifest created {manifest.created!r} is not a valid time") from None
    if len(set(manifest.signers)) != len(manifest.signers):
        raise invalid("manifest lists a signer twice")
    if len(manifest.members) > MAX_MEMBERS:
        raise invalid(f"manifest lists more than {MAX_MEMBERS} members")
    for member in manifest.members:
        reason = unsafe_name_reason(member.name)
        if reason is not None:
            raise invalid(f"member {member.name!r}: {reason}")
    names = [m.name for m in manifest.members]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise invalid(f"member {duplicates[0]} is listed twice")
    folded = [n.casefold() for n in names]
    clashes = sorted({n for n, f in zip(names, folded, strict=True) if folded.count(f) > 1})
    if clashes:
        raise invalid(f"members {', '.join(clashes)} differ only in case")
    if names != sorted(names):
        raise invalid("manifest members are not sorted by name (re-ordered bundle)")
    files = []
    for member in manifest.members:
        if member.size > max_member_bytes:
            raise invalid(
                f"member {member.name}: {member.size} bytes, over the {max_member_bytes} limit"
            )
        data = b64decode(member.content, f"member {member.name} content")
        if len(data) != member.size:
            raise invalid(f"member {member.name}: size {len(data)}, manifest says {member.size}")
        if hashlib.sha256(data).hexdigest() != member.sha256:
            raise invalid(f"member {member.name}: sha256 digest does not match its content")
        files.append(MemberFile(member.name, data))
    return manifest, files
