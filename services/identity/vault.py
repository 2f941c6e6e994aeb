"""The vault: what the identity service keeps secret, in tables of its own database beside the event
store and never in an event. Password hashes (argon2) and one-time codes' hashes (SHA-256) by a
random reference that events name; refresh tokens by their SHA-256, with their session, grant and
expiry; the private halves of the signing keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.persistence.asyncpg_store import AsyncpgDatastore

SCHEMA = """
CREATE TABLE IF NOT EXISTS identity_secrets (
    ref text PRIMARY KEY,
    account text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('password', 'code')),
    hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS identity_secrets_account ON identity_secrets (account);
CREATE TABLE IF NOT EXISTS identity_refresh_tokens (
    digest bytea PRIMARY KEY,
    session text NOT NULL,
    account text NOT NULL,
    role text NOT NULL,
    department text,
    branch text,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX IF NOT EXISTS identity_refresh_tokens_session ON identity_refresh_tokens (session);
CREATE INDEX IF NOT EXISTS identity_refresh_tokens_account ON identity_refresh_tokens (account);
CREATE INDEX IF NOT EXISTS identity_refresh_tokens_expiry ON identity_refresh_tokens (expires_at);
CREATE TABLE IF NOT EXISTS identity_signing_keys (
    kid text PRIMARY KEY,
    private_jwk text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""
_SCHEMA_LOCK = 0x1D3E7_7001  # two workers starting at once would race on CREATE TABLE IF NOT EXISTS


@dataclass(frozen=True)
class RefreshRow:
    session: str
    account: str
    grant: dict[str, str | None]
    expires_at: dt.datetime
    used: bool


class Vault:
    def __init__(self, datastore: AsyncpgDatastore) -> None:
        self.datastore = datastore
        self._run(self._create())

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.datastore.run(coroutine)

    async def _create(self) -> None:
        async with self.datastore.pool.lease() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
            await conn.execute(SCHEMA)

    async def _execute(self, statement: str, *args: Any) -> str:
        async with self.datastore.pool.lease() as conn:
            return str(await conn.execute(statement, *args))

    async def _fetch(self, statement: str, *args: Any) -> list[Any]:
        async with self.datastore.pool.lease() as conn:
            return list(await conn.fetch(statement, *args))

    async def _many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        async with self.datastore.pool.lease() as conn:
            await conn.executemany(statement, rows)

    # -- password and code hashes ------------------------------------------------------------------

    def put_secrets(self, rows: list[tuple[str, str, str, str]]) -> None:
        """(ref, account, kind, hash) rows."""
        if rows:
            self._run(
                self._many("INSERT INTO identity_secrets (ref, account, kind, hash) VALUES ($1, $2, $3, $4)", rows)
            )

    def secret(self, ref: str) -> str | None:
        rows = self._run(self._fetch("SELECT hash FROM identity_secrets WHERE ref = $1", ref))
        return rows[0]["hash"] if rows else None

    def rehash(self, ref: str, hashed: str) -> None:
        self._run(self._execute("UPDATE identity_secrets SET hash = $2 WHERE ref = $1", ref, hashed))

    def drop_secrets(self, account: str, keep: str | None) -> None:
        """Every hash of the account but the one its events now name (a replaced password, a used code)."""
        self._run(
            self._execute("DELETE FROM identity_secrets WHERE account = $1 AND ref IS DISTINCT FROM $2", account, keep)
        )

    def drop_secret(self, ref: str) -> None:
        self._run(self._execute("DELETE FROM identity_secrets WHERE ref = $1", ref))

    # -- refresh tokens ----------------------------------------------------------------------------

    def add_refresh(
        self, digest: bytes, session: str, account: str, grant: dict[str, Any], expires: dt.datetime
    ) -> None:
        self._run(
            self._execute(
                "INSERT INTO identity_refresh_tokens (digest, session, account, role, department, branch, expires_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                digest,
                session,
                account,
                grant["role"],
                grant["department"],
                grant["branch"],
                expires,
            )
        )

    def use_refresh(self, digest: bytes, now: dt.datetime) -> RefreshRow | None:
        """The token's row, marked used by this call (`used` False) or already used before (`used`
        True: a replay); None if unknown. One UPDATE decides, so of two racing uses only one wins."""
        return self._run(self._use_refresh(digest, now))  # type: ignore[no-any-return]

    async def _use_refresh(self, digest: bytes, now: dt.datetime) -> RefreshRow | None:
        async with self.datastore.pool.lease() as conn:
            row = await conn.fetchrow(
                "UPDATE identity_refresh_tokens SET used_at = $2 WHERE digest = $1 AND used_at IS NULL"
                " RETURNING session, account, role, department, branch, expires_at, false AS used",
                digest,
                now,
            )
            if row is None:
                row = await conn.fetchrow(
                    "SELECT session, account, role, department, branch, expires_at, true AS used"
                    " FROM identity_refresh_tokens WHERE digest = $1",
                    digest,
                )
        if row is None:
            return None
        grant = {"role": row["role"], "department": row["department"], "branch": row["branch"]}
        return RefreshRow(row["session"], row["account"], grant, row["expires_at"], row["used"])

    def end_session(self, session: str) -> None:
        self._run(self._execute("DELETE FROM identity_refresh_tokens WHERE session = $1", session))

    def end_sessions(self, account: str) -> None:
        self._run(self._execute("DELETE FROM identity_refresh_tokens WHERE account = $1", account))

    def purge_expired(self, now: dt.datetime) -> None:
        """A few expired tokens at a time (called on sign-in, so the table stays as large as its sessions)."""
        self._run(
            self._execute(
                "DELETE FROM identity_refresh_tokens WHERE digest IN"
                " (SELECT digest FROM identity_refresh_tokens WHERE expires_at <= $1 LIMIT 100)",
                now,
            )
        )

    # -- signing keys ------------------------------------------------------------------------------

    def put_private_key(self, kid: str, private_jwk: str) -> None:
        self._run(
            self._execute(
                "INSERT INTO identity_signing_keys (kid, private_jwk) VALUES ($1, $2) ON CONFLICT (kid) DO NOTHING",
                kid,
                private_jwk,
            )
        )

    def private_keys(self, kids: list[str]) -> dict[str, str]:
        rows = self._run(self._fetch("SELECT kid, private_jwk FROM identity_signing_keys WHERE kid = ANY($1)", kids))
        return {r["kid"]: r["private_jwk"] for r in rows}

    def drop_private_keys(self, kids: list[str]) -> None:
        if kids:
            self._run(self._execute("DELETE FROM identity_signing_keys WHERE kid = ANY($1)", kids))
