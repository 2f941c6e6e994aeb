"""./vanguard audit keygen | export | verify FILE | verify --live | replay

`keygen` prints a new Ed25519 key pair for an instance (base64): the private key goes into the
instance's configuration (VANGUARD_AUDIT_KEY: the key or a file holding it), the public one to the
auditors (the stack file, or their own records). `export` fetches an instance's events and
checkpoints into one archive file; `verify FILE` checks an archive offline and exits 0 only if
every event and checkpoint holds, printing each problem with its position; `verify --live` checks
every running store against its signed checkpoints (the stores' own and the projection's copy).
Exit codes: 0 all holds, 1 a problem was found, 2 the command could not be carried out."""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from shared.audit.archive import Archive, ArchiveError, read, write
from shared.audit.checkpoint import make_key
from shared.audit.fetch import FetchError, auditor_token, fetch_archive
from shared.audit.progress import progress_bar
from shared.audit.stackfile import DEFAULT, Instance, StackFileError, load
from shared.audit.verify import Report, verify

err = Console(stderr=True)


def _keys(values: list[str] | None) -> list[str]:
    """Keys given on the command line, each the key itself or a file of keys (one per line)."""
    keys: list[str] = []
    for value in values or []:
        path = Path(value)
        if path.is_file():
            keys += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        else:
            keys.append(value.strip())
    return keys


def _progress() -> Progress:
    return progress_bar(err)


def _fetch(target: Instance, token: str, projection_url: str = "") -> Archive:
    with _progress() as bar:
        task = bar.add_task(f"{target.name} events", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return fetch_archive(
            target.service,
            target.instance,
            target.url,
            token,
            public_key=target.public_key,
            projection_url=projection_url,
            progress=advance,
        )


def _print(name: str, report: Report, took: float) -> None:
    """The verdict first, then what it rests on: each problem with its position, and the notes."""
    what = f"{name}: {report.events:,} events, {report.checkpoints:,} checkpoints"
    if report.ok:
        print(f"OK {what}, verified in {took:.2f} s")
    else:
        print(f"FAILED {what}: {len(report.problems)} problem(s)")
    for problem in report.problems:
        print(f"  FAIL position {problem.position}: {problem.kind}: {problem.message}")
    for note in report.notes:
        print(f"  note: {note}")


def export(args: argparse.Namespace) -> int:
    if args.url:
        target = Instance(args.service, args.instance, args.url.rstrip("/"), public_key=(_keys(args.key) or [""])[-1])
    else:
        target = load(args.stack).find(args.service, args.instance)
    out: Path = args.out
    if out.is_dir():
        raise StackFileError(f"--out {out} is a folder; name the archive file, e.g. {out / 'fgw.vgaudit'}")
    if not out.parent.is_dir():
        raise StackFileError(f"--out {out}: no folder {out.parent}")
    archive = _fetch(target, auditor_token(args.token))
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, delete=False, suffix=".part") as f:
        write(f, archive)
    Path(f.name).replace(out)
    print(f"exported {target.name}: {len(archive.links):,} events, {len(archive.checkpoints):,} checkpoints to {out}")
    return 0


def verify_live(args: argparse.Namespace) -> int:
    stack = load(args.stack)
    targets = [
        i
        for i in stack.instances
        if (args.service is None or i.service == args.service)
        and (args.instance is None or i.instance == args.instance)
    ]
    if not targets:
        raise StackFileError(f"no instance in {args.stack} matches --service {args.service} --instance {args.instance}")
    token, failed = auditor_token(args.token), 0
    for target in targets:
        started = time.perf_counter()
        archive = _fetch(target, token, stack.projection_url)
        trusted = _keys(args.key) or ([target.public_key] if target.public_key else [])
        report = verify(archive, trusted)
        if not archive.checkpoints and archive.links:
            report.notes.append("no checkpoint yet: nothing vouches for these events (is the relay's key set?)")
        _print(target.name, report, time.perf_counter() - started)
        failed += not report.ok
    return 1 if failed else 0


def verify_file(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    gc.disable()  # a million events are read and kept: the cyclic collector would only walk them again
    try:
        archive = read(args.file)
        report = verify(archive, _keys(args.key))
    finally:
        gc.enable()
    _print(f"{archive.service} {archive.instance}", report, time.perf_counter() - started)
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./vanguard audit", description="the auditors' tools")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("keygen", help="print a new Ed25519 key pair (base64): private, then public")
    key_help = "a public key you trust (base64), or a file of them; repeat for keys before and after a rotation"
    exporting = commands.add_parser("export", help="fetch an instance's events and checkpoints into one file")
    exporting.add_argument("--service", required=True, help="filing, tasking, inspection or acceptance")
    exporting.add_argument("--instance", required=True, help="the instance's name, e.g. fgw")
    exporting.add_argument("--out", required=True, type=Path, help="the archive to write, e.g. fgw.vgaudit")
    exporting.add_argument("--url", help="the instance's URL (default: from the stack file)")
    exporting.add_argument("--key", action="append", help=key_help + " (recorded in the archive's header)")
    checking = commands.add_parser("verify", help="verify an archive offline, or every running store (--live)")
    checking.add_argument("file", type=Path, nargs="?", help="the archive (.vgaudit)")
    checking.add_argument("--live", action="store_true", help="check the running stores listed in the stack file")
    checking.add_argument("--service", help="--live: only this service's instances")
    checking.add_argument("--instance", help="--live: only this instance")
    checking.add_argument("--key", action="append", help=key_help)
    for command in (exporting, checking):
        command.add_argument("--stack", type=Path, default=DEFAULT, help=f"the stack file (default {DEFAULT})")
        command.add_argument("--token", help="an auditor's token (default: $VANGUARD_TOKEN, else minted locally)")
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            private, public = make_key()
            print(f"private {private}\npublic  {public}")
            return 0
        if args.command == "export":
            return export(args)
        if args.live:
            if args.file is not None:
                parser.error("verify takes a FILE or --live, not both")
            return verify_live(args)
        if args.file is None:
            parser.error("verify needs a FILE (an archive from ./vanguard audit export) or --live")
        return verify_file(args)
    except (ArchiveError, StackFileError, FetchError, ValueError, OSError) as error:
        print(f"cannot {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
