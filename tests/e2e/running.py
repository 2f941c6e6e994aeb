"""The five APIs as processes (no relays or consumers), for tests that only send them requests."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.devstack.processes import ServiceProcess
from shared.devstack.stack import Stack
from tests.support import KEY


@contextmanager
def running_apis(folder: Path, pg_dsn: str, kafka_bootstrap: str) -> Iterator[dict[str, str]]:
    """Base URLs of filing and tasking (serving fgw), inspection, acceptance, the projection and identity."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    stack = Stack(folder, pg_dsn, kafka_bootstrap, topic_prefix=prefix, database_prefix=f"{prefix}_", signing_key=KEY)
    apis: dict[str, ServiceProcess] = {
        "filing": stack.filing("fgw", "fgw")[0],
        "tasking": stack.tasking("fgw", "fgw")[0],
        "inspection": stack.inspection()[0],
        "acceptance": stack.acceptance()[0],
        "projection": stack.projection(),
        "identity": stack.identity()[0],
    }
    try:
        for process in apis.values():
            process.start(wait=False)
        for process in apis.values():
            process.wait_ready()
        yield {name: stack.url(process) for name, process in apis.items()}
    finally:
        stack.stop()
        for process in apis.values():
            log = process.log_path.read_text(errors="replace") if process.log_path.exists() else ""
            if "Traceback" in log:
                print(f"--- {process.name} log ---\n{log[-4000:]}")


def signed_token(claims: str) -> str:
    """A token signed with the stack's key around claims written by hand (any JSON at all)."""
    header = json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": KEY.kid}).encode()
    header = base64.urlsafe_b64encode(header).rstrip(b"=")
    body = base64.urlsafe_b64encode(claims.encode()).rstrip(b"=")
    signature = KEY.private.sign(header + b"." + body)
    return b".".join([header, body, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()
