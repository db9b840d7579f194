"""An OpenAPI 3 document → the operations a run can call, checked once, at registration.

Only what calls need is kept: for each operation its parameters (path, query and header;
cookies are not sent) and its JSON request body, every `$ref` resolved in place. Only
local references (`#/...`) resolve; a schema that refers to itself is cut where it would
repeat (an object of any shape). An operation whose required body is not JSON cannot be
called by a tool and is left out. Anything that makes the document unusable is an
`InvalidInput` naming what is wrong and where (a JSON pointer into the document).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import yaml

from kasal.core.errors import InvalidInput
from kasal.engine.openapi_spec import BODY_ARG, OpenApiOperation, OpenApiParameter

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
LOCATIONS = ("path", "query", "header")
MAX_NODES = 500_000  # of the resolved operations: a bound on alias and reference bombs
NAME_LENGTH = 64
_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_NOT_ARG = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    version: str
    server_url: str | None  # the first server's URL, variables filled with their defaults
    operations: list[OpenApiOperation]


def invalid(message: str, pointer: str = "") -> InvalidInput:
    details = [{"pointer": pointer}] if pointer else []
    where = f" (at {pointer})" if pointer else ""
    return InvalidInput("openapi_document_invalid", f"{message}{where}", details)


def load(text: str) -> Any:
    """A document sent or fetched as text: JSON, or YAML (which JSON mostly is)."""
    if "\x00" in text:
        raise invalid("The document holds a NUL character.")
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return yaml.load(text, Loader=_JsonLikeLoader)  # noqa: S506 (a SafeLoader)
    except (ValueError, yaml.YAMLError) as exc:
        raise invalid(f"The document is neither JSON nor YAML: {_first_line(exc)}") from None
    except RecursionError:
        raise invalid("The document is nested too deeply.") from None


class _JsonLikeLoader(yaml.SafeLoader):
    """YAML as JSON would read it: a date stays text (as `example: 2024-01-01` means it)."""

    yaml_implicit_resolvers = {  # noqa: RUF012 (PyYAML's own class attribute)
        first: [(tag, pattern) for tag, pattern in resolvers if not tag.endswith(":timestamp")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def parse(document: Any) -> ParsedDocument:
    try:
        return _parse(document)
    except RecursionError:
        raise invalid("The document's schemas are nested too deeply.") from None


def _parse(document: Any) -> ParsedDocument:
    if not isinstance(document, dict):
        raise invalid("The document is not a JSON or YAML object.")
    _check_version(document)
    resolver = _Resolver(document)
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise invalid("The document has no `paths` object.", "/paths")
    operations = _unique_names(list(_operations(paths, resolver)))
    if not operations:
        raise invalid("The document has no operation a tool can call.", "/paths")
    info = _object(document.get("info"))
    return ParsedDocument(
        title=str(info.get("title") or "")[:300],
        version=str(info.get("version") or "")[:100],
        server_url=_server_url(document.get("servers")),
        operations=operations,
    )


def _check_version(document: dict[str, Any]) -> None:
    version = document.get("openapi")
    if isinstance(version, str) and version.startswith("3."):
        return
    if "swagger" in document:
        raise invalid(
            "This is a Swagger 2.0 document; Kasal reads OpenAPI 3 (convert it first, "
            "e.g. with swagger2openapi).",
            "/swagger",
        )
    raise invalid("Not an OpenAPI 3 document: `openapi` must be a version such as 3.1.0.")


def _operations(paths: dict[str, Any], resolver: _Resolver) -> Iterator[OpenApiOperation]:
    for path, raw_item in paths.items():
        where = f"/paths/{_escape(str(path))}"
        if not str(path).startswith("/"):
            raise invalid(f"The path {path!r} does not start with '/'.", where)
        item = resolver.node(raw_item, where)
        if not isinstance(item, dict):
            raise invalid("A path item must be an object.", where)
        shared = item.get("parameters", [])
        for method in METHODS:
            if isinstance(item.get(method), dict):
                operation = _Operation(resolver, str(path), method, where)
                built = operation.build(item[method], shared)
                if built is not None:
                    yield built


class _Operation:
    """One operation of the document being read, with where it is for error messages."""

    def __init__(self, resolver: _Resolver, path: str, method: str, item_where: str) -> None:
        self.resolver = resolver
        self.path = path
        self.method = method
        self.item_where = item_where
        self.where = f"{item_where}/{method}"

    def build(self, raw: dict[str, Any], shared: Any) -> OpenApiOperation | None:
        body = self._body(raw.get("requestBody"))
        if body is None:
            return None
        body_schema, body_required = body
        parameters = self._parameters(shared, f"{self.item_where}/parameters") | self._parameters(
            raw.get("parameters", []), f"{self.where}/parameters"
        )
        taken = {BODY_ARG} if body_schema is not None else set()
        return OpenApiOperation(
            name=_name(str(raw.get("operationId") or _slug(self.method, self.path))),
            method=self.method.upper(),
            path=self.path,
            summary=str(raw.get("summary") or "")[:1000],
            description=str(raw.get("description") or "")[:4000],
            parameters=[_with_arg(p, taken) for p in parameters.values()],
            body_schema=body_schema,
            body_required=body_required,
        )

    def _parameters(self, raw: Any, where: str) -> dict[tuple[str, str], OpenApiParameter]:
        """By (location, name): the operation's own replace the path item's shared ones."""
        if not isinstance(raw, list):
            raise invalid("`parameters` must be a list.", where)
        found: dict[tuple[str, str], OpenApiParameter] = {}
        for index, entry in enumerate(raw):
            parameter = self.resolver.node(entry, f"{where}/{index}")
            if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
                raise invalid("A parameter must be an object with a `name`.", f"{where}/{index}")
            location = parameter.get("in")
            if location == "cookie":
                continue
            if location not in LOCATIONS:
                raise invalid(f"Unknown parameter location {location!r}.", f"{where}/{index}")
            found[(location, parameter["name"])] = OpenApiParameter(
                name=parameter["name"],
                arg=parameter["name"],  # made unique and safe in `_with_arg`
                location=location,
                required=location == "path" or parameter.get("required") is True,
                description=str(parameter.get("description") or "")[:2000],
                json_schema=self._schema(parameter, f"{where}/{index}"),
            )
        return found

    def _schema(self, holder: dict[str, Any], where: str) -> dict[str, Any]:
        """A parameter's `schema`, or the schema of its first `content` entry."""
        if "schema" in holder:
            schema = self.resolver.resolve(holder["schema"], f"{where}/schema")
        else:
            content = holder.get("content")
            first = _object(next(iter(_object(content).values()), None))
            schema = self.resolver.resolve(first.get("schema", {}), f"{where}/content")
        return schema if isinstance(schema, dict) else {}

    def _body(self, raw: Any) -> tuple[dict[str, Any] | None, bool] | None:
        """(JSON schema, required) of the body; (None, False) without one; None when the
        body is required but not JSON, so a tool cannot send it."""
        if raw is None:
            return None, False
        where = f"{self.where}/requestBody"
        body = self.resolver.node(raw, where)
        if not isinstance(body, dict):
            raise invalid("`requestBody` must be an object.", where)
        content = _object(body.get("content"))
        required = body.get("required") is True
        for media_type, entry in content.items():
            if _is_json(str(media_type)) and isinstance(entry, dict):
                place = f"{where}/content/{_escape(str(media_type))}/schema"
                schema = self.resolver.resolve(entry.get("schema", {}), place)
                return (schema if isinstance(schema, dict) else {}), required
        return None if required else (None, False)


