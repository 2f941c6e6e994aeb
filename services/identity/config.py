"""Settings of the identity service (environment variables VANGUARD_*)."""

from __future__ import annotations

from pydantic import Field

from shared.config import ServiceSettings


class IdentitySettings(ServiceSettings):
    port: int = 8601
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/vanguard_identity"
    # A private Ed25519 JWK file (with its kid): the first signing key, adopted at start. A file
    # holding a key the ring does not have yet is a rotation: published at once, signing after
    # key_activation_seconds. Empty: the service makes its own first key.
    identity_key: str = ""
    # Accounts made admins at first start, comma-separated; each one's one-time code is logged once.
    identity_admins: str = ""
    access_token_seconds: int = Field(default=300, ge=1, le=24 * 3600)
    refresh_token_seconds: int = Field(default=12 * 3600, ge=1, le=90 * 24 * 3600)
    one_time_code_seconds: int = Field(default=3 * 24 * 3600, ge=1, le=90 * 24 * 3600)
    lockout_failures: int = Field(default=5, ge=1, le=100)  # failed sign-ins in a row that lock an account
    lockout_seconds: int = Field(default=15 * 60, ge=1, le=7 * 24 * 3600)
    # A rotated key signs this long after it is published: longer than a KeySet waits between two
    # fetches of the JWKS (shared/auth/keys.py) plus the 2 s a worker takes to see its sibling's
    # rotation, so no verifier ever meets a key it cannot fetch.
    key_activation_seconds: float = Field(default=15.0, ge=0, le=3600)
    # argon2id's cost (OWASP's first recommendation: 19 MiB, 2 passes, 1 lane; the benchmark,
    # tests/benchmarks/bench_identity.py, measures it beside RFC 9106's 64 MiB, 3 passes, 4 lanes).
    # Raised later, each hash is redone at its account's next sign-in.
    argon2_time_cost: int = Field(default=2, ge=1, le=20)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=8, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)
    argon2_threads: int = Field(default=0, ge=0, le=64)  # hashes at once; 0: one per CPU

    @property
    def admins(self) -> list[str]:
        return [a.strip() for a in self.identity_admins.split(",") if a.strip()]
