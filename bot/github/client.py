"""GitHubClient: gidgethub's aiohttp GitHubAPI plus API version, ETag reads, paced writes, retries.

What happens to a request (gidgethub still builds URLs, headers, bodies, pagination and exceptions):

* every request carries `X-GitHub-Api-Version`; with a `token_provider` the installation token is
  fetched per attempt (so long jobs survive expiry) and a 401 invalidates it and retries once;
* GETs are conditional through gidgethub's `cache=` (ETag / Last-Modified -> 304 served from cache);
* writes hold the pacer's slot for `pacer_key` (one write at a time per installation, paced); a GraphQL
  request is a write when it holds a mutation, else a read (`graphql`);
* 5xx answers and connection failures are retried with exponential backoff and jitter (stamina),
  but only where repeating is safe, see `GitHubClient._send_with_retries`;
* 403/429 secondary limits wait `Retry-After` (else 60 s) and retry; an exhausted primary limit waits
  until `x-ratelimit-reset`; a wait beyond `RetryPolicy.max_rate_limit_wait` raises `RateLimitWait`.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import gidgethub.aiohttp
import stamina
from gidgethub import sansio
from gidgethub.abc import CACHE_TYPE

from .errors import ConnectionFailed, OutcomeUnknown, RateLimitWait
from .etag import new_etag_cache
from .graphql import graphql_url
from .pacing import Pacer, default_pacer
from .retry import (
    READS,
    RetryableConnection,
    RetryableResponse,
    RetryPolicy,
    is_connection_error,
    never_sent,
    primary_limit_reset,
    secondary_limit_wait,
)
from .stats import ClientStats

#: The REST API version we are written against (accepted by github.com and GitHub Enterprise Server).
API_VERSION = "2022-11-28"
DEFAULT_BASE_URL = sansio.DOMAIN
DEFAULT_REQUESTER = "parallel-work-bot"
PRIMARY = "primary rate limit exhausted"
SECONDARY = "secondary rate limit"

Response = tuple[int, Mapping[str, str], bytes]
#: Set while `graphql` sends a query (no mutation): that POST is a read (not paced, safe to repeat).
_GRAPHQL_READ: contextvars.ContextVar[bool] = contextvars.ContextVar("graphql_read", default=False)
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
#: Told of each HTTP exchange with GitHub: (method, URL, status or None when the connection failed, seconds).
ExchangeObserver = Callable[[str, str, "int | None", float], None]


class TokenProvider(Protocol):
    """Supplies the current installation token; `invalidate` drops one GitHub refused (401)."""

    async def token(self) -> str:
        """A token valid for a while yet (refreshed before it expires)."""
        ...

    def invalidate(self, token: str) -> None:
        """Forget `token` so the next `token()` fetches a new one."""
        ...


def _message(body: bytes) -> str:
    """GitHub's error `message`, or "" when the body is not a JSON object."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _choose_cache(cache: CACHE_TYPE | bool | None) -> CACHE_TYPE | None:
    """True: a new LRU cache; None/False: none; a mapping (even an empty one): that mapping."""
    if cache is True:
        return new_etag_cache()
    if cache is None or cache is False:
        return None
    return cache


@dataclass
class _Attempts:
    """What the attempts of one request share."""

    #: A POST that may have reached GitHub is not repeated (it raises OutcomeUnknown).
    post_is_final: bool
    #: A read (GET, or a GraphQL query): repeating it is always safe.
    read: bool = False
    #: A write attempt may have reached GitHub and failed: its outcome is unknown until one succeeds.
    uncertain: bool = False


