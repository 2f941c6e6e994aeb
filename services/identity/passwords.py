"""Password hashing with argon2id, one-time codes and refresh tokens.

argon2 is slow on purpose (tens of milliseconds of CPU and megabytes of memory per hash): it runs in
a small pool of threads of its own (argon2-cffi releases the GIL), never on the event loop, and no
more at once than the pool has threads. One-time codes and refresh tokens are random (80 and 256
bits), so a fast hash (SHA-256) is as safe for them as argon2 and costs nothing: an import of ten
thousand members does not wait ten thousand argon2 hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from greenlet import getcurrent

from shared.persistence.asyncpg_store.greenlets import Bridged, await_in

T = TypeVar("T")
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U to misread
CODE_GROUPS, CODE_GROUP = 4, 4  # XXXX-XXXX-XXXX-XXXX: 80 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class Passwords:
    """argon2id at the configured cost, in a thread pool of `threads` (default: one per CPU)."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int, threads: int = 0) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        self.pool = ThreadPoolExecutor(threads or os.cpu_count() or 2, thread_name_prefix="argon2")
        self._decoy: str | None = None

    def hash(self, password: str) -> str:
        return off_the_loop(self.pool, self.hasher.hash, password)

    def verify(self, hashed: str, password: str) -> bool:
        return off_the_loop(self.pool, self._verify, hashed, password)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        """True when the hash was made at another cost than today's (rehashed at the next sign-in)."""
        try:
            return self.hasher.check_needs_rehash(hashed)
        except InvalidHashError:
            return False

    def decoy(self, password: str) -> None:
        """Spend what a real check spends, so that an unknown account answers as slowly as a known one."""
        if self._decoy is None:
            self._decoy = self.hash(secrets.token_urlsafe(16))
        self.verify(self._decoy, password)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def off_the_loop(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the pool. In a bridge greenlet (a request's sync code) the request's task awaits
    it, so the event loop serves other requests meanwhile; elsewhere (a test, a script) we wait."""
    current = getcurrent()
    if type(current) is Bridged:
        loop = current.loop

        async def run() -> T:
            return await loop.run_in_executor(pool, fn, *args)

        return await_in(current, run())
    return pool.submit(fn, *args).result()


def new_code() -> str:
    """A one-time code a person can read out and type: XXXX-XXXX-XXXX-XXXX (Crockford base32)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP))
    return "-".join(chars[i : i + CODE_GROUP] for i in range(0, len(chars), CODE_GROUP))


def code_digest(code: str) -> str:
    """What the vault keeps of a code: typed in lower case, with or without dashes and blanks, or with
    O for 0 and I or L for 1, it is the same code."""
    normal = "".join(code.upper().split()).replace("-", "").translate(_READ_AS)
    return hashlib.sha256(b"vanguard-one-time-code:" + normal.encode()).hexdigest()


def same_digest(stored: str, code: str) -> bool:
    return hmac.compare_digest(stored, code_digest(code))


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
