"""Mint bearer tokens for local use, one per line, signed with the embedded stack's development key
(.run/keys/identity.jwk, made by ./vanguard up; or the key file in VANGUARD_IDENTITY_KEY).

    ./vanguard token --role secretary --department fgw --branch fgw-b1 --subject s-fgw-1
    ./vanguard token committee@fgw secretary@fgw/fgw-b1=s-fgw-1 member@fgw/fgw-b1=m-001 admin
    ./vanguard token keygen      # a new signing key (private JWK), then its public JWKS

A spec is ROLE[@DEPARTMENT[/BRANCH]][=SUBJECT]. Plain argparse and no settings library: a token
is asked for often, from shell scripts, and should cost a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from shared.auth.development import development_key
from shared.auth.keys import SigningKey, jwks
from shared.auth.principal import Principal, Role
from shared.auth.tokens import TokenIssuer

_SPEC = re.compile(r"(?P<role>[a-z]+)(?:@(?P<department>[^/=\s]+)(?:/(?P<branch>[^=\s]+))?)?(?:=(?P<subject>\S+))?")


def principal(role: str, department: str = "", branch: str = "", subject: str = "", name: str = "") -> Principal:
    try:
        chosen = Role(role)
    except ValueError:
        raise SystemExit(f"unknown role '{role}'; roles: {', '.join(r.value for r in Role)}") from None
    who = subject or f"{chosen.value}@{department or '-'}/{branch or '-'}"
    return Principal(who, chosen, department or None, branch or None, name or None)


def parse_spec(spec: str) -> Principal:
    found = _SPEC.fullmatch(spec)
    if found is None:
        raise SystemExit(f"'{spec}' is not ROLE[@DEPARTMENT[/BRANCH]][=SUBJECT], e.g. secretary@fgw/fgw-b1=s-fgw-1")
    return principal(found["role"], found["department"] or "", found["branch"] or "", found["subject"] or "")


def keygen() -> int:
    """A new signing key: its private JWK for the identity service (and the organisation loader),
    then the JWKS of its public half for every other service (VANGUARD_TOKEN_KEYS)."""
    key = SigningKey.generate()
    print(json.dumps(key.private_jwk()))
    print(json.dumps(jwks(key)))
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["keygen"]:
        return keygen()
    parser = argparse.ArgumentParser(prog="./vanguard token", description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*", help="ROLE[@DEPARTMENT[/BRANCH]][=SUBJECT], one token each")
    parser.add_argument("--role", help=f"one of {', '.join(r.value for r in Role)}")
    parser.add_argument("--department", default="", help="department code")
    parser.add_argument("--branch", default="", help="branch code (secretaries and members)")
    parser.add_argument("--subject", default="", help="who: a registered member's id, say; default ROLE@DEPT/BRANCH")
    parser.add_argument("--name", default="", help="display name")
    parser.add_argument("--hours", type=int, default=12, help="validity (default 12)")
    args = parser.parse_args(argv)
    principals = [parse_spec(spec) for spec in args.specs]
    if args.role:
        principals.insert(0, principal(args.role, args.department, args.branch, args.subject, args.name))
    if not principals:
        parser.error("give --role ROLE or at least one ROLE@DEPARTMENT/BRANCH spec")
    if not 0 < args.hours <= 24 * 366:
        parser.error("--hours must be between 1 and 8784")
    try:
        issuer = TokenIssuer(development_key())
    except ValueError as error:
        print(f"cannot mint: {error}", file=sys.stderr)
        return 2
    for who in principals:
        print(issuer.mint(who, args.hours * 3600))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
