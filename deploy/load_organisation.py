"""Load the organisation registry (deploy/organisation.yaml) into the filing instances, as admin.

    python -m deploy.load_organisation --filing fgw=http://filing-fgw:8101 --filing zwb=http://filing-zwb:8101
    python -m deploy.load_organisation --url http://localhost:8101 --url http://localhost:8102

Each department goes to its own filing instance: the one named for it with --filing CODE=URL, or
else whichever of the --url instances serves it (the others answer 421 and are passed over).
Importing is idempotent (what is registered is kept), so running it again changes nothing. It acts
as admin with the token in VANGUARD_TOKEN, or else one it mints with the identity service's signing
key (VANGUARD_IDENTITY_KEY: the key's JWK or its file), the key whose public half the services trust.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer
import yaml

from shared.auth import Principal, Role, TokenIssuer
from shared.auth.development import signing_key

NOT_SERVED = 421  # shared.errors.NotServed: that instance serves other departments


class RegistryError(ValueError):
    """The registry file or the instance options are not what the loader can use."""


class LoadError(RuntimeError):
    """A filing instance refused the registry, or none serves a department."""


@dataclass(frozen=True)
class Load:
    """One department's registry entry, as POST /organisation takes it, and where to send it."""

    department: str
    payload: dict[str, Any]
    urls: tuple[str, ...]  # its own instance, or the candidates (the one that serves it takes it)

    @property
    def idempotency_key(self) -> str:
        """The same registry entry always carries the same key."""
        canonical = json.dumps(self.payload, ensure_ascii=False, sort_keys=True).encode()
        return "organisation-" + hashlib.sha256(canonical).hexdigest()[:32]


# -- the payloads, from the YAML (pure) -----------------------------------------------------------


def _text(entry: Any, key: str, where: str) -> str:
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected a mapping with '{key}', got {entry!r}")
    value = entry.get(key)
    if value is None or isinstance(value, (dict, list, bool)) or not str(value).strip():
        raise RegistryError(f"{where}: '{key}' is required (text)")
    return str(value).strip()


def _person(entry: Any, where: str) -> dict[str, str]:
    return {"id": _text(entry, "id", where), "name": _text(entry, "name", where)}


def _list(entry: dict[str, Any], key: str, where: str) -> list[Any]:
    value = entry.get(key) or []
    if not isinstance(value, list):
        raise RegistryError(f"{where}: '{key}' must be a list")
    return value


def department_payload(entry: Any, where: str = "departments[0]") -> dict[str, Any]:
    """A department as the API's Organisation schema takes it: only its fields, every id as text."""
    branches = []
    for b, branch in enumerate(_list(entry if isinstance(entry, dict) else {}, "branches", where)):
        at = f"{where}.branches[{b}]"
        branches.append(
            {
                "code": _text(branch, "code", at),
                "name": _text(branch, "name", at),
                "secretary": _person(branch.get("secretary"), f"{at}.secretary"),
                "members": [_person(m, f"{at}.members[{n}]") for n, m in enumerate(_list(branch, "members", at))],
            }
        )
    codes = [b["code"] for b in branches]
    if len(set(codes)) != len(codes):
        raise RegistryError(f"{where}: a branch code is listed twice")
    return {"code": _text(entry, "code", where), "name": _text(entry, "name", where), "branches": branches}


def parse_registry(text: str) -> list[dict[str, Any]]:
    """The departments of a registry file, each as the API takes it."""
    registry = yaml.safe_load(text)
    if not isinstance(registry, dict) or not isinstance(registry.get("departments"), list):
        raise RegistryError("the registry must be a mapping with a list of 'departments'")
    departments = [department_payload(d, f"departments[{n}]") for n, d in enumerate(registry["departments"])]
    codes = [d["code"] for d in departments]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise RegistryError(f"department {', '.join(duplicated)} is listed more than once")
    if not departments:
        raise RegistryError("the registry lists no departments")
    return departments


def parse_targets(options: list[str]) -> dict[str, str]:
    """--filing CODE=URL options as {department code: base URL}."""
    targets: dict[str, str] = {}
    for option in options:
        code, sep, url = option.partition("=")
        code, url = code.strip(), url.strip().rstrip("/")
        if not sep or not code or not url.startswith(("http://", "https://")):
            raise RegistryError(f"--filing takes CODE=URL, like fgw=http://filing-fgw:8101; not '{option}'")
        if code in targets:
            raise RegistryError(f"--filing names department '{code}' twice")
        targets[code] = url
    return targets


