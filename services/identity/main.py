"""create_app(settings): the composition root of the identity service.

Its own tokens are verified in-process against its own published keys. It also believes the keys
of VANGUARD_TOKEN_KEYS when given (the embedded stack's development key, so that `./vanguard token
admin` can administer a fresh deployment). A deployment without one names its first admins in
VANGUARD_IDENTITY_ADMINS: each gets an account and a one-time code, logged once at first start.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from services.identity.api import router
from services.identity.app import IdentityApplication
from services.identity.config import IdentitySettings
from services.identity.keys import RELOAD_EVERY, OwnKeys
from services.identity.passwords import Passwords
from services.identity.policy import Policy
from shared.api import create_service_app
from shared.api.routes import run_sync
from shared.api.stored import router as stored_router
from shared.auth.keys import KeySet, SigningKey
from shared.auth.tokens import TokenVerifier, Trust
from shared.messaging.envelopes import EnvelopeFactory

SERVICE = "identity"
log = logging.getLogger("vanguard.identity")


def policy_of(settings: IdentitySettings) -> Policy:
    return Policy(
        access_ttl=dt.timedelta(seconds=settings.access_token_seconds),
        refresh_ttl=dt.timedelta(seconds=settings.refresh_token_seconds),
        code_ttl=dt.timedelta(seconds=settings.one_time_code_seconds),
        lockout_failures=settings.lockout_failures,
        lockout=dt.timedelta(seconds=settings.lockout_seconds),
        activation=dt.timedelta(seconds=settings.key_activation_seconds),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
    )


def build_application(settings: IdentitySettings) -> IdentityApplication:
    return IdentityApplication(
        settings.eventsourcing_env(),
        policy=policy_of(settings),
        passwords=Passwords(
            settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism, settings.argon2_threads
        ),
        clock=settings.clock,
        clock_dsn=settings.clock_dsn,
        timezone=settings.timezone,
    )


def token_verifier(settings: IdentitySettings, identity: IdentityApplication) -> TokenVerifier:
    """Our own keys, from memory; and VANGUARD_TOKEN_KEYS when it is a JWKS or a JWKS file. Not a
    URL: that is most likely our own JWKS, and fetching it from ourselves would stall the event loop."""
    keys = settings.token_keys.strip()
    if not keys.startswith("{"):  # files and URLs, comma-separated: the files only
        urls = [k for k in keys.split(",") if k.strip().startswith(("http://", "https://"))]
        if urls:
            log.info("identity: the URLs in VANGUARD_TOKEN_KEYS (%s) are not fetched: it trusts its own keys", urls)
        keys = ",".join(k for k in keys.split(",") if k.strip() and k not in urls)
    also = KeySet(keys) if keys else None
    return TokenVerifier(Trust(settings.token_issuer, OwnKeys(identity.keys.public, also), settings.token_audience))


async def _follow_keys(identity: IdentityApplication) -> None:
    """Keep up with rotations made by sibling workers (the verifier reads keys from memory only)."""
    while True:
        await asyncio.sleep(RELOAD_EVERY)
        try:
            await run_sync(identity.reload_keys)
        except Exception:  # the database away for a moment: the keys we know still serve
            log.exception("identity: could not reload the signing keys")


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    identity = build_application(settings)
    identity.ensure_keys(SigningKey.read(Path(settings.identity_key)) if settings.identity_key.strip() else None)
    codes = identity.bootstrap_admins(settings.admins)
    for login, code in codes.items():
        log.warning("identity: admin account %s opened; its one-time code (shown once): %s", login, code)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        following = asyncio.create_task(_follow_keys(identity))
        try:
            yield
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following

    app = create_service_app(
        SERVICE,
        settings.instance,
        token_verifier(settings, identity),
        lifespan=lifespan,
        description="账号与登录: accounts, roles, sign-in, tokens and their signing keys (JWKS)",
    )
    app.state.identity = identity
    app.state.bootstrap_codes = codes  # for a test or a script that started the app itself
    app.state.applications.append(identity)
    app.state.envelopes = EnvelopeFactory(identity, SERVICE, settings.instance)
    app.state.audited_recorder = identity.recorder  # GET /audit/stored
    app.include_router(router)
    app.include_router(stored_router)
    return app
