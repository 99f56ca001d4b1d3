"""Throttles for the account pages (login, sign-up, password reset), by account and by address.

Fixed windows counted in the shared cache (Redis across web nodes, a file cache on one machine):
`hit` counts an event, `wait` says how long a key is blocked. A blocked login is refused even
with the right password until its window ends, so guessing stops at the limit. The price of
counting by account is that someone can lock an account for one window by failing on purpose;
the window is short and the lock ends by itself (docs/deploy.md)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # events allowed in one window
    seconds: int  # the window

    def _key(self, subject: str, now: float) -> str:
        digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
        return f"throttle:{self.name}:{digest}:{int(now // self.seconds)}"

    def hit(self, subject: str, *, now: float | None = None) -> int:
        """Count one event for `subject`; the count in the current window."""
        now = time.time() if now is None else now
        key = self._key(subject, now)
        cache.add(key, 0, timeout=self.seconds + 5)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: start the window again
            cache.set(key, 1, timeout=self.seconds + 5)
            return 1

    def wait(self, subject: str, *, now: float | None = None) -> int:
        """Seconds until `subject` may try again (0: not blocked)."""
        now = time.time() if now is None else now
        if (cache.get(self._key(subject, now)) or 0) < self.count:
            return 0
        return int(self.seconds - now % self.seconds) + 1

    def reset(self, subject: str, *, now: float | None = None) -> None:
        cache.delete(self._key(subject, time.time() if now is None else now))


def login_failures_per_account() -> Limit:
    return Limit("login-account", settings.QUIZBANK_LOGIN_FAILURES_PER_ACCOUNT, settings.QUIZBANK_THROTTLE_SECONDS)


def login_failures_per_address() -> Limit:
    return Limit("login-address", settings.QUIZBANK_LOGIN_FAILURES_PER_ADDRESS, settings.QUIZBANK_THROTTLE_SECONDS)


def signups_per_address() -> Limit:
    return Limit("signup-address", settings.QUIZBANK_SIGNUPS_PER_ADDRESS, 3600)


def resets_per_address() -> Limit:
    return Limit("reset-address", settings.QUIZBANK_SIGNUPS_PER_ADDRESS, 3600)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind QUIZBANK_TRUSTED_PROXIES proxies the entry of
    X-Forwarded-For that the nearest trusted proxy appended (a client can forge the entries
    before it, not that one)."""
    proxies = settings.QUIZBANK_TRUSTED_PROXIES
    if proxies:
        chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(chain) >= proxies:
            return chain[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
