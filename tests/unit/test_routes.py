"""Request-level parameters (FromRequest): computed up front, in order, documented by the marker."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.api.routes import FromRequest, service_router

calls: list[str] = []


def caller(request: Request) -> str:
    calls.append("caller")
    name = request.headers.get("x-caller")
    if name is None:
        raise HTTPException(401, "who are you?")
    return name


def tenant(request: Request) -> str:
    calls.append("tenant")
    return request.headers.get("x-tenant", "none")


Caller = Annotated[str, FromRequest(caller, {"security": [{"bearer": []}]})]
Tenant = Annotated[
    str, FromRequest(tenant, {"parameters": [{"name": "x-tenant", "in": "header", "schema": {"type": "string"}}]})
]


class Body(BaseModel):
    count: int


router = service_router()


@router.post("/sync/{item}")
def sync_endpoint(item: str, body: Body, who: Caller, where: Tenant) -> dict[str, object]:
    return {"item": item, "count": body.count, "who": who, "where": where}


@router.post("/async")
async def async_endpoint(request: Request, body: Body, where: Tenant, who: Caller) -> dict[str, object]:
    return {"path": request.url.path, "count": body.count, "who": who, "where": where}


app = FastAPI()
app.include_router(router)
client = TestClient(app)


def test_marked_parameters_reach_sync_and_async_endpoints() -> None:
    headers = {"x-caller": "zhang-san", "x-tenant": "fgw"}
    answer = client.post("/sync/a1", json={"count": 2}, headers=headers)
    assert answer.json() == {"item": "a1", "count": 2, "who": "zhang-san", "where": "fgw"}
    answer = client.post("/async", json={"count": 3}, headers=headers)
    assert answer.json() == {"path": "/async", "count": 3, "who": "zhang-san", "where": "fgw"}


def test_they_are_computed_in_declaration_order_before_the_body_is_validated() -> None:
    calls.clear()
    answer = client.post("/sync/a1", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 401  # not 422: an unknown caller learns nothing about the body
    assert calls == ["caller"]
    calls.clear()
    client.post("/async", json={"count": 1}, headers={"x-caller": "li-si"})
    assert calls == ["tenant", "caller"]


def test_the_marker_documents_them_and_fastapi_does_not_see_them() -> None:
    operation = client.get("/openapi.json").json()["paths"]["/sync/{item}"]["post"]
    assert operation["security"] == [{"bearer": []}]
    assert [p["name"] for p in operation["parameters"]] == ["item", "x-tenant"]
