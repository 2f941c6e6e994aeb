"""./vanguard audit keygen | verify FILE [--key PUBLIC_KEY]

`keygen` prints a new Ed25519 key pair for an instance (base64): the private key goes into the
instance's configuration, the public one to the auditors. `verify` checks an audit archive offline
and exits 0 only if every event and checkpoint holds; each problem is printed with its position."""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from shared.audit.archive import ArchiveError, read
from shared.audit.checkpoint import make_key
from shared.audit.verify import verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./vanguard audit", description="the auditors' tools")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("keygen", help="print a new Ed25519 key pair (base64): private, then public")
    checking = commands.add_parser("verify", help="verify an audit archive offline")
    checking.add_argument("file", type=Path)
    checking.add_argument("--key", help="the instance's public key you trust (base64), or a file holding it")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        private, public = make_key()
        print(f"private {private}\npublic  {public}")
        return 0
    key = args.key
    if key and Path(key).is_file():
        key = Path(key).read_text(encoding="utf-8").strip()
    started = time.perf_counter()
    gc.disable()  # a million events are read and kept: the cyclic collector would only walk them again
    try:
        archive = read(args.file)
        report = verify(archive, key)
    except (ArchiveError, ValueError) as error:
        print(f"cannot verify: {error}", file=sys.stderr)
        return 2
    finally:
        gc.enable()
    took = time.perf_counter() - started
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"FAIL position {problem.position}: {problem.kind}: {problem.message}")
    what = f"{archive.service} {archive.instance}: {report.events:,} events, {report.checkpoints:,} checkpoints"
    if report.ok:
        print(f"OK {what}, verified in {took:.2f} s")
        return 0
    print(f"FAILED {what}: {len(report.problems)} problem(s)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
