"""Cloud Run's v1 (Knative) Service, as `gcloud run services describe --format=export` prints it,
converted to the v2 Service a world holds.

The v1 shape keeps most settings in annotations (run.googleapis.com/cloudsql-instances,
vpc-access-*, autoscaling.knative.dev/maxScale...); v2 has a field for each and refuses the
annotations (run_v2 Service.annotations docs). Mapping after Cloud Run's v1 ObjectMeta annotation
reference and the v2 RevisionTemplate. Only what the troubleshooter reads is carried; the rest of
the annotations are dropped, never passed on to a v2 write.
"""

from __future__ import annotations

import json
from typing import Any

V1_API_VERSION = "serving.knative.dev/v1"
_SYSTEM = ("run.googleapis.com/", "cloud.googleapis.com/", "serving.knative.dev/", "autoscaling.knative.dev/",
           "client.knative.dev/")
_INGRESS = {"all": "INGRESS_TRAFFIC_ALL", "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
            "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"}
_EGRESS = {"all-traffic": "ALL_TRAFFIC", "all": "ALL_TRAFFIC", "private-ranges-only": "PRIVATE_RANGES_ONLY"}
_ENV = {"gen1": "EXECUTION_ENVIRONMENT_GEN1", "gen2": "EXECUTION_ENVIRONMENT_GEN2"}
_STATUS = {"True": "CONDITION_SUCCEEDED", "False": "CONDITION_FAILED", "Unknown": "CONDITION_RECONCILING"}


def is_v1_service(item: Any) -> bool:
    return isinstance(item, dict) and item.get("kind") == "Service" and item.get("apiVersion") == V1_API_VERSION


def _user_annotations(annotations: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in annotations.items() if not k.startswith(_SYSTEM)}


