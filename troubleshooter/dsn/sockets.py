"""The Unix sockets Cloud Run mounts under /cloudsql/: their paths and the 107-byte limit."""

from __future__ import annotations

from typing import Final

from troubleshooter.dsn.kinds import normalize_engine, show

# sun_path is 108 bytes including the terminating NUL.
SOCKET_PATH_MAX: Final = 107
CLOUDSQL_DIR: Final = "/cloudsql/"
PG_SOCKET_FILE: Final = ".s.PGSQL.5432"


def socket_path(name: str, engine: str = "postgres") -> str:
    """The Unix socket Cloud Run creates for instance NAME: the .s.PGSQL.5432 file for Postgres,
    the /cloudsql/NAME socket file for MySQL. SQL Server has none (ValueError)."""
    eng = normalize_engine(engine)
    if eng == "postgres":
        return f"{CLOUDSQL_DIR}{name}/{PG_SOCKET_FILE}"
    if eng == "mysql":
        return f"{CLOUDSQL_DIR}{name}"
    raise ValueError(
        f"no Cloud Run Unix socket for engine {engine!r}: SQL Server needs a Cloud SQL connector or TCP"
    )


def socket_path_bytes(name: str, engine: str = "postgres") -> int:
    """Length in UTF-8 bytes of socket_path(name, engine)."""
    return len(socket_path(name, engine).encode("utf-8"))


def socket_path_too_long(name: str, engine: str = "postgres") -> bool:
    """True when the socket path exceeds SOCKET_PATH_MAX bytes (socket-path-too-long)."""
    return normalize_engine(engine) != "sqlserver" and socket_path_bytes(name, engine) > SOCKET_PATH_MAX


def socket_path_length_problem(name: str, engine: str = "postgres") -> str | None:
    """Why the socket path for name is too long for a Unix socket, else None."""
    if not socket_path_too_long(name, engine):
        return None
    n = socket_path_bytes(name, engine)
    return (
        f"socket path {show(socket_path(name, engine))} is {n} bytes; Unix sockets allow "
        f"{SOCKET_PATH_MAX}: use a shorter name or a Cloud SQL connector library"
    )


def instance_from_socket_path(path: str) -> str | None:
    """The bytes after '/cloudsql/' up to the next '/' (or the end), else None."""
    if not path.startswith(CLOUDSQL_DIR):
        return None
    return path[len(CLOUDSQL_DIR) :].split("/", 1)[0]
