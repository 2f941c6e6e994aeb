"""Evidence files (佐证材料): stored once by their SHA-256, size-limited, referenced from reports."""

from __future__ import annotations

import hashlib
from typing import Any

import asyncpg

from shared.auth import Principal
from shared.errors import InvalidInput

MAX_FILE_BYTES = 900_000  # under the API's 1 MB body ceiling

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
)
"""


async def store(conn: asyncpg.Connection, content: bytes, name: str, media_type: str, who: Principal) -> dict[str, Any]:
    if not content:
        raise InvalidInput("the file is empty")
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(f"the file is {len(content)} bytes; at most {MAX_FILE_BYTES} allowed")
    digest = hashlib.sha256(content).hexdigest()
    await conn.execute(
        "INSERT INTO evidence_files (sha256, name, media_type, size, content, uploaded_by, department, branch) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING",
        digest,
        name,
        media_type,
        len(content),
        content,
        who.subject,
        who.department or "",
        who.branch,
    )
    return {"kind": "file", "sha256": digest, "name": name, "size": len(content), "media_type": media_type}


async def resolve(conn: asyncpg.Connection, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check each piece of evidence: links as given, files by a SHA-256 that was uploaded."""
    resolved = []
    for n, item in enumerate(items, start=1):
        if item["kind"] == "link":
            resolved.append({"kind": "link", "url": item["url"], "title": item.get("title") or ""})
            continue
        row = await conn.fetchrow(
            "SELECT sha256, name, size, media_type FROM evidence_files WHERE sha256 = $1", item["sha256"]
        )
        if row is None:
            raise InvalidInput(
                f"evidence {n}: no uploaded file has SHA-256 {item['sha256']}; PUT it to /evidence first"
            )
        resolved.append({"kind": "file", **dict(row)})
    return resolved


async def fetch(conn: asyncpg.Connection, sha256: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT name, media_type, content, department, branch FROM evidence_files WHERE sha256 = $1", sha256
    )
