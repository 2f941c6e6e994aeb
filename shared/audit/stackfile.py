"""Where the running instances are, for the auditors' tools: `.run/stack.json`, written by
`./vanguard up` (and by test stacks), read by `./vanguard audit export | verify --live | replay`.

{"instances": [{"service", "instance", "url", "dsn", "public_key"}], "projection": {"url", "dsn"}}

A real deployment writes the same file by hand (or from its inventory): the URL is what the tools
fetch with an auditor token, the DSN what `replay` reads the stores from, the public key the one
the auditors trust for that instance's checkpoints.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT = Path(".run/stack.json")


class StackFileError(ValueError):
    """No stack file, or one that does not say what is needed (the message says what)."""


@dataclass(frozen=True)
class Instance:
    service: str
    instance: str
    url: str
    dsn: str = ""
    public_key: str = ""

    @property
    def name(self) -> str:
        return f"{self.service}/{self.instance}"


@dataclass
class StackFile:
    instances: list[Instance] = field(default_factory=list)
    projection_url: str = ""
    projection_dsn: str = ""

    def find(self, service: str, instance: str) -> Instance:
        for i in self.instances:
            if i.service == service and i.instance == instance:
                return i
        known = ", ".join(i.name for i in self.instances) or "none"
        raise StackFileError(f"no instance {service}/{instance} in the stack file (known: {known})")

    def write(self, path: Path) -> None:
        data = {
            "instances": [asdict(i) for i in self.instances],
            "projection": {"url": self.projection_url, "dsn": self.projection_dsn},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load(path: Path = DEFAULT) -> StackFile:
    if not path.is_file():
        raise StackFileError(f"{path}: no stack file (./vanguard up writes one; or pass --stack FILE)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        instances = [
            Instance(
                str(i["service"]),
                str(i["instance"]),
                str(i["url"]),
                str(i.get("dsn", "")),
                str(i.get("public_key", "")),
            )
            for i in data["instances"]
        ]
        projection = data.get("projection") or {}
        return StackFile(instances, str(projection.get("url", "")), str(projection.get("dsn", "")))
    except (ValueError, KeyError, TypeError) as error:
        raise StackFileError(f"{path}: not a stack file ({type(error).__name__}: {error})") from None
