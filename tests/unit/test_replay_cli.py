"""`./vanguard audit replay` on bad input: a clear message and exit code 2, never a traceback; and
the merge of the stores' streams, which makes two replays identical."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.projection import replay, replay_decoder
from services.projection.replay_merge import merged
from services.projection.replay_sources import ReplayError, Store, StoreReader, masked
from shared.contracts import Envelope

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = replay.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def test_a_missing_stack_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, said = run(capsys, "--stack", str(tmp_path / "stack.json"))
    assert code == 2 and "no stack file" in said and "--stack" in said


def test_a_stack_file_that_is_no_stack_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "stack.json"
    bad.write_text('{"instances": [{"service": "filing"}]}')
    code, said = run(capsys, "--stack", str(bad))
    assert code == 2 and "not a stack file" in said


def stack(tmp_path: Path, **projection: str) -> Path:
    path = tmp_path / "stack.json"
    instances = [{"service": "filing", "instance": "fgw", "url": "http://x", "dsn": UNREACHABLE}]
    path.write_text(json.dumps({"instances": instances, "projection": projection}))
    return path


def test_an_unknown_instance_is_named_with_the_known_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, said = run(capsys, "--stack", str(stack(tmp_path, dsn=UNREACHABLE)), "--instance", "tasking/zwb")
    assert code == 2 and "no instance tasking/zwb" in said and "filing/fgw" in said


def test_a_stack_file_without_the_projection_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, said = run(capsys, "--stack", str(stack(tmp_path)))
    assert code == 2 and "no projection dsn" in said and "--live" in said


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        ("filing=postgresql://x/y", "SERVICE/INSTANCE=DSN"),
        ("filing/fgw", "SERVICE/INSTANCE=DSN"),
        (f"billing/fgw={UNREACHABLE}", "unknown service 'billing'"),
    ],
)
def test_a_store_given_wrongly_is_explained(capsys: pytest.CaptureFixture[str], store: str, expected: str) -> None:
    code, said = run(capsys, "--store", store, "--live", UNREACHABLE)
    assert code == 2 and expected in said


def test_the_same_store_twice_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    store = f"filing/fgw={UNREACHABLE}"
    code, said = run(capsys, "--store", store, "--store", store, "--live", UNREACHABLE)
    assert code == 2 and "filing/fgw given twice" in said


def test_an_unreachable_database_is_named_without_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    live = "postgresql://auditor:secret@127.0.0.1:1/projection"
    code, said = run(capsys, "--store", f"filing/fgw={UNREACHABLE}", "--live", live)
    assert code == 2 and "cannot connect to postgresql://auditor:***@127.0.0.1:1/projection" in said
    assert "secret" not in said


@pytest.mark.parametrize(("option", "value"), [("--into", "replay-1; DROP"), ("--batch", "0")])
def test_a_bad_option_is_refused_before_anything_is_done(
    capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    code, said = run(capsys, "--store", f"filing/fgw={UNREACHABLE}", "--live", UNREACHABLE, option, value)
    assert code == 2 and option in said and "cannot connect" not in said


def test_passwords_are_masked() -> None:
    assert masked("postgresql://a:b@h:5/db") == "postgresql://a:***@h:5/db"
    assert masked("postgresql://a@h/db") == "postgresql://a@h/db"


class FakeReader:
    """A store whose pages are given: (recorded at, position) of each event."""

    events = 0  # few: decoded here, not by a process of its own

    def __init__(self, index: int, pages: list[list[tuple[int, int]]]) -> None:
        self.index, self.pages = index, pages

    async def decoded_pages(self) -> AsyncIterator[list[tuple[dt.datetime, int, int, Any]]]:
        for page in self.pages:
            yield [(_at(second), position, self.index, (self.index, position)) for second, position in page]


def _at(second: int) -> dt.datetime:
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=second)


async def _merge(readers: list[FakeReader], batch: int) -> list[list[Envelope]]:
    return [run async for run in merged(readers, batch)]  # type: ignore[arg-type]


def test_stores_are_merged_by_time_then_position_each_keeping_its_order_in_batches() -> None:
    filing = FakeReader(0, [[(1, 1), (5, 2)], [(3, 3), (9, 4)]])  # 3 after 5: a write that committed late
    tasking = FakeReader(1, [[(2, 1), (5, 2), (6, 3)]])
    runs = asyncio.run(_merge([filing, tasking], 3))  # type: ignore[list-item]
    assert [len(r) for r in runs] == [3, 3, 1]
    order = [event for r in runs for event in r]
    assert order == [(0, 1), (1, 1), (0, 2), (0, 3), (1, 2), (1, 3), (0, 4)]
    assert asyncio.run(_merge([filing, tasking], 3)) == runs  # type: ignore[list-item]


def test_a_decoding_process_that_fails_says_why() -> None:
    reader = StoreReader(Store("filing", "fgw", UNREACHABLE), 0)

    async def pages() -> list[object]:
        return [page async for page in replay_decoder.decoded_elsewhere(reader)]

    with pytest.raises(ReplayError, match="filing/fgw's store: cannot connect to"):
        asyncio.run(pages())
