"""The local GitHub's HTTP side: the `Sandbox` (aiohttp app; auth, faults, contract check, ETags, paging)."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import CIMultiDict, MultiDict

from bot.sandbox.accounting import READ_POINTS, WRITE_METHODS, WRITE_POINTS, Accounting, LogEntry
from bot.sandbox.auth import AuthError, Credentials, Identity
from bot.sandbox.contract import Contract, load_contract
from bot.sandbox.faults import Fault, Faults
from bot.sandbox.routes import ROUTES, Answer, Call, Handler
from bot.sandbox.shapes import APP_PERMISSIONS, Shapes
from bot.sandbox.state import (
    Issue,
    Json,
    Repo,
    SandboxError,
    State,
    not_found,
)

DOCS = "https://docs.github.com/rest"
SECONDARY_DOC = (
    "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
#: X-GitHub-Api-Version values GitHub accepts (others get 400).
API_VERSIONS = frozenset({"2022-11-28", "2026-03-10"})
PRIMARY_DOC = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"


CALL = web.RequestKey("call", Call)
ANSWER = web.RequestKey("answer", Answer)


class Sandbox:
    """A stateful in-memory GitHub REST server for tests, the demo and trials by hand.

    Seed state directly (`add_repo`, `create_issue`, `create_comment`, `set_permission`), hand out tokens
    (`issue_token`, `user_token`), `await start()`, point a client at `base_url`, then read `snapshot(repo)`,
    `accounting(installation_id)`, `log` and `violations`. Script faults with `faults.add(...)`.
    """

    def __init__(
        self,
        openapi_path: Path | str | None = None,
        *,
        app_id: int = 1,
        public_key_pem: str | bytes | None = None,
        bot_login: str = "parallel-work-bot[bot]",
        validate_responses: bool | None = None,
        clock: Callable[[], float] = time.time,
        token_ttl: float = 3600,
        secondary_limit: int | None = None,
        max_log: int | None = None,
        path_prefix: str = "",
    ) -> None:
        self.state = State(clock)
        self.clock = clock
        self.app_id = app_id
        self.bot_login = bot_login
        self.token_ttl = token_ttl
        #: Content-creating requests (POST) allowed per installation per minute (GitHub: 80); None = no limit.
        self.secondary_limit = secondary_limit
        self._created: dict[int | str, collections.deque[float]] = {}
        self.credentials = Credentials(app_id, public_key_pem, clock)
        self.shapes = Shapes(self.state, app_id)
        self.contract: Contract | None = load_contract(openapi_path) if openapi_path is not None else None
        self.validate_responses = (
            self.contract is not None if validate_responses is None else validate_responses
        )
        self.faults = Faults()
        self.log: list[LogEntry] = []
        #: Keep at most this many log entries (oldest dropped); None keeps all (tests).
        self.max_log = max_log
        #: Serve under a path, as GitHub Enterprise Server does (`/api/v3`); URLs in bodies carry it too.
        self.path_prefix = "/" + path_prefix.strip("/") if path_prefix.strip("/") else ""
        self._seq = 0
        self.violations: list[str] = []
        #: Crashes of the sandbox's own code (answered 500); the test fixture fails on any.
        self.errors: list[str] = []
        #: operationId -> successful (2xx) answers served, when a description is loaded.
        self.coverage: collections.Counter[str] = collections.Counter()
        self.token: str | None = None
        self._accounts: dict[int | str, Accounting] = {}
        self._installations: set[int] = set()
        #: What each installation was granted; absent = the App's own permissions (issues: write).
        self.installation_permissions: dict[int, dict[str, str]] = {}
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._origin = ""
        self.state.user(bot_login, "Bot")

    # ---- public seeding API -----------------------------------------------------------------------------
    @property
    def public_key_pem(self) -> str | bytes | None:
        """The App's public key that App JWTs are checked against (settable)."""
        return self.credentials.public_key_pem

    @public_key_pem.setter
    def public_key_pem(self, value: str | bytes | None) -> None:
        self.credentials.public_key_pem = value

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` once started."""
        if self._base_url is None:
            raise RuntimeError("the sandbox is not started")
        return self._base_url

    def add_repo(
        self, full_name: str, installation_id: int | None = 1, *, default_labels: bool = False
    ) -> None:
        """Create a repository, installed on `installation_id` (None: the App is not installed there); with
        `default_labels`, it starts with GitHub's nine default labels (bug, documentation, ...)."""
        self.state.add_repo(full_name, installation_id, default_labels=default_labels)
        if installation_id is not None:
            self._installations.add(installation_id)

    def issue_token(self, installation_id: int, ttl: float = 3600, token: str | None = None) -> str:
        """An installation token (valid `ttl` seconds) as POST /app/installations/{id}/access_tokens gives."""
        self._installations.add(installation_id)
        return self.credentials.issue_installation_token(installation_id, ttl, token).value

    def user_token(self, login: str, token: str | None = None) -> str:
        """A token acting as a person, to script what users do over HTTP."""
        self.state.user(login)
        return self.credentials.issue_user_token(login, token).value

    def expire_token(self, token: str) -> None:
        """Make a token expired now: the next request with it gets 401."""
        self.credentials.expire(token)

    def set_permission(self, repo: str, login: str, permission: str) -> None:
        """A user's role in a repository: admin, maintain, write, triage, read or none."""
        if permission not in ("admin", "maintain", "write", "triage", "read", "none"):
            raise ValueError(f"unknown permission {permission!r}")
        self.state.user(login)
        self.state.repo(repo).permissions[login.casefold()] = permission

    def create_issue(
        self,
        repo: str,
        title: str,
        body: str | None = "",
        user: str = "octocat",
        *,
        labels: list[str] | None = None,
        pull_request: bool = False,
    ) -> Json:
        """Seed an issue (or a pull request, which the issues API lists too); returns its GitHub JSON."""
        r = self.state.repo(repo)
        author = self.state.user(user)
        issue = self.state.create_issue(
            r, title, body, author, labels=labels, via_app=user == self.bot_login, pull_request=pull_request
        )
        return self.shapes.issue(r, issue)

    def create_comment(self, repo: str, number: int, body: str, user: str = "octocat") -> Json:
        """Seed a comment on issue `number`; returns its GitHub JSON."""
        r = self.state.repo(repo)
        comment = self.state.create_comment(
            r, self.state.issue(r, number), body, self.state.user(user), via_app=user == self.bot_login
        )
        return self.shapes.comment(r, comment)

    def delete_issue(self, repo: str, number: int) -> None:
        """Delete an issue (as a person can in the UI): links to it vanish, its number answers 410 Gone."""
        r = self.state.repo(repo)
        self.state.delete_issue(r, number)

    def issue_json(self, repo: str, number: int) -> Json:
        """An issue's GitHub JSON without going through HTTP."""
        r = self.state.repo(repo)
        return self.shapes.issue(r, self.state.issue(r, number))

    def snapshot(self, repo: str) -> Json:
        """Every issue with labels, comments, parent, sub_issues (numbers, in order), blocked_by, state."""
        return self.state.snapshot(self.state.repo(repo))

    def accounting(self, installation_id: int | str) -> Accounting:
        """Counters of an installation (`"app"` for JWT calls, `"user:LOGIN"` for user tokens)."""
        return self._account(installation_id)

    def set_rate_limit(
        self, installation_id: int, *, remaining: int | None = None, reset_in: float | None = None
    ) -> None:
        """Move an installation's primary limit (e.g. remaining=0 to exhaust it for real)."""
        acct = self._account(installation_id)
        self._roll_window(acct)
        if remaining is not None:
            acct.used = acct.limit - remaining
        if reset_in is not None:
            acct.reset = int(self.clock() + reset_in)

    def writes(self) -> list[LogEntry]:
        """Logged POST/PATCH/PUT/DELETE requests, in arrival order."""
        return [e for e in self.log if e.is_write]

    def add_fault(self, fault: Fault | str) -> Fault:
        """Shortcut for `faults.add`."""
        return self.faults.add(fault)

    # ---- lifecycle --------------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        """The aiohttp application (one route per described operation)."""
        app = web.Application(middlewares=[self._middleware], client_max_size=16 * 1024 * 1024)
        for method, template, handler in ROUTES:
            app.router.add_route(method, self.path_prefix + template, self._wrap(handler))
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 = a free port); `base_url` is set afterwards."""
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self._origin = f"http://{host}:{bound[1]}"
        self._base_url = self._origin + self.path_prefix
        self.state.api_url = self._base_url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- machinery --------------------------------------------------------------------------------------
    def _account(self, key: int | str) -> Accounting:
        if key not in self._accounts:
            self._accounts[key] = Accounting(reset=int(self.clock()) + 3600)
        return self._accounts[key]

    def _roll_window(self, acct: Accounting) -> None:
        if self.clock() >= acct.reset:
            acct.used = 0
            acct.reset = int(self.clock()) + 3600

    def _content_creation_wait(self, key: int | str) -> int | None:
        """Seconds to wait when this POST would exceed the per-minute content-creation limit, else None."""
        assert self.secondary_limit is not None
        now = self.clock()
        times = self._created.setdefault(key, collections.deque())
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) >= self.secondary_limit:
            return max(1, int(times[0] + 60 - now + 0.999))
        times.append(now)
        return None

    def _api_path(self, path: str) -> str:
        """A request path without the Enterprise-style prefix: the path GitHub's description speaks of."""
        return (
            path[len(self.path_prefix) :] if self.path_prefix and path.startswith(self.path_prefix) else path
        )

    @staticmethod
    def _account_key(identity: Identity | None) -> int | str:
        if identity is None:
            return "anonymous"
        if identity.kind == "installation" and identity.installation_id is not None:
            return identity.installation_id
        if identity.kind == "user":
            return f"user:{identity.login}"
        return "app"

    def _wrap(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def route(request: web.Request) -> web.StreamResponse:
            call: Call = request[CALL]
            answer = handler(self, call)
            request[ANSWER] = answer
            return web.Response(status=answer.status)

        return route

    def _json_response(self, status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
        body = b"" if data is None else json.dumps(data, separators=(",", ":")).encode()
        resp = web.Response(status=status, body=body if data is not None else None, headers=headers or {})
        if data is not None:
            resp.content_type = "application/json"
            resp.charset = "utf-8"
        return resp

    def _rate_headers(self, acct: Accounting, resource: str = "core") -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(acct.limit),
            "x-ratelimit-remaining": str(acct.remaining),
            "x-ratelimit-reset": str(acct.reset),
            "x-ratelimit-used": str(acct.used),
            "x-ratelimit-resource": resource,
        }

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self._seq += 1
        entry = LogEntry(
            seq=self._seq,
            method=request.method,
            path=self._api_path(request.path),
            query=request.query_string,
            start=time.monotonic(),
            api_version=request.headers.get("X-GitHub-Api-Version"),
            headers=dict(request.headers),
        )
        self.log.append(entry)
        if self.max_log is not None and len(self.log) > self.max_log:
            del self.log[: len(self.log) - self.max_log]
        try:
            resp = await self._serve(request, handler, entry)
        except ConnectionDropped:
            entry.status = 0
            entry.end = time.monotonic()
            transport = request.transport
            if transport is not None:
                transport.abort()
            return web.Response(status=500)  # never delivered: the connection is gone
        except web.HTTPException:
            raise
        except Exception as exc:  # a bug of the sandbox itself: answered like GitHub's 500, and recorded
            entry.status, entry.end = 500, time.monotonic()
            self.errors.append(f"{request.method} {request.path}: {exc!r}")
            return self._json_response(500, {"message": "Server Error", "status": "500"})
        resp.headers["X-GitHub-Request-Id"] = f"SANDBOX:{entry.seq:08X}"
        resp.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        entry.status = resp.status
        entry.end = time.monotonic()
        return resp

    async def _serve(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        entry: LogEntry,
    ) -> web.Response:
        raw = await request.read()
        entry.request_body = raw
        method = request.method
        try:
            identity: Identity | None = self.credentials.identify(request.headers.get("Authorization"))
            auth_error: AuthError | None = None
        except AuthError as exc:
            identity, auth_error = None, exc
        key = self._account_key(identity)
        acct = self._account(key)
        self._roll_window(acct)
        entry.installation_id = identity.installation_id if identity else None
        entry.actor = str(key)

        fault = self.faults.pick(method, self._api_path(request.path))
        entry.fault = fault.kind if fault else None
        if fault is not None:
            acct.faults += 1
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "drop_before":
                raise ConnectionDropped()
            elif fault.kind != "drop_after":
                return self._fault_response(fault, acct)

        version = request.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            return self._json_response(
                400,
                {
                    "message": f"API version '{version}' is not supported.",
                    "documentation_url": DOCS,
                    "status": "400",
                },
            )

        if auth_error is not None or identity is None:
            anon = self._rate_headers(Accounting(limit=60, reset=acct.reset))
            msg = str(auth_error) if auth_error else "Requires authentication"
            return self._json_response(
                401, {"message": msg, "documentation_url": DOCS, "status": "401"}, anon
            )

        route = request.match_info.route
        template = route.resource.canonical if route.resource is not None else None
        if template is not None:
            template = self._api_path(template)
        if template is None or isinstance(request.match_info.http_exception, web.HTTPException):
            if self.contract is not None:
                self.violations.append(f"{method} {request.path}: operation not in the description")
            return self._json_response(
                404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
            )

        if self.contract is not None:
            problems = self.contract.check_request(
                method,
                self._api_path(request.raw_path.split("?")[0]),
                template,
                MultiDict(request.query),
                request.headers,
                raw,
                request.content_type if raw else "application/json",
            )
            if problems:
                self.violations.extend(problems)
                op = self.contract.operation(method, template)
                return self._json_response(
                    422,
                    {
                        "message": "Invalid request.\n\n" + "\n".join(problems),
                        "errors": [
                            {"resource": "Request", "code": "invalid", "message": p} for p in problems
                        ],
                        "documentation_url": op.doc_url if op else DOCS,
                        "status": "422",
                    },
                )

        is_write = method in WRITE_METHODS
        needs_issues = "/issues" in template or "/labels" in template  # the `issues` permission covers these
        if identity.kind == "installation" and identity.installation_id is not None and needs_issues:
            granted = self.installation_permissions.get(identity.installation_id, APP_PERMISSIONS).get(
                "issues"
            )
            if granted != "write" and (is_write or granted != "read"):
                op = self.contract.operation(method, template) if self.contract is not None else None
                return self._json_response(
                    403,
                    {
                        "message": "Resource not accessible by integration",
                        "documentation_url": op.doc_url if op else DOCS,
                        "status": "403",
                    },
                    self._rate_headers(acct),
                )
        counted = template != "/rate_limit"
        if counted and acct.remaining <= 0:
            return self._primary_limit(acct, key)
        if method == "POST" and identity.kind != "app" and self.secondary_limit is not None:
            wait = self._content_creation_wait(key)
            if wait is not None:
                acct.secondary_limited += 1
                return self._fault_response(Fault("secondary", retry_after=wait), acct)

        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._json_response(
                400, {"message": "Problems parsing JSON", "documentation_url": DOCS, "status": "400"}
            )
        request[CALL] = Call(request=request, identity=identity, body=body, query=MultiDict(request.query))
        try:
            await handler(request)
            answer: Answer = request[ANSWER]
        except SandboxError as exc:
            op = self.contract.operation(method, template) if self.contract is not None else None
            if not exc.doc and op is not None:
                exc.doc = op.doc_url  # GitHub points an error at the operation's page
            answer = Answer(exc.status, exc.to_json())
        except web.HTTPException:
            answer = Answer(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})

        data = answer.data
        headers = dict(answer.headers)
        if answer.page and isinstance(data, list):
            data, link = self._paginate(request, data)
            if link:
                headers["Link"] = link
        resp = self._json_response(answer.status, data, headers)

        if method == "GET" and answer.status == 200:
            etag = (
                'W/"'
                + hashlib.sha256(resp.body if isinstance(resp.body, bytes) else b"").hexdigest()[:32]
                + '"'
            )
            resp.headers["ETag"] = etag
            resp.headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
            resp.headers["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
            if _etag_matches(request.headers.get("If-None-Match"), etag):
                acct.not_modified += 1
                not_modified = web.Response(status=304, headers={"ETag": etag, **self._rate_headers(acct)})
                return not_modified

        if counted:
            acct.used += 1
            if is_write:
                acct.writes += 1
                acct.points += WRITE_POINTS
            else:
                acct.reads += 1
                acct.points += READ_POINTS
        resp.headers.update(self._rate_headers(acct))

        if self.contract is not None and resp.status < 300:
            op = self.contract.operation(method, template)
            if op is not None:
                self.coverage[op.operation_id] += 1
        if self.validate_responses and self.contract is not None:
            payload = resp.body if isinstance(resp.body, bytes) else b""
            self.violations.extend(
                self.contract.check_response(
                    method,
                    self._api_path(request.raw_path.split("?")[0]),
                    template,
                    resp.status,
                    payload,
                    CIMultiDict(resp.headers),
                )
            )
        if fault is not None and fault.kind == "drop_after":
            raise ConnectionDropped()
        return resp

    def _fault_response(self, fault: Fault, acct: Accounting) -> web.Response:
        status = fault.status or 500
        headers = self._rate_headers(acct)
        if fault.kind == "secondary" or fault.kind == "429":
            if fault.retry_after >= 0:
                headers["Retry-After"] = str(fault.retry_after)
            message = (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                "If you reach out to GitHub Support for help, please include the request ID."
            )
            return self._json_response(
                status,
                {"message": message, "documentation_url": SECONDARY_DOC, "status": str(status)},
                headers,
            )
        if fault.kind == "primary":
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-used"] = str(acct.limit)
            headers["x-ratelimit-reset"] = str(int(self.clock() + fault.reset_in))
            return self._json_response(
                403,
                {
                    "message": "API rate limit exceeded for installation.",
                    "documentation_url": PRIMARY_DOC,
                    "status": "403",
                },
                headers,
            )
        reasons = {500: "Server Error", 502: "Server Error", 503: "Service Unavailable"}
        return self._json_response(
            status, {"message": reasons.get(status, "Server Error"), "status": str(status)}, headers
        )

    def _primary_limit(self, acct: Accounting, key: int | str) -> web.Response:
        return self._json_response(
            403,
            {
                "message": f"API rate limit exceeded for installation ID {key}.",
                "documentation_url": PRIMARY_DOC,
                "status": "403",
            },
            self._rate_headers(acct),
        )

    def _paginate(self, request: web.Request, items: list[Any]) -> tuple[list[Any], str]:
        """Slice a list by `page`/`per_page` (default 30, at most 100) and build GitHub's `Link` header."""
        try:
            per_page = max(1, min(100, int(request.query.get("per_page", "30"))))
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            per_page, page = 30, 1
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def url(n: int) -> str:
            query = dict(request.query)
            query["page"] = str(n)
            query.setdefault("per_page", str(per_page))
            return f"<{self._origin}{request.raw_path.split('?')[0]}?{urlencode(query)}>"

        rels = []
        if page > 1:
            rels += [f'{url(page - 1)}; rel="prev"', f'{url(1)}; rel="first"']
        if page < last:
            rels += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
        return chunk, ", ".join(rels)

    # ---- helpers for handlers ---------------------------------------------------------------------------
    def repo_for(self, call: Call) -> Repo:
        """The path's repository if it exists and the caller may see it (else 404)."""
        ident = call.identity
        if ident.kind == "app":
            raise SandboxError(403, "Resource not accessible by integration")
        try:
            repo = self.state.repo(f"{call.param('owner')}/{call.param('repo')}")
        except KeyError:
            raise not_found() from None
        if ident.kind == "installation" and repo.installation_id != ident.installation_id:
            raise not_found()
        return repo

    def issue_for(self, call: Call) -> tuple[Repo, Issue]:
        """The path's repository and issue (404 when either is unknown or invisible)."""
        repo = self.repo_for(call)
        return repo, self.state.issue(repo, call.int_param("issue_number"))

    def actor(self, call: Call) -> tuple[Any, bool]:
        """(user, via_app) for a write: the App's bot user for installation tokens."""
        ident = call.identity
        if ident.kind == "installation":
            return self.state.user(self.bot_login, "Bot"), True
        return self.state.user(ident.login or "ghost"), False

    def require_app(self, call: Call) -> None:
        """Only an App JWT may call this endpoint."""
        if call.identity.kind != "app":
            raise SandboxError(401, "A JSON web token could not be decoded")

    def issue_of_id(self, repo: Repo, db_id: int) -> Issue:
        """An issue by database id that the caller's repository owner can see (404 otherwise)."""
        other_repo, issue = self.state.issue_by_id(db_id)
        if other_repo.owner.casefold() != repo.owner.casefold():
            raise not_found()
        return issue


class ConnectionDropped(Exception):
    """Raised to drop the client's connection (a fault)."""


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    strip = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == strip or tag.strip() == "*" for tag in header.split(","))
