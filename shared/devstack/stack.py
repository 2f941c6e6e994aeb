"""The whole system on one machine: databases, service instances, relays, projection."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from shared.audit.checkpoint import make_key
from shared.audit.stackfile import Instance, StackFile
from shared.auth.development import ensure_key
from shared.auth.keys import SigningKey, jwks
from shared.auth.tokens import TokenIssuer
from shared.contracts import topic_name
from shared.devstack.ports import free_port
from shared.devstack.processes import ServiceProcess
from shared.messaging import kafka


@dataclass
class Stack:
    folder: Path
    pg_dsn: str  # server DSN, without a database
    kafka_bootstrap: str
    signing_key: SigningKey | None = None  # tokens' key (default: keys_folder/identity.jwk, made once)
    topic_prefix: str = "vanguard"
    database_prefix: str = ""  # tests give each stack databases of its own
    processes: list[ServiceProcess] = field(default_factory=list)
    keys_folder: Path | None = None  # the instances' audit keys (default: folder/keys), kept across runs
    identity_port: int = 0  # where the identity service listens (0: a free port, chosen once)
    _clock_dsn: str = ""
    _instances: list[Instance] = field(default_factory=list)
    _projection: tuple[str, str] = ("", "")

    def audit_key(self, service: str, instance: str) -> tuple[Path, str]:
        """The file of the instance's Ed25519 private key and its public key (base64), made on first
        use and kept in keys_folder (the key itself never goes into a process's environment)."""
        folder = self.keys_folder or self.folder / "keys"
        private_file, public_file = folder / f"{service}-{instance}.key", folder / f"{service}-{instance}.pub"
        if not private_file.exists():
            folder.mkdir(parents=True, exist_ok=True)
            private, public = make_key()
            private_file.touch(mode=0o600)
            private_file.write_text(private + "\n")
            public_file.write_text(public + "\n")
        return private_file, public_file.read_text().strip()

    def _signing(self, service: str, instance: str, dsn: str, port: int, settings: dict[str, object]) -> None:
        """Give the instance its audit key (unless the caller chose one) and list it for the auditors' tools."""
        private_file, public = self.audit_key(service, instance)
        settings.setdefault("audit_key", private_file.resolve())
        self._instances.append(Instance(service, instance, f"http://127.0.0.1:{port}", dsn, public))

    def token_keys(self) -> Path:
        """The JWKS file of `signing_key`'s public half (and the key's own file, identity.jwk, beside it)."""
        folder = self.keys_folder or self.folder / "keys"
        public = folder / "jwks.json"
        if self.signing_key is None:
            self.signing_key, public = ensure_key(folder / "identity.jwk")
        elif not public.exists():
            self.signing_key.write(folder / "identity.jwk")
            public.write_text(json.dumps(jwks(self.signing_key)) + "\n", encoding="utf-8")
        return public.resolve()

    def identity_url(self) -> str:
        """Where the stack's identity service listens (chosen once, before any service starts)."""
        if not self.identity_port:
            self.identity_port = free_port()
        return f"http://127.0.0.1:{self.identity_port}"

    def trusted_keys(self) -> str:
        """What every service verifies tokens with: the development key's JWKS file, and the identity
        service's JWKS URL (its rotated keys are fetched when a token first names them)."""
        return f"{self.token_keys()},{self.identity_url()}/.well-known/jwks.json"

    def identity(
        self, instance: str = "main", database: str | None = None, **settings: object
    ) -> tuple[ServiceProcess, ServiceProcess]:
        """The identity service (its API and its relay): accounts, sign-in, the token keys' JWKS.
        Its first signing key is the stack's development key, so minted tokens and its own agree."""
        dsn = self.database(database or f"{self.database_prefix}identity_{instance}")
        port = int(self.identity_url().rsplit(":", 1)[1])
        self._signing("identity", instance, dsn, port, settings)
        settings.setdefault("identity_key", (self.token_keys().parent / "identity.jwk").resolve())
        env = self._env(instance=instance, database_dsn=dsn, port=port, relay_metrics_port=free_port(), **settings)
        self._create_topic("identity", instance)
        api = self._process(f"identity-{instance}", "services.identity", env, port)
        relay = self._process(f"identity-{instance}-relay", "services.identity.relay", env, None)
        return api, relay

    def issuer(self) -> TokenIssuer:
        """Mints tokens the stack's services believe (local use and tests)."""
        self.token_keys()
        assert self.signing_key is not None
        return TokenIssuer(self.signing_key)

    def stack_file(self) -> StackFile:
        """What runs where, for ./vanguard audit (export, verify --live, replay)."""
        return StackFile(list(self._instances), *self._projection)

    def database(self, name: str) -> str:
        """Create the database if missing; return its DSN."""
        with psycopg.connect(f"{self.pg_dsn}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.pg_dsn}/{name}"

    def clock_dsn(self) -> str:
        """The database of the programme's manual clock, one for every service (VANGUARD_CLOCK=manual)."""
        if not self._clock_dsn:
            self._clock_dsn = self.database(f"{self.database_prefix}clock")
        return self._clock_dsn

    def _env(self, **values: object) -> dict[str, str]:
        base = {
            "VANGUARD_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "VANGUARD_TOKEN_KEYS": self.trusted_keys(),
            "VANGUARD_TOPIC_PREFIX": self.topic_prefix,
            "VANGUARD_CLOCK_DSN": self.clock_dsn(),
        }
        return {**base, **{f"VANGUARD_{k.upper()}": str(v) for k, v in values.items()}}

    def _process(self, name: str, module: str, env: dict[str, str], port: int | None) -> ServiceProcess:
        self.folder.mkdir(parents=True, exist_ok=True)
        health = f"http://127.0.0.1:{port}/health" if port else None
        process = ServiceProcess(name, module, env, self.folder / f"{name}.log", health)
        self.processes.append(process)
        return process

    def filing(
        self,
        instance: str,
        departments: str,
        port: int | None = None,
        workers: int = 1,
        database: str | None = None,
        **settings: object,
    ) -> tuple[ServiceProcess, ServiceProcess]:
        """A filing instance (its API and its relay), with a database of its own."""
        dsn = self.database(database or f"{self.database_prefix}filing_{instance}")
        port = port or free_port()
        self._signing("filing", instance, dsn, port, settings)
        env = self._env(
            instance=instance,
            departments=departments,
            database_dsn=dsn,
            port=port,
            workers=workers,
            relay_metrics_port=free_port(),
            **settings,
        )
        self._create_topic("filing", instance)
        api = self._process(f"filing-{instance}", "services.filing", env, port)
        relay = self._process(f"filing-{instance}-relay", "services.filing.relay", env, None)
        return api, relay

    def tasking(
        self,
        instance: str,
        departments: str,
        port: int | None = None,
        workers: int = 1,
        database: str | None = None,
        **settings: object,
    ) -> tuple[ServiceProcess, ServiceProcess, ServiceProcess]:
        """A tasking instance: its API, its relay and its consumer of filing's events."""
        return self._domain_service("tasking", instance, departments, port, workers, database, **settings)

    def inspection(
        self,
        instance: str = "main",
        port: int | None = None,
        workers: int = 1,
        database: str | None = None,
        **settings: object,
    ) -> tuple[ServiceProcess, ServiceProcess, ServiceProcess]:
        """The inspection service (one for all departments): API, relay, consumer with its scheduler."""
        return self._domain_service("inspection", instance, "", port, workers, database, **settings)

    def acceptance(
        self,
        instance: str = "main",
        port: int | None = None,
        workers: int = 1,
        database: str | None = None,
        **settings: object,
    ) -> tuple[ServiceProcess, ServiceProcess, ServiceProcess]:
        """The acceptance service (one for all departments): API, relay, consumer with its notice sealer."""
        return self._domain_service("acceptance", instance, "", port, workers, database, **settings)

    def _domain_service(
        self,
        service: str,
        instance: str,
        departments: str,
        port: int | None,
        workers: int,
        database: str | None,
        **settings: object,
    ) -> tuple[ServiceProcess, ServiceProcess, ServiceProcess]:
        dsn = self.database(database or f"{self.database_prefix}{service}_{instance}")
        self._create_topic(service, instance)
        port = port or free_port()
        self._signing(service, instance, dsn, port, settings)
        env = self._env(
            instance=instance,
            departments=departments,
            database_dsn=dsn,
            port=port,
            workers=workers,
            relay_metrics_port=free_port(),
            consumer_metrics_port=free_port(),
            **settings,
        )
        return (
            self._process(f"{service}-{instance}", f"services.{service}", env, port),
            self._process(f"{service}-{instance}-relay", f"services.{service}.relay", env, None),
            self._process(f"{service}-{instance}-consumer", f"services.{service}.consumer", env, None),
        )

    def projection(
        self,
        instance: str = "main",
        port: int | None = None,
        group_id: str | None = None,
        database: str | None = None,
        **settings: object,
    ) -> ServiceProcess:
        dsn = self.database(database or f"{self.database_prefix}projection_{instance}")
        port = port or free_port()
        self._projection = (f"http://127.0.0.1:{port}", dsn)
        self._signing("projection", instance, dsn, port, settings)  # its assessment ledger is a store too
        env = self._env(
            instance=instance,
            database_dsn=dsn,
            port=port,
            group_id=group_id or f"{self.topic_prefix}.projection.{instance}",
            **settings,
        )
        return self._process(f"projection-{instance}", "services.projection", env, port)

    def _create_topic(self, service: str, instance: str) -> None:
        """Create a relay's topic before any consumer subscribes: consumers start with every topic
        (one created later is picked up too, but costs them a rejoin of a few seconds)."""
        kafka.ensure_topic(self.kafka_bootstrap, topic_name(self.topic_prefix, service, instance), 3)

    def url(self, process: ServiceProcess) -> str:
        return f"http://127.0.0.1:{process.env['VANGUARD_PORT']}"

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM every process at once, then SIGKILL whatever is still running after `timeout`."""
        for process in self.processes:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.wait_or_kill(max(0.1, deadline - time.monotonic()))