class _Resolver:
    """Inlines local `$ref`s, counting the nodes it builds (YAML aliases and references can
    make a small document expand without bound)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.nodes = 0

    def node(self, value: Any, where: str) -> Any:
        """`value`, or what it refers to when it is a reference (one level, then checked)."""
        seen: set[str] = set()
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if ref in seen:
                raise invalid(f"The reference {ref!r} refers to itself.", where)
            seen.add(ref)
            value = self._target(ref, where)
        return value

    def resolve(self, value: Any, where: str, trail: tuple[str, ...] = ()) -> Any:
        """`value` with every reference inside it replaced by its target, recursively."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise invalid("The document's schemas are too large once references are resolved.")
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                if ref in trail:  # a recursive schema: cut the loop
                    return {"type": "object", "description": f"(recursive: {ref})"}
                return self.resolve(self._target(ref, where), where, (*trail, ref))
            return {
                str(k): self.resolve(v, f"{where}/{_escape(str(k))}", trail)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.resolve(v, f"{where}/{i}", trail) for i, v in enumerate(value)]
        return _json_leaf(value)

    def _target(self, ref: str, where: str) -> Any:
        if not ref.startswith("#"):
            raise invalid(
                f"Unresolvable $ref {ref!r}: only references within the document are read.", where
            )
        node: Any = self.document
        for part in ref[1:].split("/")[1:]:
            key = unquote(part).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise invalid(f"Unresolvable $ref {ref!r}: the document has nothing there.", where)
        return node


def _json_leaf(value: Any) -> Any:
    """A value JSON (and so the database) can hold: YAML's other scalars become text."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return str(value)


def _object(value: Any) -> dict[str, Any]:
    """`value` if it is an object, else an empty one: for the parts that are optional."""
    return value if isinstance(value, dict) else {}


def _server_url(servers: Any) -> str | None:
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return None
    url = servers[0].get("url")
    if not isinstance(url, str):
        return None
    variables = servers[0].get("variables")
    for name, variable in _object(variables).items():
        if isinstance(variable, dict) and "default" in variable:
            url = url.replace(f"{{{name}}}", str(variable["default"]))
    return url


def _unique_names(operations: list[OpenApiOperation]) -> list[OpenApiOperation]:
    """Two operations may not share a tool name: later ones get `_2`, `_3`..."""
    taken: set[str] = set()
    unique = []
    for operation in operations:
        name, count = operation.name, 1
        while name in taken:
            count += 1
            suffix = f"_{count}"
            name = f"{operation.name[: NAME_LENGTH - len(suffix)]}{suffix}"
        taken.add(name)
        unique.append(operation.model_copy(update={"name": name}))
    return unique


def _with_arg(parameter: OpenApiParameter, taken: set[str]) -> OpenApiParameter:
    """The parameter with an argument name that is an identifier and not yet taken."""
    arg = _NOT_ARG.sub("_", parameter.name).strip("_") or "param"
    if arg[0].isdigit():
        arg = f"p_{arg}"
    if arg in taken:
        arg = f"{arg}_{parameter.location}"
    while arg in taken:
        arg = f"{arg}_"
    taken.add(arg)
    return parameter.model_copy(update={"arg": arg})


def _name(raw: str) -> str:
    return _NOT_NAME.sub("_", raw).strip("_-")[:NAME_LENGTH] or "operation"


def _slug(method: str, path: str) -> str:
    """The name of an operation without an operationId: `GET /pets/{id}` → `get_pets_id`."""
    return "_".join([method, *re.findall(r"[A-Za-z0-9]+", path)])


def _is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
