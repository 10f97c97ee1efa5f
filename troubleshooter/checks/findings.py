"""Findings: not why the connection fails, but risks seen on the way (open networks, secrets, roles)."""

from __future__ import annotations

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params, instance_params
from troubleshooter.checks.verdicts import failed, per_instance, unknown
from troubleshooter.facts.instance import Instance, is_open_network
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.policy import BROAD_ROLES, sa_is_known
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import (
    APP,
    CRM_API,
    IAM,
    PROJECT,
    RUN_CONFIG,
    SERVING,
    SQL,
)
from troubleshooter.facts.workload import run_ev
from troubleshooter.model import CheckResult, Evidence, InstanceRef
from troubleshooter.redact import secret_in_env


def _open_networks(obs: Facts, ref: InstanceRef, inst: Instance) -> CheckResult:
    nets = inst.authorized_networks
    values = inst.authorized_values
    name = inst.connection_name or ref.key
    ev = inst.evidence("settings.ipConfiguration.authorizedNetworks", values)
    wide = [n for n in nets if is_open_network(str(n.get("value", "")))]
    if not wide:
        return CheckResult.ok(f"Instance {name} admits only {', '.join(values) or 'no networks'}.", ev)
    if not inst.has_public_ip:
        return CheckResult.ok(
            f"Instance {name} lists {wide[0].get('value')} as authorized but has no public IP, so "
            "nothing is exposed.", ev,
        )
    keep = [str(n.get("value")) for n in nets if n not in wide]
    return failed(
        f"Instance {name} authorizes {', '.join(str(n.get('value')) for n in wide)} on its public "
        "IP: the database is open to the whole internet, guarded only by its passwords.",
        [ev, inst.evidence("ipAddresses[]", inst.ip_addresses)],
        # The gcloud flag replaces the list: a fix must carry the entries it keeps.
        {**base_params(obs), **instance_params(inst, ref), "authorized_networks": nets,
         "open_networks": [n.get("value") for n in wide],
         "networks": ", ".join(str(n.get("value")) for n in wide),
         "keep_networks": keep,
         "authorized_networks_flag": (f"--authorized-networks={','.join(keep)}" if keep
                                      else "--clear-authorized-networks")},
        [("authorized networks", "specific addresses (or none: use the socket/connector)",
          ", ".join(values))],
    )


def authorized_networks_open_to_world(obs: Facts) -> CheckResult:
    return per_instance(obs, lambda ref, inst: _open_networks(obs, ref, inst))


def plaintext_secret_in_env(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "whether env values carry secrets", FactKey.run())
    names: list[str] = []
    reasons: list[str] = []
    plain = 0
    for e in obs.container_env():
        if "valueSource" in e or "valueFrom" in e:
            continue
        plain += 1
        name, value = str(e.get("name", "")), e.get("value")
        if not isinstance(value, str):
            continue
        why = secret_in_env(name, value)
        if why and name not in names:
            names.append(name)
            reasons.append(why)  # says what kind of secret, never the value
    if not names:
        return CheckResult.ok(f"None of the {plain} plain env values looks like a secret.")
    return failed(
        f"{obs.target.kind.capitalize()} {obs.target.name} keeps secrets in plain env values "
        f"({', '.join(names)}): anyone who can view the {obs.target.kind} can read them; move them "
        "to Secret Manager.",
        [run_ev(run, "containers[].env[].value", names, "; ".join(reasons))],
        {**base_params(obs), "variables": ", ".join(names), "variable_names": names,
         "service_account": run.service_account},
        [("where the secret lives", "Secret Manager (valueSource.secretKeyRef)",
          f"plain env value: {', '.join(names)}")],
    )