def _env(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in items or []:
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            out.append({"name": e.get("name"), "valueSource": {"secretKeyRef": {
                "secret": ref.get("name"), "version": str(ref.get("key") or "latest")}}})
        else:
            out.append({"name": e.get("name"), "value": str(e.get("value", ""))})
    return out


def _container(c: dict[str, Any], cloudsql: bool, startup_boost: bool, depends: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: c[k] for k in ("name", "image", "command", "args") if c.get(k)}
    if c.get("env"):
        out["env"] = _env(c["env"])
    if c.get("ports"):
        out["ports"] = [{k: p[k] for k in ("name", "containerPort") if k in p} for p in c["ports"]]
    resources = dict(c.get("resources") or {})
    if resources.get("limits") or startup_boost:
        out["resources"] = {**({"limits": resources["limits"]} if resources.get("limits") else {}),
                            **({"startupCpuBoost": True} if startup_boost else {})}
    mounts = [{"name": m.get("name"), "mountPath": m.get("mountPath")} for m in c.get("volumeMounts") or []]
    if cloudsql and not any(m["mountPath"] == "/cloudsql" for m in mounts):
        mounts.append({"name": "cloudsql", "mountPath": "/cloudsql"})  # v1 mounts it implicitly
    if mounts:
        out["volumeMounts"] = mounts
    if depends:
        out["dependsOn"] = depends
    return out


def _volumes(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for v in spec.get("volumes") or []:
        secret = v.get("secret")
        if secret:
            out.append({"name": v.get("name"), "secret": {
                "secret": secret.get("secretName"),
                "items": [{"path": i.get("path"), "version": str(i.get("key"))} for i in secret.get("items") or []],
            }})
    return out


def v2_service(item: dict[str, Any], default_project: str, default_region: str) -> dict[str, Any]:
    """The v2 Service for a v1 one (project from metadata.namespace, region from its location label)."""
    meta = item.get("metadata") or {}
    labels = dict(meta.get("labels") or {})
    project = str(meta.get("namespace") or default_project)
    region = str(labels.pop("cloud.googleapis.com/location", "") or default_region)
    name = f"projects/{project}/locations/{region}/services/{meta.get('name')}"
    annotations = dict(meta.get("annotations") or {})
    spec = item.get("spec") or {}
    tmpl = spec.get("template") or {}
    t_meta = tmpl.get("metadata") or {}
    t_ann = dict(t_meta.get("annotations") or {})
    t_spec = tmpl.get("spec") or {}

    cloudsql = [s.strip() for s in str(t_ann.get("run.googleapis.com/cloudsql-instances", "")).split(",") if s.strip()]
    depends = json.loads(t_ann.get("run.googleapis.com/container-dependencies") or "{}")
    boost = str(t_ann.get("run.googleapis.com/startup-cpu-boost", "")).lower() == "true"
    template: dict[str, Any] = {
        "containers": [_container(c, bool(cloudsql), boost, depends.get(c.get("name"), []))
                       for c in t_spec.get("containers") or []],
    }
    if t_meta.get("name"):
        template["revision"] = t_meta["name"]
    if t_spec.get("serviceAccountName"):
        template["serviceAccount"] = t_spec["serviceAccountName"]
    if t_spec.get("containerConcurrency"):
        template["maxInstanceRequestConcurrency"] = int(t_spec["containerConcurrency"])
    if t_spec.get("timeoutSeconds"):
        template["timeout"] = f"{int(t_spec['timeoutSeconds'])}s"
    volumes = _volumes(t_spec)
    if cloudsql:
        volumes.append({"name": "cloudsql", "cloudSqlInstance": {"instances": cloudsql}})
    if volumes:
        template["volumes"] = volumes
    scaling = {k2: int(t_ann[k1]) for k1, k2 in (("autoscaling.knative.dev/maxScale", "maxInstanceCount"),
                                                 ("autoscaling.knative.dev/minScale", "minInstanceCount"))
               if str(t_ann.get(k1, "")).isdigit()}
    if scaling:
        template["scaling"] = scaling
    vpc: dict[str, Any] = {}
    connector = t_ann.get("run.googleapis.com/vpc-access-connector")
    if connector:
        vpc["connector"] = (connector if "/" in connector
                            else f"projects/{project}/locations/{region}/connectors/{connector}")
    if t_ann.get("run.googleapis.com/vpc-access-egress"):
        vpc["egress"] = _EGRESS.get(str(t_ann["run.googleapis.com/vpc-access-egress"]), "PRIVATE_RANGES_ONLY")
    if t_ann.get("run.googleapis.com/network-interfaces"):
        vpc["networkInterfaces"] = json.loads(t_ann["run.googleapis.com/network-interfaces"])
    if vpc:
        template["vpcAccess"] = vpc
    if t_ann.get("run.googleapis.com/execution-environment") in _ENV:
        template["executionEnvironment"] = _ENV[t_ann["run.googleapis.com/execution-environment"]]
    if _user_annotations(t_ann):
        template["annotations"] = _user_annotations(t_ann)
    if t_meta.get("labels"):
        template["labels"] = dict(t_meta["labels"])

    out: dict[str, Any] = {"name": name, "template": template}
    if labels:
        out["labels"] = labels
    if _user_annotations(annotations):
        out["annotations"] = _user_annotations(annotations)
    if annotations.get("run.googleapis.com/ingress") in _INGRESS:
        out["ingress"] = _INGRESS[annotations["run.googleapis.com/ingress"]]
    if annotations.get("run.googleapis.com/launch-stage"):
        out["launchStage"] = annotations["run.googleapis.com/launch-stage"]
    for key, to in (("uid", "uid"), ("generation", "generation"), ("creationTimestamp", "createTime")):
        if meta.get(key) is not None:
            out[to] = str(meta[key])
    out.update(_status(item.get("status") or {}, name))
    return out


def _status(status: dict[str, Any], name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for cond in status.get("conditions") or []:
        v2 = {"type": cond.get("type"), "state": _STATUS.get(str(cond.get("status")), "CONDITION_PENDING")}
        for k1, k2 in (("message", "message"), ("lastTransitionTime", "lastTransitionTime"), ("reason", "reason")):
            if cond.get(k1):
                v2[k2] = cond[k1]
        if v2.get("reason") and not str(v2["reason"]).isupper():
            v2.pop("reason")  # v1 reasons are CamelCase free text; v2's is an enum
        if cond.get("type") == "Ready":
            out["terminalCondition"] = v2
        else:
            out.setdefault("conditions", []).append(v2)
    for k1, k2 in (("latestReadyRevisionName", "latestReadyRevision"),
                   ("latestCreatedRevisionName", "latestCreatedRevision")):
        if status.get(k1):
            out[k2] = f"{name}/revisions/{status[k1]}"
    traffic = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST" if t.get("latestRevision")
                else "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                **({"revision": t["revisionName"]} if t.get("revisionName") else {}),
                "percent": int(t.get("percent") or 0)} for t in status.get("traffic") or []]
    if traffic:
        out["trafficStatuses"] = traffic
    if status.get("url"):
        out["uri"] = status["url"]
    if status.get("observedGeneration") is not None:
        out["observedGeneration"] = str(status["observedGeneration"])
    return out