class GitHubClient(gidgethub.aiohttp.GitHubAPI):
    """A gidgethub aiohttp client that keeps GitHub's rules (see the module docstring).

    `cache`: gidgethub's ETag cache mapping; the default (True) gives the client its own LRU cache,
    None or False turns conditional reads off.
    With `app_id` and `private_key` it authenticates as the App (gidgethub makes and renews the JWT,
    unless `app_jwt` supplies it).
    `base_url` may be github.com's, a GitHub Enterprise one (`https://host/api/v3`) or the local GitHub.
    `write_interval` (when no `pacer` is given) defaults to 1 s, or 0 for a loopback `base_url`.
    `clock` is wall time (Unix seconds, compared with `x-ratelimit-reset`); `sleep` is used for
    every rate-limit wait and by the default pacer, so tests can record waits instead of waiting.
    `observer` is told of every exchange (see ExchangeObserver).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        requester: str = DEFAULT_REQUESTER,
        *,
        base_url: str = DEFAULT_BASE_URL,
        oauth_token: str | None = None,
        app_id: str | None = None,
        private_key: str | bytes | None = None,
        token_provider: TokenProvider | None = None,
        pacer: Pacer | None = None,
        pacer_key: str = "default",
        write_interval: float | None = None,
        cache: CACHE_TYPE | bool | None = True,
        policy: RetryPolicy | None = None,
        stats: ClientStats | None = None,
        api_version: str = API_VERSION,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        repeatable_posts: bool = False,
        app_jwt: Callable[[], str] | None = None,
        observer: ExchangeObserver | None = None,
    ) -> None:
        super().__init__(
            session,
            requester,
            oauth_token=oauth_token,
            app_id=app_id,
            private_key=private_key,
            cache=_choose_cache(cache),
            base_url=base_url,
        )
        self.session = session
        self._sleep = sleep
        self._clock = clock
        self._token_provider = token_provider
        self.pacer: Pacer = pacer or default_pacer(base_url, write_interval, sleep=sleep)
        self.pacer_key = pacer_key
        self.policy = policy or RetryPolicy()
        self.stats = stats if stats is not None else ClientStats()
        self.api_version = api_version
        #: POSTs that may be repeated without harm (e.g. asking for an installation token).
        self.repeatable_posts = repeatable_posts
        self._limit_remaining: int | None = None
        self._limit_reset: float | None = None
        self._app_jwt_source = app_jwt
        #: The operator's metrics (request latency by kind); timed here, around the exchange itself.
        self.observer = observer

    def _get_app_jwt(self) -> str | None:
        """The App's JWT: from `app_jwt` when given (AppAuth shares one signed JWT across its clients;
        parsing the PEM afresh for each signature is costly), else gidgethub's per-client one."""
        if self._app_jwt_source is not None:
            return self._app_jwt_source()
        return super()._get_app_jwt()

    async def sleep(self, seconds: float) -> None:
        """Sleep through the injected sleep (gidgethub's hook)."""
        await self._sleep(seconds)

    async def graphql(self, query: str, *, endpoint: str | None = None, **variables: Any) -> Any:
        """gidgethub's GraphQL call, at this host's endpoint by default; a document that does not start with
        `mutation` is a read: not paced, and retried like a GET."""
        token = _GRAPHQL_READ.set(not query.lstrip().startswith("mutation"))
        try:
            return await super().graphql(query, endpoint=endpoint or graphql_url(self.base_url), **variables)
        finally:
            _GRAPHQL_READ.reset(token)

    # -- the transport ---------------------------------------------------------------------------

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Response:
        """One logical request: add the version header; writes go one at a time through the pacer.

        A write keeps its installation's slot while it waits out a rate limit, so no other write of
        that installation goes out while GitHub asked us to stop.
        """
        method = method.upper()
        request_headers = {k.lower(): v for k, v in headers.items()}
        request_headers.setdefault("x-github-api-version", self.api_version)
        read = method in READS or (method == "POST" and _GRAPHQL_READ.get())
        if read:
            return await self._send_within_limits(method, url, request_headers, body, read=True)
        async with self.pacer.slot(self.pacer_key):
            return await self._send_within_limits(method, url, request_headers, body, read=False)

    async def _send_within_limits(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, read: bool
    ) -> Response:
        """Send; on a rate-limit answer wait as GitHub asks and send again (a rejected request did
        nothing, so this is safe for every method), or raise RateLimitWait when that is too long."""
        attempt = 0
        while True:
            attempt += 1
            response = await self._send_with_retries(method, url, headers, body, read=read)
            limited = self._rate_limit_wait(response)
            if limited is None:
                return response
            wait, reset_at, reason = limited
            if wait > self.policy.max_rate_limit_wait or attempt > self.policy.max_rate_limit_retries:
                self.stats.rate_limit_deferrals += 1
                raise RateLimitWait(reset_at, reason=reason)
            if reason == PRIMARY:
                self.stats.primary_limit_waits += 1
                self._limit_remaining = None
            else:
                self.stats.secondary_limit_waits += 1
            await self.sleep(wait)

    def _rate_limit_wait(self, response: Response) -> tuple[float, float, str] | None:
        """(seconds to wait, Unix time to resume, which limit) when `response` is a rate limit."""
        status, headers, body = response
        if status not in (403, 429):
            return None
        reset = primary_limit_reset(status, headers)
        if reset is not None:
            return max(0.0, reset - self._clock()), reset, PRIMARY
        wait = secondary_limit_wait(status, headers, _message(body), self.policy.secondary_default_wait)
        if wait is None:
            return None
        return wait, self._clock() + wait, SECONDARY

    async def _send_with_retries(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, read: bool
    ) -> Response:
        """Send, retrying 5xx and connection failures where that is safe.

        The rule for writes: GitHub may have acted on a request whose connection dropped after it was
        sent, and a 5xx (a 502 especially) often comes after the work was done. So:

        * a connection that was never made (refused) is retried for every method: nothing was sent;
        * GET is retried on 5xx and dropped connections;
        * PATCH, PUT and DELETE are retried too: GitHub's PATCH/PUT set values, so a repeat changes
          nothing, and a DELETE that finds the thing already gone (404 after an uncertain attempt)
          counts as done. If retries run out, the write raises `OutcomeUnknown`;
        * POST creates things (comments, issues, sub-issue links), so a POST that may have reached
          GitHub and then failed (dropped connection, any 5xx) raises `OutcomeUnknown` at once and is
          not repeated: the caller re-reads and decides (unless `repeatable_posts`).

        Note that aiohttp itself repeats GET, PUT and DELETE once when a connection drops
        (RFC 9112 9.3.1) before we see anything; for a DELETE that repeat may answer 404, which then
        reaches the caller as gidgethub's BadRequest (404).
        """
        policy = self.policy
        final = method == "POST" and not read and not self.repeatable_posts
        state = _Attempts(post_is_final=final, read=read)
        try:
            # The first attempt runs outside stamina (its set-up costs more than a request's own work on
            # a fast GitHub); a retryable failure is re-raised as stamina's first attempt, so the attempts,
            # backoff and logging are stamina's as before.
            try:
                return await self._attempt(method, url, headers, body, state)
            except (RetryableResponse, RetryableConnection) as exc:
                first_failure: Exception | None = exc
            async for attempt in stamina.retry_context(
                on=(RetryableResponse, RetryableConnection),
                attempts=policy.attempts,
                timeout=policy.timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                with attempt:
                    if first_failure is not None:
                        failure, first_failure = first_failure, None
                        raise failure
                    self.stats.retries += 1
                    return await self._attempt(method, url, headers, body, state)
        except RetryableResponse as exc:
            if read:
                return exc.response  # gidgethub turns it into GitHubBroken
            self.stats.outcome_unknown += 1
            raise OutcomeUnknown(method, url, status=exc.response[0]) from exc
        except RetryableConnection as exc:
            if read or not state.uncertain:
                raise ConnectionFailed(method, url, exc.cause) from exc.cause
            self.stats.outcome_unknown += 1
            raise OutcomeUnknown(method, url, reason=repr(exc.cause)) from exc.cause
        raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover

    async def _attempt(
        self, method: str, url: str, headers: dict[str, str], body: bytes, state: _Attempts
    ) -> Response:
        """One attempt: the response, or RetryableResponse / RetryableConnection / OutcomeUnknown."""
        try:
            status, response_headers, data = await self._send_authorized(method, url, headers, body)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            if never_sent(exc):
                raise RetryableConnection(exc, sent=False) from exc
            if state.post_is_final:
                self.stats.outcome_unknown += 1
                raise OutcomeUnknown(method, url, reason=repr(exc)) from exc
            state.uncertain = state.uncertain or not state.read
            raise RetryableConnection(exc, sent=True) from exc
        if status >= 500:
            if state.post_is_final:
                self.stats.outcome_unknown += 1
                raise OutcomeUnknown(method, url, status=status)
            state.uncertain = state.uncertain or not state.read
            raise RetryableResponse(status, response_headers, data)
        if status == 404 and method == "DELETE" and state.uncertain:
            # An earlier attempt did delete it: the goal (gone) is reached.
            return 204, response_headers, b""
        return status, response_headers, data

    async def _send_authorized(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        """Send once with the provider's current token; on 401 refresh the token and send once more."""
        if self._token_provider is None or "authorization" in headers:
            return await self._send_once(method, url, headers, body)
        token = await self._token_provider.token()
        response = await self._send_once(method, url, {**headers, "authorization": f"token {token}"}, body)
        if response[0] != 401:
            return response
        self.stats.unauthorized_retries += 1
        self._token_provider.invalidate(token)
        token = await self._token_provider.token()
        return await self._send_once(method, url, {**headers, "authorization": f"token {token}"}, body)

    async def _send_once(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Response:
        """One HTTP exchange, counted."""
        if method in READS or (method == "POST" and _GRAPHQL_READ.get()):
            self.stats.reads += 1
        else:
            self.stats.writes += 1
        if self.observer is None:
            status, response_headers, data = await self._exchange(method, url, headers, body)
        else:
            started = time.perf_counter()
            try:
                status, response_headers, data = await self._exchange(method, url, headers, body)
            except Exception:
                self.observer(method, url, None, time.perf_counter() - started)
                raise
            self.observer(method, url, status, time.perf_counter() - started)
        if status == 304:
            self.stats.not_modified += 1
        remaining = response_headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.isdigit():
            self._limit_remaining = int(remaining)
            self.stats.rate_limit_remaining = self._limit_remaining
            reset = response_headers.get("x-ratelimit-reset")
            if reset is not None and reset.isdigit():
                self._limit_reset = float(reset)
                self.stats.rate_limit_reset = self._limit_reset
        return status, response_headers, data

    async def _exchange(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Response:
        """The HTTP exchange itself. An empty body is sent as none: aiohttp would otherwise write an empty
        payload after the headers (gidgethub passes b"" for every read)."""
        async with self.session.request(method, url, headers=headers, data=body or None) as response:
            return response.status, response.headers, await response.read()

    # -- gidgethub's rate-limit hook ----------------------------------------------------------------

    async def manage_rate_limit(self, *, method: str, url: str) -> None:
        """Before sending: if GitHub last said the primary limit is spent, wait for its reset first."""
        if self._limit_remaining != 0 or self._limit_reset is None:
            return
        wait = self._limit_reset - self._clock()
        if wait <= 0:
            return
        if wait > self.policy.max_rate_limit_wait:
            self.stats.rate_limit_deferrals += 1
            raise RateLimitWait(self._limit_reset, reason="primary rate limit exhausted")
        self.stats.primary_limit_waits += 1
        if method.upper() in READS:
            await self.sleep(wait)
        else:
            async with self.pacer.slot(self.pacer_key):
                await self.sleep(wait)
        self._limit_remaining = None

    def rate_limit_snapshot(self) -> dict[str, Any]:
        """What this client last heard about its rate limit."""
        return {"remaining": self._limit_remaining, "reset": self._limit_reset}
