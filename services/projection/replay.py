"""./vanguard audit replay: rebuild every read model into a fresh database from the services' own
event stores (not from Kafka), then compare it with the live projection, table by table.

    python -m services.projection.replay [--stack .run/stack.json] [--instance filing/fgw ...]
        [--store filing/fgw=postgresql://... ...] [--live postgresql://...] [--into NAME] [--drop]

The stores are the stack file's instances (or those given with --store); live is the stack file's
projection (or --live). The replay goes into --into (a database name on the live projection's
server, or a full DSN), by default a new replay_<timestamp>; never into a database holding anything.
Events are merged across stores by when they were recorded, then position (replay_sources), and
applied as the projection's consumer would (replay_apply): two replays of the same stores are
identical. Prints, per read model, its rows live and replayed, their checksums and whether they
are equal, and the first rows that differ. Exit codes: 0 all equal, 1 some differ, 2 the replay
could not be carried out (the message says why).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.progress import Progress

from services.projection.replay_compare import TableCheck
from services.projection.replay_run import BATCH, Replayed, check, open_stores, replay_into
from services.projection.replay_sources import SERVICES, ReplayError, Store, connect, masked
from services.projection.replay_target import check_into, drop, prepare_target
from shared.audit.progress import progress_bar
from shared.audit.stackfile import DEFAULT, StackFileError, load

err = Console(stderr=True)


def _stores(args: argparse.Namespace) -> tuple[list[Store], str]:
    """The stores to replay and live's DSN, from the command line and (where needed) the stack file."""
    stores: list[Store] = []
    for value in args.store or []:
        name, eq, dsn = value.partition("=")
        service, slash, instance = name.partition("/")
        if not eq or not slash or not service or not instance or not dsn:
            raise ReplayError(f"--store {value!r}: write it SERVICE/INSTANCE=DSN, e.g. filing/fgw=postgresql://…/db")
        stores.append(Store(service, instance, dsn))
    live = args.live or ""
    if not stores or not live:
        stack = load(args.stack)
        if not stores:
            # The projection's own store (its assessment ledger) is listed too: the read models are not made from it.
            sources = [i for i in stack.instances if i.service in SERVICES]
            missing = [i.name for i in sources if not i.dsn]
            if missing:
                raise StackFileError(f"{args.stack}: no dsn for {', '.join(missing)} (or pass --store)")
            stores = [Store(i.service, i.instance, i.dsn) for i in sources]
        live = live or stack.projection_dsn
        if not live:
            raise StackFileError(f"{args.stack}: no projection dsn (or pass --live)")
    if args.instance:
        known = {s.name: s for s in stores}
        unknown = [name for name in args.instance if name not in known]
        if unknown:
            raise ReplayError(f"no instance {', '.join(unknown)} to replay (known: {', '.join(known) or 'none'})")
        stores = [known[name] for name in dict.fromkeys(args.instance)]
    for store in stores:
        if store.service not in SERVICES:
            raise ReplayError(f"{store.name}: unknown service {store.service!r} (one of {', '.join(SERVICES)})")
    names = [s.name for s in stores]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ReplayError(f"{', '.join(twice)} given twice")
    if not stores:
        raise ReplayError("no store to replay")
    return stores, live


def _progress() -> Progress:
    return progress_bar(err)


def _print_replay(r: Replayed) -> None:
    print(
        f"replayed {r.events:,} events from {len(r.stores)} store(s) in {r.seconds:.1f} s "
        f"({r.rate:,.0f} events/s) into {masked(r.dsn)}"
    )
    for store, events, horizon in r.stores:
        print(f"  {store.name}: {events:,} events up to position {horizon:,}")
    c = r.counts
    print(
        f"  {c.fast:,} applied in {c.runs:,} transaction(s), {c.careful:,} through the inbox one by one; "
        f"{r.waiting:,} waiting, {r.dead_letters:,} dead letter(s)"
    )
    for s in r.skipped[:5]:
        print(f"  left out, as live left it out: {s.store} position {s.position}: {s.reason}")
    if len(r.skipped) > 5:
        print(f"  ... and {len(r.skipped) - 5:,} more left out")


def _print_checks(checks: list[TableCheck]) -> None:
    header = ("read model", "rows live", "rows replayed", "checksum live", "checksum replayed", "equal")
    rows = [
        (c.table, f"{c.live_rows:,}", f"{c.replayed_rows:,}", c.live_checksum, c.replayed_checksum, _yes(c.equal))
        for c in checks
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print()
    for line in (header, *rows):
        print(
            "  ".join(
                v.ljust(w) if i in (0, 3, 4) else v.rjust(w) for i, (v, w) in enumerate(zip(line, widths, strict=True))
            )
        )
    for c in checks:
        if c.equal:
            continue
        print(f"\n{c.table}: {c.problem or f'{c.differing:,} row(s) differ'}")
        for difference in c.differences:
            print(f"  {difference.describe()}")
        if c.differing > len(c.differences):
            print(f"  ... and {c.differing - len(c.differences):,} more")
    unequal = [c.table for c in checks if not c.equal]
    print()
    print(f"all {len(checks)} read models are equal" if not unequal else f"NOT equal: {', '.join(unequal)}")


def _yes(value: bool) -> str:
    return "yes" if value else "NO"


async def _main(args: argparse.Namespace) -> int:
    stores, live = _stores(args)
    live_conn = await connect(live, "the live projection")  # fail early, before any work
    await live_conn.close()
    readers = await open_stores(stores)
    try:
        dsn, created = await prepare_target(live, args.into)
    except BaseException:
        await asyncio.gather(*(r.close() for r in readers), return_exceptions=True)
        raise
    try:
        with _progress() as bar:
            task = bar.add_task("replaying", total=sum(r.events for r in readers))
            replayed = await replay_into(
                readers, dsn, args.batch, lambda done, total: bar.update(task, completed=done, total=total)
            )
        _print_replay(replayed)
        checks = await check(live, dsn)
    except BaseException:
        if created:
            await asyncio.shield(drop(dsn))
            print(f"(the unfinished replay database {masked(dsn)} was dropped)", file=sys.stderr)
        raise
    _print_checks(checks)
    if args.drop:
        await drop(dsn)
        print(f"(dropped {masked(dsn)})")
    return 0 if all(c.equal for c in checks) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./vanguard audit replay",
        description="rebuild every read model from the services' own event stores and compare it with live",
    )
    parser.add_argument("--stack", type=Path, default=DEFAULT, help=f"the stack file (default {DEFAULT})")
    parser.add_argument("--instance", action="append", help="replay only this SERVICE/INSTANCE (repeatable)")
    parser.add_argument("--store", action="append", help="a store SERVICE/INSTANCE=DSN instead of the stack file's")
    parser.add_argument("--live", help="the live projection's DSN (default: the stack file's)")
    parser.add_argument("--into", help="a database name (or DSN) to replay into (default: a new replay_<timestamp>)")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"events per transaction (default {BATCH})")
    parser.add_argument("--drop", action="store_true", help="drop the replayed database after comparing")
    args = parser.parse_args(argv)
    try:
        if args.batch < 1:
            raise ReplayError("--batch must be at least 1")
        check_into(args.into)
        return asyncio.run(_main(args))
    except (ReplayError, StackFileError) as error:
        print(f"cannot replay: {error}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        print(f"replay failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("replay interrupted", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
