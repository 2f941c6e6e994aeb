"""How long things last (tokens, codes, lockouts, keys) and the lockout of names that are no account."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from shared.auth.tokens import AUDIENCE, ISSUER
from shared.errors import TooManyRequests

LEEWAY = dt.timedelta(seconds=60)  # a key stays published this much past its last token's expiry
_REMEMBERED = 10_000


@dataclass(frozen=True)
class Policy:
    access_ttl: dt.timedelta = dt.timedelta(minutes=5)
    refresh_ttl: dt.timedelta = dt.timedelta(hours=12)
    code_ttl: dt.timedelta = dt.timedelta(days=3)
    lockout_failures: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    activation: dt.timedelta = dt.timedelta(seconds=15)
    issuer: str = ISSUER
    audience: str = AUDIENCE

    @property
    def key_lifetime(self) -> dt.timedelta:
        """How long a key stays published after its successor starts signing."""
        return self.access_ttl + LEEWAY


class UnknownLogins:
    """Failed sign-ins under names that are no account, counted as for an account (in memory, the
    most recent 10,000 names): after as many failures they are 'locked' too, or a lockout would tell
    which names exist."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, tuple[int, dt.datetime | None]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, login: str, now: dt.datetime) -> None:
        with self._lock:
            _, until = self._seen.get(login, (0, None))
            if until is not None and until > now:
                raise too_many(until, now)
            if until is not None:
                self._seen.pop(login, None)

    def fail(self, login: str, now: dt.datetime, policy: Policy) -> None:
        with self._lock:
            failures, _ = self._seen.pop(login, (0, None))
            failures += 1
            until = now + policy.lockout if failures >= policy.lockout_failures else None
            self._seen[login] = (failures, until)
            while len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)


def too_many(until: dt.datetime, now: dt.datetime) -> TooManyRequests:
    seconds = max(1, int((until - now).total_seconds()) + 1)
    return TooManyRequests(
        f"too many failed sign-ins: this account is locked until {until.isoformat(timespec='seconds')}",
        retry_after_seconds=seconds,
    )
