"""./vanguard token: several tokens in one call, each for the principal its spec names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.auth import Principal, Role, TokenCodec
from shared.auth.mint import DEVELOPMENT_SECRET, main, parse_spec

ROOT = Path(__file__).resolve().parents[2]


def test_a_spec_names_role_department_branch_and_subject() -> None:
    assert parse_spec("secretary@fgw/fgw-b1=s-fgw-1") == Principal("s-fgw-1", Role.SECRETARY, "fgw", "fgw-b1")
    assert parse_spec("committee@fgw") == Principal("committee@fgw/-", Role.COMMITTEE, "fgw", None)
    assert parse_spec("auditor") == Principal("auditor@-/-", Role.AUDITOR, None, None)


@pytest.mark.parametrize(("spec", "says"), [("boss@fgw", "unknown role 'boss'"), ("member@", "is not ROLE")])
def test_a_bad_spec_says_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(SystemExit, match=says):
        parse_spec(spec)


def test_one_call_prints_one_verifiable_token_per_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--role", "admin", "committee@fgw", "member@fgw/fgw-b1=m-001"]) == 0
    tokens = capsys.readouterr().out.split()
    codec = TokenCodec(DEVELOPMENT_SECRET)
    assert [codec.verify(t).subject for t in tokens] == ["admin@-/-", "committee@fgw/-", "m-001"]
    assert codec.verify(tokens[2]).branch == "fgw-b1"


def test_the_command_mints_without_loading_the_settings_library() -> None:
    """Importing pydantic-settings was most of the 1.8 s a token took (python -X importtime)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from shared.auth.mint import main; main(sys.argv[1:]);"
            " print('settings' if 'pydantic_settings' in sys.modules else 'lean')",
            "committee@fgw",
            "secretary@fgw/fgw-b1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split()[2:] == ["lean"]
