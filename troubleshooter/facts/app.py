"""The app's database settings as the checks read them: readable env, Secret Manager, answers."""

from __future__ import annotations

from dataclasses import dataclass

from troubleshooter.dsn.connections import AppConnection
from troubleshooter.facts import sources
from troubleshooter.model import Evidence

# What the operator may answer when the app's settings cannot be read (question "app-connection").
APP_ANSWER_KEY = "app-connection"

# Roles of settings that decide where the app connects (a user or password does not).
_ROUTE_ROLES = (None, "url", "host", "socket-path", "connection-name", "port")


@dataclass(frozen=True)
class AppView:
    """The app's database settings as far as they can be read."""

    readable: tuple[AppConnection, ...]   # plain env values, parsed
    secret: tuple[AppConnection, ...]     # Secret Manager-backed, not read
    answer: str | None                    # the operator's answer when nothing is readable

    @property
    def secret_vars(self) -> str:
        return ", ".join(_named(c, v) for c in self.secret for v in c.source) or "the database settings"

    @property
    def route_vars(self) -> str:
        """The Secret Manager-backed variables that would say where the app connects (with why a
        read the operator consented to still failed, naming the permission)."""
        return ", ".join(_named(c, v) for c in self.secret if c.role in _ROUTE_ROLES for v in c.source) \
            or self.secret_vars

    @property
    def route_hidden(self) -> bool:
        """True when a setting that decides *where* the app connects is in Secret Manager
        (a password or user there hides nothing about the route)."""
        return any(c.role in _ROUTE_ROLES for c in self.secret)

    @property
    def route_known(self) -> bool:
        """True when a readable setting says how the app connects (socket, TCP host, connector).

        A plain connection-name variable counts: apps read it to build /cloudsql/NAME or to
        hand it to a connector, either way not a TCP host of their own.
        """
        return any(
            (c.dsn is not None and c.dsn.transport != "unknown")
            or (c.kind == "connection-name" and bool(c.instance))
            for c in self.readable
        )

    def tcp(self, host_kind: str) -> list[AppConnection]:
        """Readable connections dialling TCP to a host of `host_kind` (localhost | ip | hostname)."""
        return [
            c for c in self.readable
            if c.dsn is not None and c.dsn.host_kind == host_kind and c.dsn.transport == "tcp"
        ]


def _named(conn: AppConnection, variable: str) -> str:
    return f"{variable}: {conn.unread_why}" if conn.unread_why else variable


def var(conn: AppConnection) -> str:
    return "+".join(conn.source) or "?"


def app_ev(conn: AppConnection, note: str = "") -> Evidence:
    """Evidence of an app setting: always the redacted display, never the raw value."""
    if conn.read_from and conn.read_from not in note:
        note = "; ".join(n for n in (note, conn.read_from) if n)
    return Evidence(sources.APP, f"env[{var(conn)}]", conn.display, sources.RUN_API, "", note)


def answer_ev(answer: str) -> Evidence:
    return Evidence("operator", f"answers[{APP_ANSWER_KEY}]", answer, "operator",
                    note="the app's settings are in Secret Manager; the operator said how it connects")


def instance_name(conn: AppConnection) -> str | None:
    """The connection name the app opens (variable or /cloudsql/ path), byte-exact.

    An empty name counts only from a connection-name variable (the app will open
    /cloudsql//.s.PGSQL.5432); a bare `/cloudsql/` socket directory is a base the app joins
    with another variable, not an empty name.
    """
    name = conn.instance if conn.instance is not None else (conn.dsn.instance if conn.dsn else None)
    if name == "" and conn.kind != "connection-name":
        return None
    return name
