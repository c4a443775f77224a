"""The contract check: the local GitHub's requests and responses checked against GitHub's OpenAPI text."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multidict import CIMultiDict, MultiDict
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters

#: openapi-core matches paths against the description's server; requests are presented as if sent there.
SPEC_HOST = "https://api.github.com"


@dataclass
class CheckRequest:
    """A request as openapi-core's `Request` protocol wants it."""

    method: str
    path: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters
    host_url: str = SPEC_HOST


@dataclass
class CheckResponse:
    """A response as openapi-core's `Response` protocol wants it."""

    status_code: int
    data: bytes | None
    content_type: str
    headers: CIMultiDict[str]


@dataclass(frozen=True)
class Operation:
    """What the description says of one operation that the contract check needs besides openapi-core."""

    operation_id: str
    statuses: frozenset[str]
    body_fields: frozenset[str] | None  # top-level fields a JSON object body may have; None = not an object
    doc_url: str


class Contract:
    """One parsed description (shared per file and process: parsing takes a noticeable part of a second)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.openapi = OpenAPI.from_dict(allow_null_in_nullable_enums(copy.deepcopy(spec)))
        self.operations: dict[tuple[str, str], Operation] = {}
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                self.operations[(method.upper(), path)] = Operation(
                    operation_id=op.get("operationId", ""),
                    statuses=frozenset(op.get("responses", {})),
                    body_fields=self._body_fields(op),
                    doc_url=op.get("externalDocs", {}).get("url", "https://docs.github.com/rest"),
                )

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def _body_fields(self, op: Mapping[str, Any]) -> frozenset[str] | None:
        """Declared top-level properties of the JSON body's object form(s); None when any is open-ended."""
        body = self._resolve(op.get("requestBody"))
        if not body:
            return None
        schema = self._resolve(body.get("content", {}).get("application/json", {}).get("schema"))
        if not isinstance(schema, dict):
            return None
        options: list[Any] = schema.get("oneOf") or schema.get("anyOf") or [schema]
        alternatives = [self._resolve(s) for s in options]
        fields: set[str] = set()
        for alt in alternatives:
            if alt.get("type") != "object":
                continue
            if "properties" not in alt or alt.get("additionalProperties") not in (None, False):
                return None
            fields.update(alt["properties"])
        return frozenset(fields) if fields else None

    def operation(self, method: str, template: str) -> Operation | None:
        """The operation for a method and path template, if described."""
        return self.operations.get((method.upper(), template))

    def check_request(
        self,
        method: str,
        path: str,
        template: str,
        query: MultiDict[str],
        headers: Mapping[str, str],
        body: bytes,
        content_type: str,
    ) -> list[str]:
        """What is wrong with a request according to the description (empty list: nothing).

        Besides openapi-core's checks (path and query parameters, body schema), a JSON object body may only
        carry fields the operation declares: GitHub silently ignores others, which hides bugs such as
        `sub_issue_number` for `sub_issue_id`.
        """
        op = self.operation(method, template)
        if op is None:
            return [f"{method} {template}: operation not in the description"]
        request = CheckRequest(
            method=method.lower(),
            path=path,
            body=body or None,
            content_type=content_type or "application/json",
            parameters=RequestParameters(query=query, header=CIMultiDict(headers), cookie=CIMultiDict()),
        )
        problems = [_explain(exc) for exc in _errors(self.openapi.iter_request_errors(request))]
        if not problems and body and op.body_fields is not None:
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, dict):
                unknown = sorted(set(data) - op.body_fields)
                if unknown:
                    problems.append(
                        f"body field(s) {', '.join(map(repr, unknown))} not in {op.operation_id}'s schema "
                        f"(allowed: {', '.join(sorted(op.body_fields))})"
                    )
        return [f"{method} {path} ({op.operation_id}): {p}" for p in problems]

    def check_response(
        self, method: str, path: str, template: str, status: int, body: bytes, headers: CIMultiDict[str]
    ) -> list[str]:
        """What is wrong with a response according to the description (statuses it does not list are skipped:
        the description omits 401/403/5xx on most operations, though GitHub may send them)."""
        op = self.operation(method, template)
        if op is None or str(status) not in op.statuses or status == 304:
            return []
        request = CheckRequest(
            method=method.lower(),
            path=path,
            body=None,
            content_type="application/json",
            parameters=RequestParameters(query=MultiDict(), header=CIMultiDict(), cookie=CIMultiDict()),
        )
        response = CheckResponse(
            status_code=status,
            data=body or None,
            content_type=headers.get("Content-Type", "application/json").split(";")[0],
            headers=headers,
        )
        errors = _errors(self.openapi.iter_response_errors(request, response))
        return [f"response {status} to {method} {path} ({op.operation_id}): {_explain(e)}" for e in errors]


def allow_null_in_nullable_enums(node: Any) -> Any:
    """Add `null` to the `enum` of every `nullable: true` schema, in place.

    OpenAPI 3.0.3 says `enum` must list `null` for a nullable enum to accept it, and openapi-core enforces
    that; GitHub's description does not list it, yet GitHub sends `"state_reason": null` for every open issue
    (see the recorded response in fixtures/add-labels-to-issue). The intent is nullable, so we read it so.
    """
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"].append(None)
        for value in node.values():
            allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            allow_null_in_nullable_enums(value)
    return node


def _errors(found: Iterable[Exception]) -> list[Exception]:
    return list(found)


def _explain(exc: BaseException) -> str:
    """A readable reason from an openapi-core error, with the schema errors it wraps."""
    parts = [str(exc)]
    cause: BaseException | None = exc.__cause__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts = [str(exc).split(":")[0]]
            for err in schema_errors:
                where = "/".join(str(p) for p in getattr(err, "absolute_path", []))
                parts.append(f"{where + ': ' if where else ''}{getattr(err, 'message', err)}")
            break
        if not parts[-1].endswith(str(cause)):
            parts.append(str(cause))
        cause = cause.__cause__
    return "; ".join(parts)


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Contract:
    with open(path, encoding="utf-8") as fh:
        return Contract(json.load(fh))


def load_contract(path: Path | str) -> Contract:
    """The parsed description at `path`, parsed once per process (per file version)."""
    resolved = Path(path).resolve()
    return _load(str(resolved), resolved.stat().st_mtime)
