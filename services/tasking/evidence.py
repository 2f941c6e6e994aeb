"""Evidence files (佐证材料): stored once by their SHA-256, size-limited, referenced from reports."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any
from urllib.parse import quote, unquote

import asyncpg

from shared.auth import Principal
from shared.errors import InvalidInput

MAX_FILE_BYTES = 900_000  # under the API's 1 MB body ceiling
MAX_FILE_NAME = 200  # characters of X-Filename as sent (percent-encoded or not)
OCTET_STREAM = "application/octet-stream"
# Served back with their own type (as attachments, never sniffed); anything else as OCTET_STREAM,
# so an uploaded page or script is never rendered from our origin.
SERVED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/plain",
        "text/csv",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS evidence_files (
    sha256 text PRIMARY KEY,
    name text NOT NULL,
    media_type text NOT NULL,
    size integer NOT NULL,
    content bytea NOT NULL,
    uploaded_by text NOT NULL,
    department text NOT NULL,
    branch text,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
-- Who holds a file: every department and branch that uploaded it. The content is kept once, but a
-- branch may attach to its tasks, and read, only what it (or one it may read) uploaded itself.
CREATE TABLE IF NOT EXISTS evidence_holders (
    sha256 text NOT NULL,
    department text NOT NULL,
    branch text NOT NULL DEFAULT '',
    PRIMARY KEY (sha256, department, branch)
);
INSERT INTO evidence_holders (sha256, department, branch)
    SELECT sha256, department, coalesce(branch, '') FROM evidence_files ON CONFLICT DO NOTHING;
"""


def digest(value: str) -> str:
    """A SHA-256 as the table keys it (lower-case hex), or a 422 saying what was sent instead."""
    if not _SHA256.fullmatch(value):
        raise InvalidInput(f"'{value[:80]}' is not a SHA-256 (64 hexadecimal digits)")
    return value.lower()


def file_name(header: str) -> str:
    """X-Filename, percent-decoded (HTTP headers are Latin-1: 走访记录.txt comes encoded), without folders."""
    name = unquote(header)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name):
        raise InvalidInput("X-Filename: the file name must not contain control characters")
    base = _base_name(name)
    if base in ("", ".", ".."):
        raise InvalidInput("X-Filename: name the file itself (e.g. report.pdf), without folders")
    return base


def media_type_of(declared: str) -> str:
    """The declared Content-Type without parameters, if it is one; what is served is `served_type` of it."""
    essence = declared.split(";", 1)[0].strip().lower()
    return essence if _MEDIA_TYPE.fullmatch(essence) else OCTET_STREAM


def served_type(stored: str) -> str:
    return stored if stored in SERVED_TYPES else OCTET_STREAM


def attachment(name: str) -> dict[str, str]:
    """Headers of a download: an attachment under its base name, every unsafe byte percent-encoded."""
    return {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(_base_name(name) or 'evidence', safe='')}",
        "X-Content-Type-Options": "nosniff",
    }


def _base_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


async def store(conn: asyncpg.Connection, content: bytes, name: str, declared: str, who: Principal) -> dict[str, Any]:
    """Keep a file under its SHA-256 (`name` from `file_name`, `declared` its Content-Type)."""
    if not content:
        raise InvalidInput("the file is empty")
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(f"the file is {len(content)} bytes; at most {MAX_FILE_BYTES} allowed")
    sha256 = hashlib.sha256(content).hexdigest()
    media_type = media_type_of(declared)
    await conn.execute(
        "INSERT INTO evidence_files (sha256, name, media_type, size, content, uploaded_by, department, branch) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING",
        sha256,
        name,
        media_type,
        len(content),
        content,
        who.subject,
        who.department or "",
        who.branch,
    )
    await conn.execute(
        "INSERT INTO evidence_holders (sha256, department, branch) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        sha256,
        who.department or "",
        who.branch or "",
    )
    return {"kind": "file", "sha256": sha256, "name": name, "size": len(content), "media_type": media_type}


async def resolve(conn: asyncpg.Connection, items: list[dict[str, Any]], who: Principal) -> list[dict[str, Any]]:
    """Check each piece of evidence: links as given, files by a SHA-256 that was uploaded (the upload's
    reply is accepted as it is: its size must be the file's; its name and media type are the stored ones)."""
    resolved = []
    for n, item in enumerate(items, start=1):
        if item["kind"] == "link":
            resolved.append({"kind": "link", "url": item["url"], "title": item.get("title") or ""})
            continue
        row = await conn.fetchrow(
            "SELECT f.sha256, f.name, f.size, f.media_type FROM evidence_files f JOIN evidence_holders h "
            "USING (sha256) WHERE f.sha256 = $1 AND h.department = $2 AND h.branch = $3",
            item["sha256"],
            who.department or "",
            who.branch or "",
        )
        if row is None:  # not uploaded, or only by another branch: the same answer, nothing disclosed
            raise InvalidInput(
                f"evidence {n}: no uploaded file has SHA-256 {item['sha256']}; PUT it to /evidence first"
            )
        if item.get("size") is not None and item["size"] != row["size"]:
            raise InvalidInput(
                f"evidence {n}: the file with SHA-256 {item['sha256']} has {row['size']} bytes, not {item['size']}"
            )
        resolved.append({"kind": "file", **dict(row)})  # the stored name and media type, whatever was sent
    return resolved


async def fetch(conn: asyncpg.Connection, sha256: str, who: Principal) -> asyncpg.Record | None:
    """The file, if `who` may read it: a holder of it is in their scope (Principal.may_read)."""
    holders = await conn.fetch("SELECT department, branch FROM evidence_holders WHERE sha256 = $1", sha256)
    if not any(who.may_read(h["department"], h["branch"] or None) for h in holders):
        return None
    return await conn.fetchrow("SELECT name, media_type, content FROM evidence_files WHERE sha256 = $1", sha256)
