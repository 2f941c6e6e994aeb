"""A test client that holds every answer to the service's own OpenAPI document: the status must be
declared for the operation, the content type too, and a JSON body must validate against the
declared schema (JSON Schema 2020-12, formats checked, refs into the document's components)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema_rs
from fastapi.testclient import TestClient

JSON_TYPES = ("application/json", "application/problem+json")
SHELL: frozenset[tuple[str, str]] = frozenset()  # operations allowed an untyped answer: none


class Contract:
    def __init__(self, client: TestClient, untyped: frozenset[tuple[str, str]] = SHELL) -> None:
        self.client = client
        self.untyped = untyped  # operations whose success is allowed to be a bare JSON object
        self.document: dict[str, Any] = client.app.openapi()  # type: ignore[attr-defined]
        self.answered: set[tuple[str, str]] = set()  # (method, path template) checked against a 2xx

    def operations(self) -> set[tuple[str, str]]:
        """Every documented operation answering JSON on success."""
        return {
            (method, path)
            for path, item in self.document["paths"].items()
            for method, operation in item.items()
            if any(t in JSON_TYPES for t in _success(operation).get("content", {}))
        }

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, url, **kwargs)
        self.check(method.lower(), response)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def check(self, method: str, response: httpx.Response) -> None:
        template = self._template(method, response.request.url.path)
        operation = self.document["paths"][template][method]
        status = str(response.status_code)
        where = f"{method.upper()} {template} answered {status}"
        assert status in operation["responses"], f"{where}, which its document does not declare: {response.text}"
        content = operation["responses"][status].get("content", {})
        media_type = response.headers.get("content-type", "").split(";")[0]
        assert media_type in content, f"{where} as {media_type}; its document says {sorted(content)}"
        if media_type in JSON_TYPES:
            schema = {**content[media_type]["schema"], "components": self.document["components"]}
            errors = [
                str(e) for e in jsonschema_rs.validator_for(schema, validate_formats=True).iter_errors(response.json())
            ]
            assert not errors, f"{where} with a body its document does not describe: {errors[:5]}"
        if status.startswith("2") and media_type in JSON_TYPES and (method, template) not in self.untyped:
            assert self._named(content[media_type]["schema"]), f"{where} with a body its document leaves untyped"
        if status.startswith("2"):
            self.answered.add((method, template))

    def _named(self, schema: dict[str, Any]) -> bool:
        """A model with declared fields, or a list of one."""
        schema = schema.get("items", {}) if schema.get("type") == "array" else schema
        ref = schema.get("$ref", "")
        return bool(ref) and bool(self.document["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("properties"))

    def _template(self, method: str, path: str) -> str:
        """The documented path the request went to; of several that match, the most literal one
        (/casebook/2026.html is /casebook/{year}.html, not /casebook/{year})."""
        found = [
            template
            for template, item in self.document["paths"].items()
            if method in item and re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path)
        ]
        assert found, f"no documented operation answers {method.upper()} {path}"
        return max(found, key=lambda t: len(re.sub(r"\{[^}]+\}", "", t)))


def _success(operation: dict[str, Any]) -> dict[str, Any]:
    return next((r for status, r in operation["responses"].items() if status.startswith("2")), {})
