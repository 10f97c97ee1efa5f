"""Everything one run has observed: typed facts written by probes, read by checks."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from troubleshooter.dsn.connections import AppConnection
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.secrets import SecretFacts, SecretUse
from troubleshooter.failures import ApiFailure
from troubleshooter.model import InstanceRef, LogMatch, RevisionInfo, RunConfig, Target


@dataclass
class Observations:
    """Facts gathered in one run. Probes write (under `lock`), checks only read.

    Every fact that could not be read is recorded in `failures` under its FactKey (see
    troubleshooter.facts.keys for the kinds), so a check can tell "absent" from "unknown" and
    say which permission or API would have told it. Checks read through facts.read.Facts.
    """

    target: Target
    run: RunConfig | None = None
    serving: RevisionInfo | None = None          # the revision taking traffic (services)
    latest: RevisionInfo | None = None           # the newest revision / job execution, if different
    app: list[AppConnection] | None = None
    project_numbers: dict[str, str] = field(default_factory=dict)
    instance_refs: list[InstanceRef] = field(default_factory=list)
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)        # key P:I -> DatabaseInstance
    project_instances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # P -> instances.list
    iam: dict[str, dict[str, Any]] = field(default_factory=dict)              # P -> Policy
    services_enabled: dict[str, bool] = field(default_factory=dict)           # "P:sqladmin.googleapis.com" -> bool
    databases: dict[str, list[str]] = field(default_factory=dict)             # key P:I -> names
    users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)      # key P:I -> users
    sql_operations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # key P:I -> operations.list
    logs: dict[str, LogMatch] = field(default_factory=dict)                   # symptom -> matches
    log_entries_seen: int = 0
    # The VPC (network probe), raw REST JSON keyed by FactKey parts joined with "/":
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)         # "P/N" -> Network
    subnetworks: dict[str, dict[str, Any]] = field(default_factory=dict)      # "P/R/S" -> Subnetwork
    routers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)    # "P/R" -> routers.list
    firewalls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "P" -> firewalls.list
    connectors: dict[str, dict[str, Any]] = field(default_factory=dict)       # name -> Connector
    answers: dict[str, str] = field(default_factory=dict)                     # question id -> choice
    symptoms: list[str] = field(default_factory=list)                         # entry symptoms of the walk
    failures: dict[FactKey, ApiFailure] = field(default_factory=dict)
    # Secret Manager (probe `secrets`): what the workload names, and what was read about each
    # secret (key "P/S"): metadata, versions, IAM; never a payload.
    secret_uses: list[SecretUse] = field(default_factory=list)
    secrets: dict[str, SecretFacts] = field(default_factory=dict)
    read_secrets: bool = False                  # the operator consented to reading payloads
    secret_reads: dict[str, str] = field(default_factory=dict)  # env var -> "secret S, version N"
    # Payloads read with consent, env var -> text, held only until app-settings parses them
    # (it pops them): never in repr, never compared, never kept after the run.
    secret_payloads: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def fail(self, key: FactKey, failure: ApiFailure) -> None:
        _typed(key)
        with self.lock:
            self.failures[key] = failure

    def failure(self, *keys: FactKey) -> ApiFailure | None:
        """The first recorded failure among `keys` (the reason a fact is unknown)."""
        for k in keys:
            _typed(k)
            if k in self.failures:
                return self.failures[k]
        return None

    @property
    def symptoms_in_logs(self) -> list[str]:
        return [s for s, m in self.logs.items() if m.count]


def _typed(key: object) -> None:
    # A plain "instance:P:I" string would silently never match: fail loudly instead.
    if not isinstance(key, FactKey):
        raise TypeError(f"fact keys are FactKey, not {type(key).__name__}: {key!r}")
