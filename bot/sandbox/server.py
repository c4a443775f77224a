"""The local GitHub's HTTP side: the `Sandbox` (aiohttp app; auth, faults, contract check, ETags, paging)."""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, MultiDict

from bot.sandbox import graphql
from bot.sandbox.accounting import (
    WRITE_METHODS,
    Accounting,
    Ledger,
    LogEntry,
    account_key,
)
from bot.sandbox.auth import AuthError, Credentials, Identity
from bot.sandbox.calls import Answer, Call, Handler
from bot.sandbox.contract import Contract, load_contract
from bot.sandbox.faults import Fault, Faults
from bot.sandbox.records import Issue, Json, Repo, SandboxError, not_found
from bot.sandbox.responses import (
    DOCS,
    error,
    etag_matches,
    etag_of,
    fault_response,
    json_response,
    paginate,
    primary_limit,
    rate_headers,
)
from bot.sandbox.routes import ROUTES
from bot.sandbox.shapes import APP_PERMISSIONS, Shapes
from bot.sandbox.state import State

#: X-GitHub-Api-Version values GitHub accepts (others get 400).
API_VERSIONS = frozenset({"2022-11-28", "2026-03-10"})


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
        hourly_limit: int | None = None,
        graphql_without: frozenset[str] = frozenset(),
        max_log: int | None = None,
        path_prefix: str = "",
    ) -> None:
        self.state = State(clock)
        self.clock = clock
        self.app_id = app_id
        self.bot_login = bot_login
        self.token_ttl = token_ttl
        #: Counters and rate limits of every caller; `secondary_limit` and `hourly_limit` are the
        #: content-creating requests (POST, GraphQL mutations) allowed per installation per minute and per
        #: hour (GitHub: 80 and 500), None for no limit.
        self.ledger = Ledger(clock, secondary_limit, hourly_limit)
        #: Input fields (`Type.field`) the GraphQL schema lacks here, as on an older GitHub Enterprise Server
        #: (e.g. `graphql.PARENT_ISSUE_ID`).
        self.graphql_without = frozenset(graphql_without)
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
        #: Where GraphQL is served: `/graphql`, or `/api/graphql` beside an Enterprise-style `/api/v3`.
        self.graphql_path = self.path_prefix.removesuffix("/v3") + "/graphql"
        self._seq = 0
        self.violations: list[str] = []
        #: Crashes of the sandbox's own code (answered 500); the test fixture fails on any.
        self.errors: list[str] = []
        #: operationId -> successful (2xx) answers served, when a description is loaded.
        self.coverage: collections.Counter[str] = collections.Counter()
        self.token: str | None = None
        #: Installations that exist (a token may be asked for them).
        self.installations: set[int] = set()
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
            self.installations.add(installation_id)

    def issue_token(self, installation_id: int, ttl: float = 3600, token: str | None = None) -> str:
        """An installation token (valid `ttl` seconds) as POST /app/installations/{id}/access_tokens gives."""
        self.installations.add(installation_id)
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
        return self.ledger.account(installation_id)

    def set_rate_limit(
        self, installation_id: int, *, remaining: int | None = None, reset_in: float | None = None
    ) -> None:
        """Move an installation's primary limit (e.g. remaining=0 to exhaust it for real)."""
        acct = self.ledger.current(installation_id)
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
        app.router.add_route("POST", self.graphql_path, _served_by_middleware)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 = a free port); `base_url` is set afterwards."""
        # GitHub's GraphQL schema is large: built once per process, in a thread, before the first request.
        await asyncio.to_thread(graphql.schema, self.graphql_without)
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
    def _doc_url(self, method: str, template: str) -> str:
        """The documentation page of an operation (GitHub's errors point at it)."""
        op = self.contract.operation(method, template) if self.contract is not None else None
        return op.doc_url if op is not None else DOCS

    def _api_path(self, path: str) -> str:
        """A request path without the Enterprise-style prefix: the path GitHub's description speaks of."""
        return (
            path[len(self.path_prefix) :] if self.path_prefix and path.startswith(self.path_prefix) else path
        )

    def _wrap(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def route(request: web.Request) -> web.StreamResponse:
            call: Call = request[CALL]
            answer = handler(self, call)
            request[ANSWER] = answer
            return web.Response(status=answer.status)

        return route

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
            return json_response(500, {"message": "Server Error", "status": "500"})
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
        graphql_request = graphql.parse_request(raw) if request.path == self.graphql_path else None
        if isinstance(graphql_request, graphql.Parsed):
            entry.operation = "mutation" if graphql_request.is_mutation else "query"
        try:
            identity: Identity | None = self.credentials.identify(request.headers.get("Authorization"))
            auth_error: AuthError | None = None
        except AuthError as exc:
            identity, auth_error = None, exc
        key = account_key(identity)
        acct = self.ledger.current(key)
        entry.installation_id = identity.installation_id if identity else None
        entry.actor = str(key)

        fault = self.faults.pick(method, entry.path, entry.operation)
        entry.fault = fault.kind if fault else None
        if fault is not None:
            acct.faults += 1
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "drop_before":
                raise ConnectionDropped()
            elif fault.kind != "drop_after":
                return fault_response(fault, acct, self.clock())

        version = request.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            return error(400, f"API version '{version}' is not supported.")

        if auth_error is not None or identity is None:
            anon = rate_headers(Accounting(limit=60, reset=acct.reset))
            return error(401, str(auth_error) if auth_error else "Requires authentication", headers=anon)

        if graphql_request is not None:
            resp = self._serve_graphql(graphql_request, identity, key, acct)
            if fault is not None and fault.kind == "drop_after":
                raise ConnectionDropped()
            return resp

        route = request.match_info.route
        template = route.resource.canonical if route.resource is not None else None
        if template is not None:
            template = self._api_path(template)
        if template is None or isinstance(request.match_info.http_exception, web.HTTPException):
            if self.contract is not None:
                self.violations.append(f"{method} {request.path}: operation not in the description")
            return error(404, "Not Found")

        api_path = self._api_path(request.raw_path.split("?")[0])
        refusal = self._check_request(request, api_path, template, raw) or self._refuse(
            identity, key, acct, method, template
        )
        if refusal is not None:
            return refusal
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return error(400, "Problems parsing JSON")
        request[CALL] = Call(request=request, identity=identity, body=body, query=MultiDict(request.query))
        try:
            await handler(request)
            answer: Answer = request[ANSWER]
        except SandboxError as exc:
            exc.doc = exc.doc or self._doc_url(method, template)  # GitHub points at the operation's page
            answer = Answer(exc.status, exc.to_json())
        except web.HTTPException:
            answer = Answer(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        resp = self._respond(request, answer, acct, counted=template != "/rate_limit")
        if resp.status == 304:
            return resp
        self._check_response(method, api_path, template, resp)
        if fault is not None and fault.kind == "drop_after":
            raise ConnectionDropped()
        return resp

    def _serve_graphql(
        self, parsed: graphql.Parsed | tuple[int, Json], identity: Identity, key: int | str, acct: Accounting
    ) -> web.Response:
        """A GraphQL request: the same limits as REST (a mutation is a content-creating write), then the
        schema's check and the answer (bot.sandbox.graphql)."""
        headers = rate_headers(acct, "graphql")
        if identity.kind == "app":
            return error(403, "Resource not accessible by integration", graphql.DOCS, headers)
        if acct.remaining <= 0:
            return primary_limit(acct, key)
        if isinstance(parsed, tuple):
            status, data = parsed
            acct.count(write=False)
            return json_response(status, data, rate_headers(acct, "graphql"))
        if parsed.is_mutation:
            wait = self.ledger.content_creation_wait(key)
            if wait is not None:
                acct.secondary_limited += 1
                return fault_response(Fault("secondary", retry_after=wait), acct, self.clock())
        data = graphql.execute(self, identity, parsed, self.graphql_without)
        acct.count(write=parsed.is_mutation)
        if "data" in data:
            self.coverage["graphql:" + parsed.operation.operation.value] += 1
        return json_response(200, data, rate_headers(acct, "graphql"))

    def _check_request(
        self, request: web.Request, api_path: str, template: str, raw: bytes
    ) -> web.Response | None:
        """The contract check of a request: a 422 naming what the description rejects (and recorded)."""
        if self.contract is None:
            return None
        method = request.method
        content_type = request.content_type if raw else "application/json"
        query = MultiDict(request.query)
        problems = self.contract.check_request(
            method, api_path, template, query, request.headers, raw, content_type
        )
        if not problems:
            return None
        self.violations.extend(problems)
        return json_response(
            422,
            {
                "message": "Invalid request.\n\n" + "\n".join(problems),
                "errors": [{"resource": "Request", "code": "invalid", "message": p} for p in problems],
                "documentation_url": self._doc_url(method, template),
                "status": "422",
            },
        )

    def _refuse(
        self, identity: Identity, key: int | str, acct: Accounting, method: str, template: str
    ) -> web.Response | None:
        """403 when the installation lacks the `issues` permission or a rate limit says no; else None."""
        needs_issues = "/issues" in template or "/labels" in template  # the `issues` permission covers these
        if identity.kind == "installation" and identity.installation_id is not None and needs_issues:
            granted = self.installation_permissions.get(identity.installation_id, APP_PERMISSIONS).get(
                "issues"
            )
            if granted != "write" and (method in WRITE_METHODS or granted != "read"):
                message = "Resource not accessible by integration"
                return error(403, message, self._doc_url(method, template), rate_headers(acct))
        if template != "/rate_limit" and acct.remaining <= 0:
            return primary_limit(acct, key)
        if method == "POST" and identity.kind != "app":
            wait = self.ledger.content_creation_wait(key)
            if wait is not None:
                acct.secondary_limited += 1
                return fault_response(Fault("secondary", retry_after=wait), acct, self.clock())
        return None

    def _respond(
        self, request: web.Request, answer: Answer, acct: Accounting, *, counted: bool
    ) -> web.Response:
        """A handler's answer as HTTP: paginated, with ETag (304 when it matches, free) and rate headers."""
        data = answer.data
        headers = dict(answer.headers)
        if answer.page and isinstance(data, list):
            data, link = paginate(request, data, self._origin)
            if link:
                headers["Link"] = link
        resp = json_response(answer.status, data, headers)
        if request.method == "GET" and answer.status == 200:
            etag = etag_of(resp.body if isinstance(resp.body, bytes) else b"")
            resp.headers["ETag"] = etag
            resp.headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
            resp.headers["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
            if etag_matches(request.headers.get("If-None-Match"), etag):
                acct.not_modified += 1
                return web.Response(status=304, headers={"ETag": etag, **rate_headers(acct)})
        if counted:
            acct.count(write=request.method in WRITE_METHODS)
        resp.headers.update(rate_headers(acct))
        return resp

    def _check_response(self, method: str, api_path: str, template: str, resp: web.Response) -> None:
        """Coverage of the description, and (with `validate_responses`) the contract check of an answer."""
        if self.contract is None:
            return
        op = self.contract.operation(method, template)
        if op is not None and resp.status < 300:
            self.coverage[op.operation_id] += 1
        if self.validate_responses:
            payload = resp.body if isinstance(resp.body, bytes) else b""
            self.violations.extend(
                self.contract.check_response(
                    method, api_path, template, resp.status, payload, CIMultiDict(resp.headers)
                )
            )

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


async def _served_by_middleware(request: web.Request) -> web.StreamResponse:
    """`POST /graphql`'s route: the middleware answers it (it is not an operation of the description)."""
    raise web.HTTPNotFound()


class ConnectionDropped(Exception):
    """Raised to drop the client's connection (a fault)."""

