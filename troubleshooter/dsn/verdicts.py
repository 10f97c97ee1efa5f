"""What is wrong with a parsed DSN's socket or named instance, as one human sentence."""

from __future__ import annotations

from troubleshooter.dsn.kinds import normalize_engine, show
from troubleshooter.dsn.names import connection_name_problem
from troubleshooter.dsn.parsed import ParsedDsn
from troubleshooter.dsn.sockets import (
    CLOUDSQL_DIR,
    PG_SOCKET_FILE,
    socket_path,
    socket_path_length_problem,
)


def socket_path_problem(dsn: ParsedDsn, engine: str | None = None) -> str | None:
    """Why the DSN's socket path is wrong for the instance's engine (socket-path-wrong-for-engine),
    else None. engine is the instance's (databaseVersion or 'postgres'/'mysql'); defaults to the
    DSN's own."""
    eng = normalize_engine(engine) or dsn.engine
    path = dsn.socket_path
    if path is None:
        if dsn.host and dsn.host.startswith("cloudsql/"):
            return f"host {show(dsn.host)} lacks the leading '/': it is read as a hostname, not a socket"
        return None
    if dsn.engine and eng and dsn.engine != eng:
        return f"the connection string is for {dsn.engine} but the instance is {eng}"
    if eng == "sqlserver":
        return "Cloud Run gives SQL Server no Unix socket: use a Cloud SQL connector or TCP over private IP"
    from_env = (dsn.socket_param or "").startswith("env:")
    if not path.startswith(CLOUDSQL_DIR) or (from_env and path == CLOUDSQL_DIR):
        if path.rstrip("/") == "/cloudsql":
            if from_env:
                return None  # a base directory the app joins with the connection name

            return f"socket {show(path)} names no instance: use /cloudsql/PROJECT:REGION:INSTANCE"
        return f"socket {show(path)} is not under {CLOUDSQL_DIR}, where Cloud Run mounts the instance sockets"
    name = dsn.instance or ""
    pg_suffix = "/" + PG_SOCKET_FILE
    if eng == "postgres" and not from_env:
        # libpq-style drivers take the directory; pg8000 (unix_sock) and the JDBC
        # unixSocketPath take the socket file itself.
        wants_file = dsn.socket_param in {"unix_sock", "unixsocketpath"}
        if wants_file and not path.endswith(pg_suffix):
            return f"{dsn.socket_param}={show(path)} must be the socket file: {show(socket_path(name, 'postgres'))}"
        if not wants_file and path.endswith(pg_suffix):
            where = "the host" if dsn.socket_param == "authority" else f"{dsn.socket_param}="
            return (
                f"{where} {show(path)} points at the socket file; Postgres drivers want its "
                f"directory: {show(CLOUDSQL_DIR + name)}"
            )
    if eng == "mysql" and path.endswith(pg_suffix):
        return (
            f"{show(path)} is the Postgres socket; the MySQL socket is the file "
            f"{show(socket_path(name, 'mysql'))}"
        )
    return None


def connection_problem(dsn: ParsedDsn | None, instance: str | None) -> str | None:
    """The first thing wrong with the instance a connection names, or with its socket, else None."""
    if instance is not None and (p := connection_name_problem(instance)) is not None:
        return p
    if dsn is not None:
        if (p := socket_path_problem(dsn)) is not None:
            return p
        if instance is not None and dsn.engine in ("postgres", "mysql"):
            return socket_path_length_problem(instance, dsn.engine)
    elif instance is not None:
        return socket_path_length_problem(instance, "postgres")
    return None
