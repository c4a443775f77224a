"""The contract check: the local GitHub's requests and responses checked against GitHub's OpenAPI text."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema_path import SchemaPath
from multidict import CIMultiDict, MultiDict
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.schemas.datatypes import FormatValidatorsDict
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_core.validation.schemas.validators import SchemaValidator
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

#: openapi-core matches paths against the description's server; requests are presented as if sent there.
SPEC_HOST = "https://api.github.com"


class _CachedFormats(SchemaValidatorsFactory):
    """openapi-core's validator factory with memory: it builds each schema's validator once, and shares one
    format checker instead of deep-copying it per schema (building validators was most of a request check)."""

    _shared: Any = None

    def __init__(self, schema_validator_cls: Any) -> None:
        super().__init__(schema_validator_cls)
        self._built: dict[tuple[Any, ...], SchemaValidator] = {}

    def create(
        self,
        spec: SchemaPath,
        schema: SchemaPath,
        format_validators: FormatValidatorsDict | None = None,
        extra_format_validators: FormatValidatorsDict | None = None,
        forbid_unspecified_additional_properties: bool = False,
        enforce_properties_required: bool = False,
    ) -> SchemaValidator:
        if format_validators is not None or extra_format_validators is not None:
            return super().create(
                spec,
                schema,
                format_validators,
                extra_format_validators,
                forbid_unspecified_additional_properties,
                enforce_properties_required,
            )
        key = (schema.parts, forbid_unspecified_additional_properties, enforce_properties_required)
        built = self._built.get(key)
        if built is None:
            built = super().create(
                spec,
                schema,
                None,
                None,
                forbid_unspecified_additional_properties,
                enforce_properties_required,
            )
            self._built[key] = built
        return built

    def get_format_checker(
        self,
        format_validators: FormatValidatorsDict | None = None,
        extra_format_validators: FormatValidatorsDict | None = None,
    ) -> Any:
        if format_validators is not None or extra_format_validators is not None:
            return super().get_format_checker(format_validators, extra_format_validators)
        if self._shared is None:
            self._shared = super().get_format_checker()
        return self._shared


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
    body_fields: frozenset[str] | None  # top-level fields a JSON object body may have; None: unchecked
    doc_url: str


class Contract:
    """One parsed description (shared per file and process: parsing takes a noticeable part of a second)."""

    def __init__(self, spec: dict[str, Any], *, null_in_nullable_enums: bool = True) -> None:
        self.spec = spec
        readable = copy.deepcopy(spec)
        if null_in_nullable_enums:
            allow_null_in_nullable_enums(readable)
        drop_discriminators_over_arrays(readable)
        # openapi-core's `additional_properties_default_policy="forbid"` would also catch undeclared fields,
        # but makes each request check ~2.5x slower; the top-level check in check_request is enough here.
        self.requests = OpenAPI.from_dict(
            readable, config=Config(schema_validators_factory=_CachedFormats(OAS30WriteValidator))
        )
        # Responses: GitHub adds fields over time, so undeclared ones are fine; declared ones must fit.
        self.openapi = OpenAPI.from_dict(
            readable, config=Config(schema_validators_factory=_CachedFormats(OAS30ReadValidator))
        )
        self.operations: dict[tuple[str, str], Operation] = {}
        #: Remember verdicts (identical requests and answers recur a lot in tests); off: check from scratch.
        self.memo = True
        #: Verdicts of responses by (operation, status, body digest), of requests by what they depend on.
        self._response_results: dict[Any, tuple[str, ...]] = {}
        self._request_results: dict[Any, tuple[str, ...]] = {}
        #: Items of list answers already found valid, by (operation, status, item digest).
        self._good_items: set[tuple[str, int, bytes]] = set()
        #: Path template -> a regex whose groups are the parameters that may span segments.
        self._multi_segment: dict[str, re.Pattern[str]] = {}
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                params = map(self._resolve, op.get("parameters", []))
                multi = frozenset(p["name"] for p in params if p.get("x-multi-segment"))
                if multi:
                    self._multi_segment[path] = _template_regex(path, multi)
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
        fields: set[str] = set()
        for alt in (self._resolve(s) for s in options):
            if alt.get("type") != "object":
                continue
            if "properties" not in alt or alt.get("additionalProperties") not in (None, False):
                return None
            fields.update(alt["properties"])
        return frozenset(fields) if fields else None

    def forget(self) -> None:
        """Drop remembered verdicts (for measuring the check itself)."""
        self._response_results.clear()
        self._good_items.clear()
        self._request_results.clear()

    def spec_path(self, template: str, path: str) -> str:
        """The path as openapi-core can match it: slashes inside parameters GitHub lets span segments
        (`x-multi-segment`: a file path, `base...head` of branches with slashes) encoded as `%2F`."""
        pattern = self._multi_segment.get(template)
        match = pattern.match(path) if pattern is not None else None
        if match is None:
            return path
        out, last = [], 0
        for name in match.groupdict():
            start, end = match.span(name)
            out += [path[last:start], path[start:end].replace("/", "%2F")]
            last = end
        return "".join(out) + path[last:]

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
        """What is wrong with a request according to the description: one line naming every problem, or [].

        openapi-core checks path and query parameters and the body; objects in a body may only carry the
        fields the description declares (GitHub silently ignores others, which hides bugs such as
        `sub_issue_number` sent beside `sub_issue_id`).
        """
        op = self.operation(method, template)
        if op is None:
            return [f"{method} {template}: operation not in the description"]
        request = CheckRequest(
            method=method.lower(),
            path=self.spec_path(template, path),
            body=body or None,
            content_type=content_type or "application/json",
            parameters=RequestParameters(query=query, header=CIMultiDict(headers), cookie=CIMultiDict()),
        )
        # The verdict depends on method, path, query and body only (no operation here has header parameters).
        key = (method, path, tuple(sorted(query.items())), content_type, _digest(body))
        return self._remembered(self._request_results, key, lambda: self._request_problems(op, request))

    def _request_problems(self, op: Operation, request: CheckRequest) -> list[str]:
        problems = [_explain(exc) for exc in self.requests.iter_request_errors(request)]
        if request.body and op.body_fields is not None:
            try:
                data = json.loads(request.body)
            except ValueError:
                data = None
            unknown = sorted(set(data) - op.body_fields) if isinstance(data, dict) else []
            if unknown:
                problems.append(
                    f"Additional properties are not allowed ({', '.join(map(repr, unknown))} unexpected; "
                    f"{op.operation_id} takes {', '.join(sorted(op.body_fields))})"
                )
        where = f"{request.method.upper()} {request.path} ({op.operation_id})"
        return [f"{where}: {'; '.join(problems)}"] if problems else []

    def check_response(
        self, method: str, path: str, template: str, status: int, body: bytes, headers: CIMultiDict[str]
    ) -> list[str]:
        """What is wrong with a response according to the description (statuses it does not list are skipped:
        the description omits 401/403/5xx on most operations, though GitHub may send them)."""
        op = self.operation(method, template)
        if op is None or str(status) not in op.statuses or status == 304:
            return []
        key = (op.operation_id, status, _digest(body))
        return self._remembered(
            self._response_results,
            key,
            lambda: self._response_problems(
                op, method, self.spec_path(template, path), status, body, headers
            ),
        )

    def _response_problems(
        self, op: Operation, method: str, path: str, status: int, body: bytes, headers: CIMultiDict[str]
    ) -> list[str]:
        # A list answer: check only the items not already seen valid for this operation (lists are re-read
        # often with few changes, and each issue costs the better part of a millisecond).
        new_items: list[bytes] = []
        if body.startswith(b"["):
            items = json.loads(body)
            if isinstance(items, list):
                encoded = [json.dumps(item, separators=(",", ":")).encode() for item in items]
                seen = self._good_items
                new_items = [e for e in encoded if (op.operation_id, status, _digest(e)) not in seen]
                if not new_items:
                    return []
                body = b"[" + b",".join(new_items) + b"]"
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
        errors = list(self.openapi.iter_response_errors(request, response))
        if errors:
            reasons = "; ".join(_explain(e) for e in errors)
            return [f"response {status} to {method} {path} ({op.operation_id}): {reasons}"]
        if len(self._good_items) > 65536:
            self._good_items.clear()
        self._good_items.update((op.operation_id, status, _digest(e)) for e in new_items)
        return []

    def _remembered(
        self, results: dict[Any, tuple[str, ...]], key: Any, check: Callable[[], list[str]]
    ) -> list[str]:
        """The verdict remembered under `key`, or `check()`'s, remembered (at most 4096 kept)."""
        if not self.memo:
            self.forget()
        if key not in results:
            if len(results) > 4096:
                results.clear()
            results[key] = tuple(check())
        return list(results[key])


