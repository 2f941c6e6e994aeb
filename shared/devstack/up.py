"""./vanguard up: the whole system on one machine, on embedded defaults, until Ctrl-C.

VANGUARD_PG_DSN (a server DSN, no database) and VANGUARD_KAFKA_BOOTSTRAP point it at a real
PostgreSQL and Kafka instead of the embedded ones.
"""

from __future__ import annotations

import csv
import os
import signal
import tempfile
import time
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shared.auth import Principal, Role
from shared.devstack.broker import start_broker
from shared.devstack.postgres import start_postgres
from shared.devstack.registry_file import read_organisation
from shared.devstack.stack import Stack

console = Console()


def main(
    data: Path = typer.Option(Path(".run"), help="folder for the embedded database and logs"),
    organisation: Path = typer.Option(Path("deploy/organisation.yaml"), help="registry to load (.yaml or .csv)"),
    base_port: int = typer.Option(
        8100,
        help="filing from base+1, tasking from base+101, inspection +201, projection +300, acceptance +401,"
        " identity +501",
    ),
) -> None:
    """Start PostgreSQL, the broker, a filing instance per department, their relays and the projection."""
    data = prepare_data_folder(data)
    stoppers = []
    pg_dsn = os.environ.get("VANGUARD_PG_DSN")
    if not pg_dsn:
        cluster = start_postgres(data / "postgres")
        stoppers.append(cluster.stop)
        pg_dsn = cluster.dsn
    bootstrap = os.environ.get("VANGUARD_KAFKA_BOOTSTRAP")
    if not bootstrap:
        broker = start_broker(Path(tempfile.mkdtemp(prefix="vanguard-broker-")))
        stoppers.append(broker.stop)
        bootstrap = broker.bootstrap
    stack = Stack(data / "logs", pg_dsn, bootstrap, keys_folder=data / "keys", identity_port=base_port + 501)
    registry = read_organisation(organisation)
    try:
        identity = stack.identity()
        for process in identity:
            process.start()
        instances = []
        for n, department in enumerate(registry["departments"], start=1):
            code = department["code"]
            filing = stack.filing(code, code, port=base_port + n)
            tasking = stack.tasking(code, code, port=base_port + 100 + n)
            instances.append((department, filing[0], tasking[0]))
            for process in (*filing, *tasking):
                process.start()
        inspection = stack.inspection(port=base_port + 201)
        for process in inspection:
            process.start()
        projection = stack.projection(port=base_port + 300).start()  # 8400
        acceptance = stack.acceptance(
            port=base_port + 401,
            projection_url=stack.url(projection),
            organisers=os.environ.get("VANGUARD_ORGANISERS", ""),
        )
        for process in acceptance:
            process.start()
        admin = {"Authorization": f"Bearer {stack.issuer().mint(Principal('admin', Role.ADMIN))}"}
        for department, filing_api, _ in instances:
            httpx.post(
                f"{stack.url(filing_api)}/organisation", json={"departments": [department]}, headers=admin, timeout=30
            ).raise_for_status()
        codes = import_accounts(stack.identity_url(), registry, admin, data / "one-time-codes.csv")
        rows = [("identity 账号与登录 (sign-in, JWKS)", stack.identity_url())]
        for department, filing_api, tasking_api in instances:
            where = f"{department['name']} ({department['code']})"
            rows.append((f"filing 党委出题·支部立项 · {where}", stack.url(filing_api)))
            rows.append((f"tasking 任务到人 · {where}", stack.url(tasking_api)))
        rows.append(("inspection 节点督查 (all departments)", stack.url(inspection[0])))
        rows.append(("projection (overviews, audit trails, public pages)", stack.url(projection)))
        rows.append(("acceptance 公开验收 (all departments; public pages need no token)", stack.url(acceptance[0])))
        rows.append(("PostgreSQL", pg_dsn))
        rows.append(("Kafka", bootstrap))
        stack.stack_file().write(data / "stack.json")  # for ./vanguard audit export | verify --live | replay
        console.print(urls_table(rows))
        console.print(
            f"Accounts: {codes} people of the registry, one-time codes in {data / 'one-time-codes.csv'}"
            " (sign in at POST /sign-in); or mint: ./vanguard token --role committee --department fgw"
        )
        stop = False

        def request_stop(*_: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        while not stop:
            for process in stack.processes:
                if not process.running:
                    console.print(f"[yellow]{process.name} exited; restarting (log: {process.log_path})")
                    process.start(wait=False)
            time.sleep(1)
    finally:
        console.print("stopping…")
        stack.stop()
        for stopper in reversed(stoppers):
            stopper()


def import_accounts(url: str, registry: dict[str, object], admin: dict[str, str], codes: Path) -> int:
    """An account for every secretary and member of the registry, their one-time codes written to
    `codes` (readable by its owner only). Accounts made before are kept as they are."""
    response = httpx.post(f"{url}/accounts/import", json=registry, headers=admin, timeout=60)
    response.raise_for_status()
    created = response.json()["created"]
    if created:
        new = not codes.exists()
        codes.touch(mode=0o600)
        with codes.open("a", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            if new:
                writer.writerow(["account", "name", "one_time_code", "expires_at"])
            for person in created:
                writer.writerow([person["account"], person["name"], person["one_time_code"], person["code_expires_at"]])
    return len(created) + len(response.json()["known"])


def prepare_data_folder(data: Path) -> Path:
    """The folder, made if missing, with a .gitignore of its own: whatever folder `--data` names,
    its database and logs never end up in a commit."""
    data = data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    ignore = data / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# made by ./vanguard up: nothing here belongs in git\n*\n")
    return data


def urls_table(rows: list[tuple[str, str]]) -> Table:
    """What runs where; long values (a DSN) fold onto more lines instead of being cut off."""
    table = Table(title="Vanguard 一支部一项目 is up (Ctrl-C stops everything)")
    table.add_column("service", overflow="fold")
    table.add_column("URL (OpenAPI docs at /docs)", overflow="fold")
    for service, url in rows:
        table.add_row(service, url)
    return table


if __name__ == "__main__":
    typer.run(main)
