"""The audit archive verified offline: an untouched one holds; each kind of tampering is caught at
its position; a checkpoint signed with another key fails with a clear message; broken files are
refused with the line. The command's exit codes say the same."""

from __future__ import annotations

import dataclasses
import io
import uuid
from pathlib import Path

import pytest

from shared.audit import cli
from shared.audit.archive import Archive, ArchiveError, links_of, read, write
from shared.audit.chain import GENESIS, Link, StoredEvent, extend, link
from shared.audit.checkpoint import Checkpoint, make_key, sign
from shared.audit.verify import verify

PRIVATE, PUBLIC = make_key()
OTHER_PRIVATE, OTHER_PUBLIC = make_key()


def events(n: int = 20) -> list[StoredEvent]:
    aggregate = str(uuid.uuid4())
    # Positions with gaps, as our stores hand them out (a rolled-back insert leaves one).
    return [
        StoredEvent(p, aggregate, v, "services.filing.domain:Project.Revised", f'{{"n": {v}}}'.encode())
        for v, p in enumerate((1, 2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22)[:n], start=1)
    ]


def archive(links: list[Link] | None = None, private: str = PRIVATE, every: int = 5) -> Archive:
    links = links if links is not None else links_of(events())
    checkpoints = [
        sign(Checkpoint("filing", "fgw", lk.event.position, lk.head, f"2026-12-02T10:{i:02d}:00+08:00"), private)
        for i, lk in enumerate(links)
        if (i + 1) % every == 0
    ]
    return Archive("filing", "fgw", PUBLIC, "2026-12-02T12:00:00+08:00", links, checkpoints)


def round_trip(a: Archive, tmp_path: Path) -> Archive:
    path = tmp_path / "fgw.vgaudit"
    with path.open("w", encoding="utf-8") as out:
        write(out, a)
    return read(path)


def kinds(a: Archive, key: str | None = PUBLIC) -> list[tuple[str, int]]:
    return [(p.kind, p.position) for p in verify(a, key).problems]


def test_an_untouched_archive_verifies_after_a_round_trip_through_its_file(tmp_path: Path) -> None:
    original = archive()
    a = round_trip(original, tmp_path)
    report = verify(a, PUBLIC)
    assert report.ok and (report.events, report.checkpoints) == (20, 4)
    assert [c.position for c in a.checkpoints] == [6, 12, 17, 22]  # every fifth event
    assert a.links[0].previous == GENESIS and a.links == original.links and a.checkpoints == original.checkpoints


def test_an_altered_event_whose_hashes_were_recomputed_breaks_every_later_checkpoint() -> None:
    links = links_of(events())
    signed = archive(links)  # checkpoints at 6, 12, 17 and 22, signed before the edit
    changed = links[6].event._replace(state=b'{"n": 999}')  # position 8
    forged = extend(links[5].head, [changed, *(lk.event for lk in links[7:])])  # the chain redone after it
    assert kinds(dataclasses.replace(signed, links=[*links[:6], *forged])) == [
        ("checkpoint", 12),
        ("checkpoint", 17),
        ("checkpoint", 22),
    ]


def test_an_edit_without_new_hashes_is_named_at_the_event() -> None:
    links = links_of(events())
    changed = links[6]._replace(event=links[6].event._replace(state=b"{}"))
    found = kinds(dataclasses.replace(archive(links), links=[*links[:6], changed, *links[7:]]))
    assert found == [("altered", 8), ("checkpoint", 12), ("checkpoint", 17), ("checkpoint", 22)]


def test_a_removed_event_is_caught_where_the_chain_breaks() -> None:
    links = links_of(events())
    a = dataclasses.replace(archive(links), links=[*links[:3], *links[4:]])
    assert kinds(a) == [("removed", 6), ("checkpoint", 6), ("checkpoint", 12), ("checkpoint", 17), ("checkpoint", 22)]