def _template_regex(template: str, multi: frozenset[str]) -> re.Pattern[str]:
    """A regex matching paths of a template; the parameters named in `multi` are groups that may hold `/`."""
    return re.compile(
        re.sub(
            r"\\\{(\w+)\\\}",
            lambda m: f"(?P<{m[1]}>.+)" if m[1] in multi else "[^/]+",
            re.escape(template),
        )
        + "$"
    )


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


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


def drop_discriminators_over_arrays(node: Any, root: Any = None) -> Any:
    """Remove the `discriminator` of every `oneOf` that has an array among its alternatives, in place.

    GET contents answers a directory with a JSON array and a file with an object; the description says so
    with a `oneOf` whose `discriminator` (on `type`) maps `array` to the directory schema. A discriminator
    can only read a property of an object, so openapi-core refuses every directory listing GitHub sends; the
    alternatives stay apart without it (an array, or objects with different `type` enums).
    """
    root = node if root is None else root
    if isinstance(node, dict):
        options = node.get("oneOf")
        if "discriminator" in node and isinstance(options, list):
            kinds = [_deref(root, option).get("type") for option in options]
            if "array" in kinds:
                del node["discriminator"]
        for value in node.values():
            drop_discriminators_over_arrays(value, root)
    elif isinstance(node, list):
        for value in node:
            drop_discriminators_over_arrays(value, root)
    return node


def _deref(root: Any, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


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
