"""Serve a service's FastAPI app with uvicorn (uvloop + httptools), settings from the environment."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import tempfile

import uvicorn

from shared.runtime import SETTLE_HEAP


def serve(app_factory: str, settings_class: str) -> None:
    module, _, name = settings_class.partition(":")
    settings = getattr(importlib.import_module(module), name)()
    try:
        settings.token_verifier()  # no token keys, or unreadable ones: say so, and do not start
    except ValueError as error:
        sys.exit(f"{app_factory.split(':')[0]}: cannot start: {error} (VANGUARD_TOKEN_KEYS)")
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # each worker writes its samples here; /metrics adds them up (prometheus-client multiprocess mode)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"vanguard-metrics-{settings.port}-")
    os.environ.setdefault(SETTLE_HEAP, "1")  # the workers settle their heap once started
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: only configured proxies
        proxy_headers=bool(settings.trusted_proxy_list),
        forwarded_allow_ips=settings.trusted_proxy_list,
    )
