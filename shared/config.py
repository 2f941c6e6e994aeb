"""Settings every service shares; each service's own Settings class extends this."""

from __future__ import annotations

import json
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth.keys import KeySet
from shared.auth.tokens import AUDIENCE, ISSUER, OWN_CLAIMS, TokenVerifier, Trust


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VANGUARD_", extra="ignore")

    # Who may sign the bearer tokens this service believes: the identity service's public keys, as
    # its JWKS URL (http://…/.well-known/jwks.json), a JWKS file, or the JWKS itself. No default:
    # a service holds public keys only and refuses to start without them (./vanguard up gives them).
    token_keys: str = ""
    token_issuer: str = ISSUER
    token_audience: str = AUDIENCE
    # An existing OIDC provider trusted as well (government SSO): its issuer, JWKS, audience, and
    # which of its claims hold ours, as JSON, e.g. {"sub": "preferred_username", "role": "vg_role",
    # "department": "dept", "branch": "branch"}.
    oidc_issuer: str = ""
    oidc_keys: str = ""
    oidc_audience: str = ""
    oidc_claims: str = ""
    # Embedded defaults; point these at a real PostgreSQL / Kafka through the environment.
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "vanguard"


class ServiceSettings(CommonSettings):
    """What every service process reads: where it listens, its database, its instance name."""

    instance: str = "main"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    relay_metrics_port: int = 0  # the relay process serves /metrics here (0: not at all)
    # The instance's Ed25519 private key (base64; `./vanguard audit keygen`), or a file holding it.
    # The relay process's chain follower signs checkpoints of the event store's hash chain with it.
    # Empty: no checkpoints are signed (the relay says so at start); ./vanguard up makes one per instance.
    audit_key: str = ""
    audit_checkpoint_every: int = 1000  # sign after this many new events...
    audit_checkpoint_seconds: float = 10.0  # ...or this long after the first one not yet signed
    consumer_metrics_port: int = 0  # the consumer process serves /metrics here (0: not at all)
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/vanguard"
    persistence_module: str = "shared.persistence.asyncpg_store"
    pool_size: int = 10
    # Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed (e.g. 127.0.0.1 behind a local nginx). None by default: anyone
    # could claim any address, and the public's feedback limit is counted per address.
    trusted_proxies: str = ""
    # The programme's clock and calendar. "manual": time stands where an admin last put it
    # (POST /admin/clock on any service), for rehearsals and tests; every service started with the
    # same clock_dsn (./vanguard up gives them one) follows that one clock.
    clock: Literal["system", "manual"] = "system"
    clock_dsn: str = ""
    timezone: str = "Asia/Shanghai"  # a date passes at midnight here

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for this service's event store."""
        return {
            "PERSISTENCE_MODULE": self.persistence_module,
            "ASYNCPG_DSN": self.database_dsn,
            "ASYNCPG_POOL_SIZE": str(self.pool_size),
            "CREATE_TABLE": "y",
            # Not the library's aggregate cache: it fast-forwards under a thread lock, and two
            # requests for one aggregate on one event loop (bridge greenlets) would deadlock on
            # it. Commands use shared.saved.SavedAggregates instead (checked against versions).
        }

    def token_verifier(self) -> TokenVerifier:
        """Our identity service's tokens, and the OIDC provider's if one is configured."""
        trusts = [Trust(self.token_issuer, KeySet(self.token_keys), self.token_audience)]
        if self.oidc_issuer:
            try:
                names = {**OWN_CLAIMS, **json.loads(self.oidc_claims or "{}")}
            except json.JSONDecodeError as error:
                raise ValueError(f"VANGUARD_OIDC_CLAIMS is not JSON: {error}") from None
            trusts.append(Trust(self.oidc_issuer, KeySet(self.oidc_keys), self.oidc_audience or AUDIENCE, names))
        return TokenVerifier(*trusts)
