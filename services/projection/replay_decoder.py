"""A large store decoded in a process of its own, beside the replay's: decoding is about half of
what a replay does in Python, and a process runs on one core.

`python -m services.projection.replay_decoder` is that process: the same StoreReader, told on its
standard input which store to read and up to which horizon (the replay's), writing each decoded
page to its standard output, pickled and prefixed with its length, in order; an empty frame ends
the store. The pipe's own buffer keeps it at most a page or so ahead. It says so if it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import pickle
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from services.projection.replay_sources import Item, ReplayError, Store, StoreReader

ELSEWHERE_FROM = 50_000  # events in a store: below this, a process of its own costs more than it saves
ROOT = Path(__file__).resolve().parents[2]
_LENGTH = struct.Struct(">Q")


async def decoded_elsewhere(reader: StoreReader) -> AsyncIterator[list[Item]]:
    """The reader's decoded pages, decoded by a worker process; its skipped events added to the reader's."""
    s = reader.store
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.projection.replay_decoder",
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    told = {"service": s.service, "instance": s.instance, "dsn": s.dsn, "index": reader.index}
    process.stdin.write(json.dumps({**told, "horizon": reader.horizon, "page": reader.page}).encode())
    process.stdin.close()  # the DSN goes through the pipe, not the command line (no password in `ps`)
    try:
        while True:
            try:
                (length,) = _LENGTH.unpack(await process.stdout.readexactly(_LENGTH.size))
                data = await process.stdout.readexactly(length) if length else b""
            except asyncio.IncompleteReadError:
                said = (await process.stderr.read()).decode(errors="replace").strip().splitlines()
                raise ReplayError(f"{s.name}: its decoding process stopped: {said[-1] if said else '?'}") from None
            if not data:
                return
            page, skipped, failure = pickle.loads(data)
            if failure:
                raise ReplayError(failure)
            reader.skipped.extend(skipped)
            yield page
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()


async def _work(told: dict[str, object], out: BinaryIO) -> None:
    store = Store(str(told["service"]), str(told["instance"]), str(told["dsn"]))
    reader = StoreReader(store, int(told["index"]), int(told["page"]))  # type: ignore[call-overload]

    def send(frame: bytes) -> None:
        out.write(_LENGTH.pack(len(frame)) + frame)
        out.flush()

    try:
        await reader.open(int(told["horizon"]))  # type: ignore[call-overload]
        async for rows in reader.raw_pages():
            send(pickle.dumps((reader.decode(rows), reader.skipped, ""), protocol=pickle.HIGHEST_PROTOCOL))
            reader.skipped = []
        send(b"")
    except Exception as error:
        failure = str(error) if isinstance(error, ReplayError) else f"{store.name}: {type(error).__name__}: {error}"
        with contextlib.suppress(OSError):
            send(pickle.dumps(([], [], failure)))
    finally:
        await reader.close()


if __name__ == "__main__":
    asyncio.run(_work(json.loads(sys.stdin.read()), sys.stdout.buffer))
