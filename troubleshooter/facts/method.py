"""How the app connects, decided before any check: the method says which checks apply.

Each method has its own platform needs (root-causes.md; Google's connect-run page):
- `unix-socket`: /cloudsql/P:R:I, so the Cloud SQL connection on the revision (attachment) and
  roles/cloudsql.client;
- `connector`: a Cloud SQL connector library (Python, Java socket factory, Go cloudsqlconn,
  Node): roles/cloudsql.client and the Admin API, but NO attachment (the library dials the
  instance itself, through the Admin API's metadata and an ephemeral certificate);
- `public-ip` / `private-ip`: TCP to an instance address: authorized networks / VPC egress and
  TLS, no attachment, no Cloud SQL IAM role;
- `localhost-proxy`: TCP to 127.0.0.1 with a Cloud SQL Auth Proxy sidecar (the sidecar needs
  the role; no attachment); `localhost`: TCP to 127.0.0.1 with nothing listening;
- `unknown`: the settings are unreadable (Secret Manager) or name nothing.
`iam_auth` says whether the login is IAM database authentication (a token, not a password).

Evidence comes from the env's shapes (DSN, variable names of Google's samples), the container
images (proxy sidecars and their flags) and the error texts in the logs (a connector's package
name in a trace). Google's samples name the variables this module knows: the connector samples
(python-docs-samples cloud-sql/*/sqlalchemy/connect_connector.py, nodejs-docs-samples,
golang-samples) read INSTANCE_CONNECTION_NAME with PRIVATE_IP / IP_TYPE and, for IAM login,
DB_IAM_USER; the Unix-socket samples read INSTANCE_UNIX_SOCKET.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from troubleshooter.facts.app import app_ev
from troubleshooter.model import Evidence

# A connector's package in a log line: the app uses that library.
_CONNECTOR_IN_LOG: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"google[./]cloud[./]sql[./]connector|cloud-sql-python-connector"), "Python connector"),
    (re.compile(r"com\.google\.cloud\.sql\.(core|postgres|mysql)|cloud-sql-jdbc-socket-factory"),
     "Java socket factory"),
    (re.compile(r"cloud\.google\.com/go/cloudsqlconn|cloud-sql-go-connector"), "Go connector"),
    (re.compile(r"@google-cloud/cloud-sql-connector"), "Node connector"),
)
# Variables of the connector samples; a truthy *CONNECTOR* variable says so outright.
_CONNECTOR_VARS = ("PRIVATE_IP", "IP_TYPE", "DB_IP_TYPE", "CLOUD_SQL_IP_TYPE")
_CONNECTOR_FLAG = re.compile(r"(^|_)(CLOUD_?SQL_)?CONNECTOR($|_)", re.I)
_IAM_VARS = re.compile(r"(^|_)(IAM_AUTH|ENABLE_IAM_AUTH|IAM_AUTHN|DB_IAM_USER|IAM_USER|USE_IAM)($|_)", re.I)
_IAM_PROXY_FLAGS = ("--auto-iam-authn", "-enable_iam_login", "--enable_iam_login", "-i")
_TRUE = {"1", "true", "yes", "on", "y"}


@dataclass(frozen=True)
class Method:
    kind: str                          # unix-socket | connector | public-ip | private-ip | localhost-proxy | localhost | hostname | unknown
    why: str                           # the evidence in words
    connector: str | None = None       # which library, when known
    iam_auth: bool = False
    iam_why: str = ""
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    @property
    def needs_attachment(self) -> bool:
        return self.kind in ("unix-socket", "unknown")


def _env_values(run: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in (run.env if run is not None else ()):
        name, value = entry.get("name"), entry.get("value")
        if isinstance(name, str):
            out[name] = value if isinstance(value, str) else ""
    return out


def _proxy_args(run: Any) -> list[str]:
    args: list[str] = []
    for c in (run.containers if run is not None else ()):
        image = c.get("image") or ""
        if "cloud-sql-proxy" in image or "cloudsql-proxy" in image or "cloud_sql_proxy" in image:
            args += [str(a) for a in (c.get("args") or []) + (c.get("command") or [])]
    return args


def _connector(obs: Any, env: dict[str, str]) -> tuple[str | None, str, list[Evidence]]:
    view = obs.app
    for conn in (view.readable if view is not None else ()):
        if conn.dsn is not None and conn.dsn.transport == "connector":
            return "Java socket factory", f"{'+'.join(conn.source)} names a Cloud SQL socket factory", [app_ev(conn)]
    for name, value in env.items():
        if _CONNECTOR_FLAG.search(name) and value.strip().lower() in _TRUE:
            return None, f"{name}={value.strip()!r} says the app uses a Cloud SQL connector", []
    named = [n for n in env if n in ("INSTANCE_CONNECTION_NAME", "CLOUD_SQL_CONNECTION_NAME")]
    socketish = any(v.startswith("/cloudsql") or "/cloudsql/" in v for v in env.values())
    hinted = [n for n in env if n in _CONNECTOR_VARS]
    if named and hinted and not socketish:
        return None, (f"{named[0]} with {hinted[0]} and no socket path: the shape of Google's "
                      "connector samples"), []
    if obs.logs_read:
        for m in obs.log_matches():
            for line in m.lines:
                for pattern, library in _CONNECTOR_IN_LOG:
                    if pattern.search(line):
                        return library, f"the logs show the {library} at work", []
    return None, "", []


def _iam(obs: Any, env: dict[str, str], run: Any) -> tuple[bool, str]:
    for name, value in env.items():
        if _IAM_VARS.search(name) and value.strip() and value.strip().lower() not in ("0", "false", "no", "off"):
            return True, f"{name} is set"
    for arg in _proxy_args(run):
        if arg.split("=", 1)[0] in _IAM_PROXY_FLAGS or arg.startswith("--auto-iam-authn"):
            return True, f"the Cloud SQL Auth Proxy sidecar runs with {arg}"
    view = obs.app
    for conn in (view.readable if view is not None else ()):
        user = conn.dsn.user if conn.dsn is not None else None
        if user and (user.endswith(".iam") or ".iam.gserviceaccount" in user or user.endswith(".iam@")):
            return True, f"the database user {user!r} is an IAM service-account user"
        if conn.dsn is not None and any(k.lower() in ("enable_iam_auth", "enableiamauth") and
                                        str(v).lower() in _TRUE for k, v in conn.dsn.params.items()):
            return True, f"{'+'.join(conn.source)} sets enable_iam_auth"
    for n in ("DB_USER", "DATABASE_USER", "PGUSER", "MYSQL_USER"):
        user = env.get(n, "")
        if user.endswith(".iam") or ".iam.gserviceaccount" in user:
            return True, f"{n}={user!r} is an IAM service-account user"
    return False, ""


def connect_method(obs: Any) -> Method:
    """Decide how the app connects, from what the facts show (the first method with evidence)."""
    run = obs.run
    env = _env_values(run)
    iam, iam_why = _iam(obs, env, run)
    library, why, ev = _connector(obs, env)
    if why:
        return Method("connector", why, library, iam, iam_why, tuple(ev))
    view = obs.app
    if view is not None:
        for conn in view.readable:
            d = conn.dsn
            if (d is not None and d.transport == "unix-socket") or conn.kind in ("socket-path",):
                return Method("unix-socket", f"{'+'.join(conn.source)} names a /cloudsql/ socket",
                              None, iam, iam_why, (app_ev(conn),))
        for conn, inst, kind in obs.ip_targets(view):
            which = "public-ip" if kind == "PRIMARY" else "private-ip"
            host = conn.dsn.host if conn.dsn else None
            return Method(which, f"{'+'.join(conn.source)} dials {inst.connection_name}'s "
                                 f"{'public' if which == 'public-ip' else 'private'} IP {host}",
                          None, iam, iam_why, (app_ev(conn),))
        local = view.tcp("localhost")
        if local:
            sidecar = run is not None and run.has_proxy_sidecar
            return Method("localhost-proxy" if sidecar else "localhost",
                          f"{'+'.join(local[0].source)} dials localhost"
                          + (" where a Cloud SQL Auth Proxy sidecar listens" if sidecar else ""),
                          None, iam, iam_why, (app_ev(local[0]),))
        names = [c for c in view.readable if c.kind == "connection-name" and c.instance]
        if names:
            return Method("unix-socket", f"{'+'.join(names[0].source)} names the instance (the app "
                          "builds /cloudsql/NAME from it, or hands it to a connector)",
                          None, iam, iam_why, (app_ev(names[0]),))
        hosts = view.tcp("hostname")
        if hosts:
            return Method("hostname", f"{'+'.join(hosts[0].source)} dials host "
                          f"{hosts[0].dsn.host if hosts[0].dsn else '?'}", None, iam, iam_why,
                          (app_ev(hosts[0]),))
    return Method("unknown", "the app's settings do not say", None, iam, iam_why)


# Symptoms that only a database that answered can produce: the path to it works.
ANSWERED = ("auth-failed", "database-missing", "too-many-connections")


def database_answered(obs: Any) -> Any:
    """The log match showing the database server answering (a login refused...), if any."""
    if not obs.logs_read:
        return None
    for symptom in ANSWERED:
        hit = obs.log_hit(symptom)
        if hit is not None:
            return hit
    return None


__all__ = ["ANSWERED", "Method", "connect_method", "database_answered"]