def plan(departments: list[dict[str, Any]], filing: dict[str, str], urls: list[str]) -> list[Load]:
    """Where each department's entry goes: its --filing instance, else every --url instance."""
    known = {d["code"] for d in departments}
    unknown = sorted(set(filing) - known)
    if unknown:
        raise RegistryError(f"--filing names {', '.join(unknown)}, which the registry does not list")
    candidates = tuple(u.rstrip("/") for u in urls)
    loads = []
    for department in departments:
        code = department["code"]
        where = (filing[code],) if code in filing else candidates
        if not where:
            raise RegistryError(f"no filing instance for department '{code}': give --filing {code}=URL or --url")
        loads.append(Load(code, {"departments": [department]}, where))
    return loads


# -- delivery --------------------------------------------------------------------------------------


def admin_token(key: str, ttl_seconds: int = 600) -> str:
    """An admin's token minted with the signing key (its JWK, or the path of its file)."""
    try:
        issuer = TokenIssuer(signing_key(key))
    except ValueError as error:
        raise LoadError(f"no admin token: {error}") from None
    return issuer.mint(Principal("organisation-loader", Role.ADMIN, name="organisation loader"), ttl_seconds)


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text


def _post(
    client: httpx.Client, url: str, load: Load, token: str, attempts: int, wait: float, sleep: Callable[[float], None]
) -> httpx.Response:
    """POST the entry, retrying while the instance is unreachable or failing (5xx)."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": load.idempotency_key}
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        try:
            response = client.post(f"{url}/organisation", json=load.payload, headers=headers)
        except httpx.TransportError as error:
            if attempt == attempts:
                raise LoadError(f"{url} did not answer: {error}") from error
        else:
            if response.status_code < 500 or attempt == attempts:
                return response
        sleep(wait)
    raise AssertionError("unreachable")


def deliver(
    client: httpx.Client,
    loads: list[Load],
    token: str,
    attempts: int = 30,
    wait: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, tuple[str, dict[str, int]]]:
    """Send each department to the instance that serves it: {code: (url, counts registered)}."""
    done: dict[str, tuple[str, dict[str, int]]] = {}
    for load in loads:
        for url in load.urls:
            response = _post(client, url, load, token, attempts, wait, sleep)
            if response.status_code == NOT_SERVED and len(load.urls) > 1:
                continue  # another candidate serves it
            if response.status_code != 200:
                raise LoadError(
                    f"{url} refused department '{load.department}': {response.status_code} {_detail(response)}"
                )
            done[load.department] = (url, response.json())
            break
        else:
            raise LoadError(f"none of {', '.join(load.urls)} serves department '{load.department}'")
    return done


app = typer.Typer(add_completion=False)


@app.command()
def main(
    file: Path = typer.Option(Path("deploy/organisation.yaml"), help="the registry to load"),
    filing: list[str] = typer.Option([], "--filing", help="CODE=URL: department CODE's filing instance (repeat)"),
    url: list[str] = typer.Option([], "--url", help="a filing instance; each takes the departments it serves"),
    token: str = typer.Option("", envvar="VANGUARD_TOKEN", help="an admin's bearer token"),
    key: str = typer.Option(
        "", envvar="VANGUARD_IDENTITY_KEY", help="else: the identity service's signing key (JWK or file) to mint one"
    ),
    attempts: int = typer.Option(30, min=1, help="tries per instance while it is unreachable or failing"),
    wait: float = typer.Option(2.0, min=0, help="seconds between tries"),
) -> None:
    """Register the registry's departments, branches, secretaries and members with filing."""
    try:
        loads = plan(parse_registry(file.read_text(encoding="utf-8")), parse_targets(filing), url)
        with httpx.Client(timeout=30) as client:
            if not token and not key:
                raise LoadError("give an admin's token (VANGUARD_TOKEN) or the signing key (VANGUARD_IDENTITY_KEY)")
            done = deliver(client, loads, token or admin_token(key), attempts, wait)
    except (OSError, RegistryError, LoadError) as error:
        typer.echo(f"organisation not loaded: {error}", err=True)
        raise typer.Exit(1) from error
    for code, (where, counts) in done.items():
        added = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        typer.echo(f"{code} → {where}: registered {added}")


if __name__ == "__main__":
    app()