def overprivileged_runtime_sa(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "the runtime service account", FactKey.run())
    sa = run.service_account
    if not sa_is_known(sa):
        return CheckResult.uncertain(
            "The runtime service account is the default compute account, whose name needs the "
            f"project number, which could not be read ({obs.reason(FactKey.project(obs.target.project))})."
        )
    projects = [obs.target.project] + [r.project for r in obs.refs]
    projects = list(dict.fromkeys(projects))
    unread: list[str] = []
    for p in projects:
        policy = obs.policy(p)
        if policy is None:
            unread.append(f"{p} ({obs.reason(FactKey.iam(p))})")
            continue
        broad = [g for g in policy.grants(sa, BROAD_ROLES) if not g.condition]
        if broad:
            role = broad[0].role
            return failed(
                f"Runtime service account {sa} of {obs.target.kind} {obs.target.name} holds {role} "
                f"on project {p}: a compromise of the {obs.target.kind} controls the whole project. "
                "Give it only roles/cloudsql.client (and what else it needs)"
                + (" — the default compute account gets Editor automatically; prefer a dedicated "
                   "service account." if run.service_account_is_default else "."),
                [Evidence(IAM, "bindings[].role", role, CRM_API, f"projects/{p}",
                          f"member serviceAccount:{sa}")],
                {**base_params(obs), "service_account": sa, "role": role, "role_project": p,
                 "roles": f"{', '.join(dict.fromkeys(g.role for g in broad))} on project {p}",
                 "default_service_account": run.service_account_is_default},
                [(f"roles of {sa} on {p}", "least privilege (roles/cloudsql.client, ...)", role)],
            )
    if unread:
        return CheckResult.uncertain(
            f"Cannot tell whether {sa} holds editor or owner: the policy of {'; '.join(unread)} could "
            "not be read."
        )
    return CheckResult.ok(f"{sa} holds neither roles/editor nor roles/owner on {', '.join(projects)}.")


def _unencrypted(obs: Facts, ref: InstanceRef, inst: Instance) -> CheckResult:
    mode, require = inst.ssl_mode, inst.require_ssl
    nets = inst.authorized_values
    name = inst.connection_name or ref.key
    ev = [inst.evidence("settings.ipConfiguration.sslMode", mode),
          inst.evidence("settings.ipConfiguration.requireSsl", require),
          inst.evidence("settings.ipConfiguration.authorizedNetworks", nets)]
    if not inst.has_public_ip:
        return CheckResult.ok(f"Instance {name} has no public IP.", *ev)
    allows_plain = mode == "ALLOW_UNENCRYPTED_AND_ENCRYPTED" or (not mode and not require)
    if not allows_plain or not nets:
        return CheckResult.ok(
            f"Instance {name}'s public IP "
            + ("requires TLS." if not allows_plain else "admits no authorized network."), *ev
        )
    return failed(
        f"Instance {name} accepts unencrypted connections on its public IP from authorized "
        f"networks ({', '.join(nets)}): passwords and data can cross the internet in clear text.",
        ev,
        {**base_params(obs), **instance_params(inst, ref), "ssl_mode": mode, "require_ssl": require,
         "authorized_networks": inst.authorized_networks,
         "suggested_ssl_mode": "ENCRYPTED_ONLY"},
        [("sslMode", "ENCRYPTED_ONLY", mode or f"unset (requireSsl={require})")],
    )


def public_ip_allows_unencrypted(obs: Facts) -> CheckResult:
    return per_instance(obs, lambda ref, inst: _unencrypted(obs, ref, inst))


CHECKS = (
    Check.reporting("authorized-networks-open-to-world", probes=(RUN_CONFIG, APP, SQL),
                    judge=authorized_networks_open_to_world),
    Check.reporting("plaintext-secret-in-env", probes=(RUN_CONFIG, SERVING),
                    judge=plaintext_secret_in_env),
    Check.reporting("overprivileged-runtime-sa", probes=(RUN_CONFIG, PROJECT, APP, SQL, IAM),
                    judge=overprivileged_runtime_sa),
    Check.reporting("public-ip-allows-unencrypted", probes=(RUN_CONFIG, APP, SQL),
                    judge=public_ip_allows_unencrypted),
)
