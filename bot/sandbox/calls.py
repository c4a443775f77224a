"""What a route handler of the local GitHub is given and returns, and what it may ask of the server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from multidict import MultiDict

from bot.sandbox.accounting import Ledger
from bot.sandbox.auth import Credentials, Identity
from bot.sandbox.records import Issue, Repo, not_found
from bot.sandbox.shapes import Shapes
from bot.sandbox.state import State


@dataclass
class Call:
    """One request as a route handler sees it."""

    request: web.Request
    identity: Identity
    body: Any
    query: MultiDict[str]

    def param(self, name: str) -> str:
        """A path parameter."""
        return self.request.match_info[name]

    def int_param(self, name: str) -> int:
        """An integer path parameter (404 when not a number, like GitHub's router)."""
        try:
            return int(self.request.match_info[name])
        except ValueError:
            raise not_found() from None


@dataclass
class Answer:
    """A handler's result; `page=True` means `data` is a whole list the middleware paginates."""

    status: int
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    page: bool = False


class Host(Protocol):
    """The server as route handlers see it (bot.sandbox.server.Sandbox is one): the handlers depend on this
    and the server on the handlers, so the two modules never import each other."""

    state: State
    shapes: Shapes
    ledger: Ledger
    credentials: Credentials
    clock: Callable[[], float]
    token_ttl: float
    path_prefix: str
    installations: set[int]
    installation_permissions: dict[int, dict[str, str]]
    #: Requests and answers that broke GitHub's description or schema (a test fails on any).
    violations: list[str]
    bot_login: str

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (and the path prefix) once started."""
        ...

    def repo_for(self, call: Call) -> Repo:
        """The path's repository if it exists and the caller may see it (else 404)."""
        ...

    def issue_for(self, call: Call) -> tuple[Repo, Issue]:
        """The path's repository and issue (404 when either is unknown or invisible)."""
        ...

    def actor(self, call: Call) -> tuple[Any, bool]:
        """(user, via_app) for a write."""
        ...

    def require_app(self, call: Call) -> None:
        """Only an App JWT may call this endpoint."""
        ...

    def issue_of_id(self, repo: Repo, db_id: int) -> Issue:
        """An issue by database id that the caller's repository owner can see (404 otherwise)."""
        ...


Handler = Callable[[Host, Call], Answer]
