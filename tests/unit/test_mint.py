"""./vanguard token: several tokens in one call, each for the principal its spec names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.auth import Principal, Role
from shared.auth.keys import KeySet, SigningKey, jwks
from shared.auth.mint import main, parse_spec
from shared.auth.tokens import TokenVerifier, Trust

ROOT = Path(__file__).resolve().parents[2]


def test_a_spec_names_role_department_branch_and_subject() -> None:
    assert parse_spec("secretary@fgw/fgw-b1=s-fgw-1") == Principal("s-fgw-1", Role.SECRETARY, "fgw", "fgw-b1")
    assert parse_spec("committee@fgw") == Principal("committee@fgw/-", Role.COMMITTEE, "fgw", None)
    assert parse_spec("auditor") == Principal("auditor@-/-", Role.AUDITOR, None, None)


@pytest.mark.parametrize(("spec", "says"), [("boss@fgw", "unknown role 'boss'"), ("member@", "is not ROLE")])
def test_a_bad_spec_says_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(SystemExit, match=says):
        parse_spec(spec)


def test_one_call_prints_one_verifiable_token_per_spec(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = SigningKey.generate("dev")
    key.write(tmp_path / "identity.jwk")
    monkeypatch.setenv("VANGUARD_IDENTITY_KEY", str(tmp_path / "identity.jwk"))
    assert main(["--role", "admin", "committee@fgw", "member@fgw/fgw-b1=m-001"]) == 0
    tokens = capsys.readouterr().out.split()
    verifier = TokenVerifier(Trust("vanguard-identity", KeySet(json.dumps(jwks(key)))))
    assert [verifier.verify(t).subject for t in tokens] == ["admin@-/-", "committee@fgw/-", "m-001"]
    assert verifier.verify(tokens[2]).branch == "fgw-b1"


def test_without_the_development_key_it_says_where_the_key_should_be(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VANGUARD_IDENTITY_KEY", str(tmp_path / "none.jwk"))
    assert main(["admin"]) == 2
    assert "no signing key at" in capsys.readouterr().err


def test_keygen_prints_a_private_key_and_the_jwks_that_verifies_its_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen"]) == 0
    private, public = capsys.readouterr().out.splitlines()
    key = SigningKey.from_jwk(json.loads(private))
    assert "d" not in json.loads(public)["keys"][0] and KeySet(public).kids == [key.kid]


def test_the_command_mints_without_loading_the_settings_library(tmp_path: Path) -> None:
    """Importing pydantic-settings was most of the 1.8 s a token took (python -X importtime)."""
    SigningKey.generate().write(tmp_path / "identity.jwk")
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
        env={**os.environ, "VANGUARD_IDENTITY_KEY": str(tmp_path / "identity.jwk")},
    )
    assert done.stdout.split()[2:] == ["lean"]
