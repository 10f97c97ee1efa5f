"""May we see the named instance at all? Cloud SQL's 403 `notAuthorized`, which hides whether it exists."""

from __future__ import annotations

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params
from troubleshooter.checks.verdicts import combine, failed
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import clean
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import APP, SQL, SQL_API
from troubleshooter.model import CheckResult, Evidence, InstanceRef

# Cloud SQL Admin answers instances.get (and connectSettings, generateEphemeralCert) with this
# 403, reason notAuthorized and no permission named, both for a project the caller cannot see
# (or that does not exist) and for a caller without cloudsql.instances.get: the Auth Proxy's
# "ensure that the account has access to ... (and make sure there's no typo in that name)"
# (GoogleCloudPlatform/cloud-sql-proxy#79), an instance in another project
# (GoogleCloudPlatform/kubernetes-engine-samples#10), a project number where the id belongs
# (terraform-google-modules/terraform-google-sql-db#235).
NOT_AUTHORIZED = "not authorized to make this request"


def is_not_authorized(failure: object) -> bool:
    """A Cloud SQL 403 that names no permission: Google's notAuthorized."""
    return (
        getattr(failure, "kind", None) == "permission-denied"
        and getattr(failure, "api", None) == "sqladmin"
        and not getattr(failure, "permission", None)
        and NOT_AUTHORIZED in (getattr(failure, "message", "") or "").lower()
    )


def _one(obs: Facts, ref: InstanceRef) -> CheckResult:
    inst = obs.instance(ref)
    if inst is not None:
        return CheckResult.ok(f"Instance {ref.key} can be read.", inst.evidence("connectionName", inst.connection_name))
    key = FactKey.instance(ref.project, ref.instance)
    f = obs.failure(key)
    if f is None or not is_not_authorized(f):
        return CheckResult.skipped(f"Instance {ref.key} was not refused with notAuthorized.")
    listed = obs.listed(ref.project)
    if listed is None:
        seen = f"The instances of {ref.project} could not be listed either ({obs.reason(FactKey.listing(ref.project))})."
    else:
        names = ", ".join(i.name or "?" for i in listed) or "none"
        seen = f"Instances {ref.project} lists to us: {names}."
    return failed(
        f"Cloud SQL Admin refused to show instance {ref.instance} of project {ref.project} (named as "
        f"{clean(ref.connection_name)!r}): 403 notAuthorized, \"The client is not authorized to make "
        "this request.\" Google answers so both when the project (or the instance) does not exist or "
        "cannot be seen by the caller, and when the caller lacks cloudsql.instances.get there; it "
        f"does not say which. {seen} To tell them apart: `gcloud projects describe {ref.project}` "
        f"(does the project exist, may you see it?) and `gcloud sql instances list --project={ref.project}` "
        "(is the instance there?); if it is, the runtime account needs roles/cloudsql.client in that project.",
        [Evidence(SQL, "instances.get", "403 notAuthorized (no permission named)", SQL_API, ref.key, f.message)],
        {**base_params(obs), "instance": ref.instance, "instance_project": ref.project,
         "connection_name": clean(ref.connection_name)},
        [("instances.get", "the instance", "403 notAuthorized")],
    )


def instance_not_accessible(obs: Facts) -> CheckResult:
    refs = obs.refs
    if not refs:
        return CheckResult.skipped("No Cloud SQL instance is attached to or named by the app.")
    return combine([_one(obs, r) for r in refs])


CHECKS = (
    Check.reporting("instance-not-accessible", probes=(APP, SQL),
                    judge=instance_not_accessible),
)
