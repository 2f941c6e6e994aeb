"""Mint a bearer token for local use: ./vanguard token --role secretary --department d1 ..."""

from __future__ import annotations

import typer

from shared.auth.principal import Principal, Role
from shared.auth.tokens import TokenCodec
from shared.config import CommonSettings


def main(
    role: Role = typer.Option(..., help="committee, secretary, member, inspector, ..."),
    subject: str = typer.Option("", help="who: defaults to ROLE@DEPARTMENT/BRANCH"),
    department: str = typer.Option("", help="department code"),
    branch: str = typer.Option("", help="branch code"),
    name: str = typer.Option("", help="display name"),
    hours: int = typer.Option(12, help="validity"),
) -> None:
    """Print a bearer token signed with VANGUARD_JWT_SECRET."""
    settings = CommonSettings()
    who = subject or f"{role.value}@{department or '-'}/{branch or '-'}"
    principal = Principal(who, role, department or None, branch or None, name or None)
    typer.echo(TokenCodec(settings.jwt_secret).mint(principal, hours * 3600))


if __name__ == "__main__":
    typer.run(main)