def test_an_inserted_event_is_caught_between_the_positions_it_sits() -> None:
    links = links_of(events())
    stranger = StoredEvent(4, links[0].event.originator_id, 99, "services.filing.domain:Project.Revised", b"{}")
    inserted = Link(stranger, links[2].head, link(links[2].head, stranger))
    a = dataclasses.replace(archive(links), links=[*links[:3], inserted, *links[3:]])
    assert kinds(a)[0] == ("inserted", 5)


def test_reordered_events_are_caught() -> None:
    links = links_of(events())
    a = dataclasses.replace(archive(links), links=[*links[:3], links[4], links[3], *links[5:]])
    assert ("reordered", 5) in kinds(a)


def test_a_tail_cut_before_the_last_checkpoint_is_caught() -> None:
    links = links_of(events())
    a = dataclasses.replace(archive(links), links=links[:17])
    assert kinds(a) == [("tail-cut", 22)]
    assert "the events end at 19" in verify(a, PUBLIC).problems[0].message


def test_a_checkpoint_signed_with_another_key_fails_with_a_clear_message() -> None:
    a = archive(private=OTHER_PRIVATE)
    found = verify(a, PUBLIC)
    assert [p.kind for p in found.problems] == ["signature"] * 4
    assert "not signed by the key" in found.problems[0].message
    assert verify(a, OTHER_PUBLIC).ok and "another public key" in verify(a, OTHER_PUBLIC).notes[0]


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"", "empty"),
        (b"\xff\xfe binary", "not UTF-8"),
        (b'{"format": "something else"}\n', "not an audit archive"),
        (b'{"format": "vanguard-audit/1", "service": "filing", "instance": "fgw", "public_key": "x", '
         b'"exported_at": "t"}\n{"c": [1, "a"', "line 2: not JSON"),
        (b'{"format": "vanguard-audit/1", "service": "filing", "instance": "fgw", "public_key": "x", '
         b'"exported_at": "t"}\ne\t1\ta\t1\n', "line 2: an event line has 8 tab-separated fields, this one 4"),
        (b'{"format": "vanguard-audit/1", "service": "filing", "instance": "fgw", "public_key": "x", '
         b'"exported_at": "t"}\ne\tone\ta\t1\tt\t\t00\t00\n', "line 2: a broken event line"),
        (b'{"format": "vanguard-audit/1", "service": "filing", "instance": "fgw", "public_key": "x", '
         b'"exported_at": "t"}\n{"c": [true, "00", "t", ""]}\n', "line 2: expected 4 fields"),
    ],
)  # fmt: skip
def test_broken_files_are_refused_naming_the_line(tmp_path: Path, content: bytes, phrase: str) -> None:
    path = tmp_path / "broken.vgaudit"
    path.write_bytes(content)
    with pytest.raises(ArchiveError, match=phrase):
        read(path)


def test_the_command_exits_zero_only_when_everything_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.vgaudit"
    with good.open("w", encoding="utf-8") as out:
        write(out, archive())
    assert cli.main(["verify", str(good), "--key", PUBLIC]) == 0
    assert "OK filing fgw: 20 events, 4 checkpoints" in capsys.readouterr().out
    links = links_of(events())
    bad = tmp_path / "bad.vgaudit"
    with bad.open("w", encoding="utf-8") as out:
        write(out, dataclasses.replace(archive(links), links=links[:17]))
    assert cli.main(["verify", str(bad), "--key", PUBLIC]) == 1
    assert "FAIL position 22: tail-cut" in capsys.readouterr().out
    assert cli.main(["verify", str(tmp_path)]) == 2 and "not a file" in capsys.readouterr().err
    assert cli.main(["verify", str(tmp_path / "none")]) == 2
    assert cli.main(["verify", str(good), "--key", "not-a-key"]) == 1  # every checkpoint fails to verify
    key_file = tmp_path / "fgw.pub"
    key_file.write_text(PUBLIC + "\n")
    assert cli.main(["verify", str(good), "--key", str(key_file)]) == 0


def test_writing_is_deterministic() -> None:
    one, two = io.StringIO(), io.StringIO()
    a = archive()
    write(one, a), write(two, a)
    assert one.getvalue() == two.getvalue() and one.getvalue().count("\n") == 1 + 20 + 4
