"""The auditors' tools: the hash chain over an event store, signed checkpoints, archives and their
offline verification. Pure: no I/O but reading and writing the archive's bytes."""
