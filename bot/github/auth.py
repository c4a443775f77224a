"""GitHub App authentication: the app JWT and cached, refreshed installation tokens."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import cachetools
import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from .client import DEFAULT_BASE_URL, DEFAULT_REQUESTER, ExchangeObserver, GitHubClient
from .etag import EtagCache, new_etag_cache
from .pacing import Pacer, default_pacer
from .paths import api_path
from .retry import RetryPolicy
from .stats import ClientStats

#: Installation tokens are replaced this long before GitHub's `expires_at`.
REFRESH_MARGIN = 300.0
#: The App's JWT: issued this far in the past (clock skew), valid this long (GitHub allows 10 min), reused
#: for this long (so at least 4 minutes of validity remain whenever it is sent).
JWT_BACKDATE = 60
JWT_LIFETIME = 600
JWT_REUSE = 300


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token and when it expires (Unix seconds)."""

    token: str
    expires_at: float


def parse_expires_at(value: str) -> float:
    """GitHub's `expires_at` ("2016-07-11T22:14:10Z") as Unix seconds."""
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


class AppAuth:
    """Authenticates as a GitHub App and hands out installation clients.

    Tokens are kept in a cachetools TLRU cache whose entries expire `refresh_margin` (5 min) before
    GitHub's `expires_at` (or half-way through a token's remaining life when it is shorter than
    twice the margin), on the injectable `clock` (Unix seconds). One refresh is in flight per
    installation: concurrent callers wait on the same lock and reuse its result. The JWT (`iat` 60 s in
    the past for clock skew, `exp` within GitHub's 10 minutes, on real time because GitHub checks it
    against real time) is signed with a key parsed once and reused for 5 minutes by every app client:
    parsing an RSA PEM is costly, which made each token request the dearest thing a worker did.

    Tokens are per process, not shared across processes: re-minting one is a single cheap request per
    installation and hour per worker, and a token never needs to sit in the database.
    """

    def __init__(
        self,
        app_id: int | str,
        private_key: str | bytes,
        *,
        base_url: str = DEFAULT_BASE_URL,
        requester: str = DEFAULT_REQUESTER,
        pacer: Pacer | None = None,
        write_interval: float | None = None,
        policy: RetryPolicy | None = None,
        stats: ClientStats | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        refresh_margin: float = REFRESH_MARGIN,
        max_installations: int = 4096,
        observer: ExchangeObserver | None = None,
    ) -> None:
        self.app_id = str(app_id)
        self.private_key = private_key
        self.base_url = base_url
        self.requester = requester
        self.policy = policy or RetryPolicy()
        self.stats = stats if stats is not None else ClientStats()
        self.refresh_margin = refresh_margin
        #: Given to every client made here (the operator's request metrics).
        self.observer = observer
        self._clock = clock
        self._sleep = sleep
        #: Shared by every installation client, so writes of one installation never overlap.
        self.pacer: Pacer = pacer or default_pacer(base_url, write_interval, sleep=sleep)
        self._tokens: cachetools.TLRUCache[int, InstallationToken] = cachetools.TLRUCache(
            maxsize=max_installations, ttu=self._use_until, timer=clock
        )
        self._locks: dict[int, asyncio.Lock] = {}
        self._etags: cachetools.LRUCache[int, EtagCache] = cachetools.LRUCache(maxsize=max_installations)
        self._signing_key: RSAPrivateKey | None = None
        self._jwt: tuple[str, float] | None = None  # (JWT, real time it was made)

    def _use_until(self, _key: int, value: InstallationToken, now: float) -> float:
        margin = min(self.refresh_margin, max(0.0, value.expires_at - now) / 2)
        return value.expires_at - margin

    def jwt(self) -> str:
        """The app JWT (for calls as the App itself): valid for at least 4 more minutes."""
        now = time.time()
        if self._jwt is not None and 0 <= now - self._jwt[1] < JWT_REUSE:
            return self._jwt[0]
        if self._signing_key is None:
            pem = self.private_key.encode() if isinstance(self.private_key, str) else self.private_key
            # Our own key (Settings checks it fully at startup): the costly RSA consistency check is skipped.
            key = load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
            if not isinstance(key, RSAPrivateKey):
                raise ValueError("the GitHub App private key must be an RSA key")
            self._signing_key = key
        issued_at = int(now) - JWT_BACKDATE
        payload = {"iat": issued_at, "exp": issued_at + JWT_LIFETIME, "iss": self.app_id}
        token = pyjwt.encode(payload, self._signing_key, algorithm="RS256")
        self._jwt = (token, now)
        return token

    def app_client(self, session: aiohttp.ClientSession) -> GitHubClient:
        """A client authenticated as the App (JWT), e.g. for `/app` or `/repos/{o}/{r}/installation`."""
        return GitHubClient(
            session,
            self.requester,
            base_url=self.base_url,
            app_id=self.app_id,
            private_key=self.private_key,
            write_interval=0.0,  # token requests create no content
            policy=self.policy,
            stats=self.stats,
            clock=self._clock,
            sleep=self._sleep,
            repeatable_posts=True,  # asking for another token twice is harmless
            app_jwt=self.jwt,
            observer=self.observer,
        )

    async def installation_id(self, session: aiohttp.ClientSession, owner: str, repo: str) -> int:
        """The installation of this App on `owner/repo` (404 if the App is not installed there)."""
        data = await self.app_client(session).getitem(
            api_path("/repos/{owner}/{repo}/installation", owner=owner, repo=repo))
        return int(data["id"])

    async def installation_token(self, session: aiohttp.ClientSession, installation_id: int) -> str:
        """A token for `installation_id`: cached, or fetched (one fetch in flight per installation)."""
        cached = self._tokens.get(installation_id)
        if cached is not None:
            return cached.token
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(installation_id)
            if cached is not None:
                return cached.token
            fresh = await self._fetch_token(session, installation_id)
            self._tokens[installation_id] = fresh
            return fresh.token

    async def _fetch_token(self, session: aiohttp.ClientSession, installation_id: int) -> InstallationToken:
        self.stats.token_refreshes += 1
        data = await self.app_client(session).post(
            "/app/installations/{installation_id}/access_tokens",
            {"installation_id": installation_id},
            data=b"",
        )
        expires_at = parse_expires_at(str(data["expires_at"]))
        return InstallationToken(token=str(data["token"]), expires_at=expires_at)

    def invalidate(self, installation_id: int, token: str | None = None) -> None:
        """Drop the cached token of `installation_id` (only if it is still `token`, when given)."""
        cached = self._tokens.get(installation_id)
        if cached is not None and (token is None or cached.token == token):
            del self._tokens[installation_id]

    def etag_cache(self, installation_id: int) -> EtagCache:
        """The ETag cache of one installation (kept apart: what one token sees, another may not)."""
        cache = self._etags.get(installation_id)
        if cache is None:
            cache = self._etags[installation_id] = new_etag_cache()
        return cache

    async def client(self, session: aiohttp.ClientSession, installation_id: int) -> GitHubClient:
        """A client acting as `installation_id`; it asks for a token per request, so it outlives tokens."""
        provider = InstallationTokenProvider(self, session, installation_id)
        await provider.token()  # fail early (404/401) rather than at the first call
        return GitHubClient(
            session,
            self.requester,
            base_url=self.base_url,
            token_provider=provider,
            pacer=self.pacer,
            pacer_key=f"installation:{installation_id}",
            cache=self.etag_cache(installation_id),
            policy=self.policy,
            stats=self.stats,
            clock=self._clock,
            sleep=self._sleep,
            observer=self.observer,
        )


class InstallationTokenProvider:
    """The `TokenProvider` of one installation, backed by AppAuth's cache."""

    def __init__(self, auth: AppAuth, session: aiohttp.ClientSession, installation_id: int) -> None:
        self.auth = auth
        self.session = session
        self.installation_id = installation_id

    async def token(self) -> str:
        """The cached token, or a new one when it is close to expiry."""
        return await self.auth.installation_token(self.session, self.installation_id)

    def invalidate(self, token: str) -> None:
        """GitHub refused `token` (401): forget it."""
        self.auth.invalidate(self.installation_id, token)
