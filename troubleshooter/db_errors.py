"""Database-connection errors as a family: what drivers of every language print when they fail.

A symptom signature (decision_trees/*.yaml) says *which* symptom a line shows; this family says
only "this is a database-connection error", so that a diagnosis never calls a service healthy
while its logs hold failures no symptom names (root-causes.md, "Verdicts"). Each signature is a
kind (what went wrong), the symptom it is evidence of when there is one, and a regex; the logs
probe files a line under its symptom when it has one, else under `db-error:KIND`.

The patterns are written from the texts drivers really print, as quoted in public issue threads:
- node-postgres: "Connection terminated due to connection timeout" (plaid/pattern#180,
  brianc/node-postgres#2015), "Connection terminated unexpectedly" (brianc/node-postgres#2780,
  #3107), "timeout exceeded when trying to connect" (pg-pool).
- Node DNS of a socket path: "getaddrinfo ENOTFOUND /cloudsql/..." (mysqljs/mysql#969, #2239
  show the ENOTFOUND shape for a host that is not a host name).
- Cloud Run's own connection cap: 'Exceeded maximum of 100 connections per instance
  "P:R:I".' (spellshift/realm#136, ahmetb/cloud-run-faq#114).
- Prisma: "P1001 Can't reach database server at `localhost`:`3306`" (prisma/orm#1508).
- the connectors' Admin API 429: "googleapi: Error 429: Quota exceeded ... rateLimitExceeded".
The others are the drivers' fixed messages: libpq ("could not translate host name",
"server closed the connection unexpectedly", "no pg_hba.conf entry", "the database system is
starting up"), MySQL ("Lost connection to MySQL server", "MySQL server has gone away",
"Unknown MySQL server host", "Host '...' is not allowed to connect"), SQL Server ("Login failed
for user", "A network-related or instance-specific error"), JDBC ("Communications link
failure", PSQLException "Connection to H:P refused", HikariCP "Connection is not available,
request timed out"), Go (database/sql "driver: bad connection", "dial tcp ...: connect:
connection refused", "lookup ... no such host", pgx "failed to connect to"), Ruby
(PG::ConnectionBad, Mysql2::Error::ConnectionError, ActiveRecord::ConnectionNotEstablished),
PHP (PDO "SQLSTATE[HY000] [2002]", "SQLSTATE[08006]"), .NET (Npgsql "Failed to connect to",
MySqlConnector "Unable to connect to any of the specified MySQL hosts", SqlClient "Connection
Timeout Expired"), Python (psycopg2/sqlalchemy OperationalError, asyncpg
ConnectionDoesNotExistError, pymysql OperationalError (2003, ...)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "db-error:"   # obs.logs key of a kind no symptom names


@dataclass(frozen=True)
class Signature:
    kind: str             # refused | unresolvable | timeout | rejected | auth | terminated | ...
    symptom: str | None   # the catalog symptom this is evidence of, if any
    pattern: re.Pattern[str]
    hint: bool = False    # a network error of any client: counts only on a line that names a database


# Words that tie a generic network error to a database (a DNS failure of a payment API is not one).
DB_HINT = re.compile(
    r"(?i)\b(5432|3306|1433|3307)\b|/cloudsql/|postgres|\bpg\b|psql|mysql|mariadb|sql ?server|"
    r"mssql|\bsql\b|database|\bdb\b|jdbc|sequelize|prisma|typeorm|knex|hikari|sqlalchemy|"
    r"activerecord|npgsql|pgx|asyncpg|psycopg|pymysql"
)


def _s(kind: str, symptom: str | None, *patterns: str, hint: bool = False) -> list[Signature]:
    return [Signature(kind, symptom, re.compile(p), hint) for p in patterns]


SIGNATURES: tuple[Signature, ...] = (
    # --- refused: something answered "nobody listens here"
    *_s("refused", "connection-refused",
        r"(?i)Connection to \S+ refused\. Check that the hostname and port",       # pgjdbc
        r"(?i)connect(ion)? call failed.{0,40}\b(5432|3306|1433)\b",               # asyncpg
        r"(?i)Can't connect to MySQL server on .{0,80}\((111|10061)\b",            # libmysql
        r"SQLSTATE\[HY000\] \[2002\] Connection refused",                          # PHP PDO
        r"(?i)\(2003, \"Can't connect to MySQL server",                            # pymysql
        r"(?i)No connection could be made because the target machine actively refused"),
    # --- unresolvable: the host name (or a path taken for one) does not resolve
    *_s("unresolvable", None,
        r"(?i)could not translate host name",                                      # libpq
        r"(?i)Unknown MySQL server host"),                                         # MySQL
    *_s("unresolvable", None,
        r"(?i)getaddrinfo (ENOTFOUND|EAI_AGAIN)",                                  # Node
        r"(?i)lookup \S+( on \S+)?: no such host",                                 # Go
        r"(?i)java\.net\.UnknownHostException",                                    # Java
        r"(?i)php_network_getaddresses: getaddrinfo failed",                       # PHP
        r"(?i)Name or service not known|nodename nor servname provided",
        r"(?i)No such host is known", hint=True),                                   # .NET
    # --- timeout: packets leave, nothing comes back (or the pool gave up waiting)
    *_s("timeout", "connection-timeout",
        r"(?i)Connection terminated due to connection timeout",                    # node-postgres
        r"(?i)timeout exceeded when trying to connect",                            # pg-pool
        r"(?i)Connection is not available, request timed out after",               # HikariCP
        r"(?i)Connection Timeout Expired",                                         # SqlClient
        r"(?i)Can't reach database server at",                                     # Prisma P1001
        r"(?i)could not obtain a connection from the pool"),                       # ActiveRecord
    *_s("timeout", "connection-timeout",
        r"(?i)connect ETIMEDOUT|Connect Timeout|timeout expired",
        r"(?i)dial tcp \S+: (i/o timeout|connect: connection timed out)", hint=True),
    # --- rejected: the server (or the platform in front of it) refuses this client
    *_s("rejected", None,
        r"(?i)no pg_hba\.conf entry for host",
        r"(?i)Host '[^']*' is not allowed to connect to this MySQL server",
        r"(?i)SSL (is )?required|connection requires a valid client certificate",
        r"(?i)pre-login handshake",                                                # SqlClient
        r"(?i)unix socket not supported|invalid host|unsupported protocol scheme", hint=True),
    # --- auth: the server answered and refused the login
    *_s("auth", "auth-failed",
        r"(?i)Login failed for user",                                              # SQL Server
        r"(?i)ER_ACCESS_DENIED_ERROR|SQLSTATE\[HY000\] \[1045\]",
        r"(?i)Authentication failed against database server",                      # Prisma P1000
        r"(?i)FATAL:\s+role \"[^\"]+\" does not exist",
        r"(?i)InvalidPasswordError|28P01"),
    # --- terminated: an established (often pooled) connection died under the app
    *_s("terminated", None,
        r"(?i)Connection terminated unexpectedly",                                 # node-postgres
        r"(?i)server closed the connection unexpectedly",                          # libpq
        r"(?i)terminating connection due to administrator command",
        r"(?i)Lost connection to MySQL server",
        r"(?i)MySQL server has gone away|SQLSTATE\[HY000\] \[2006\]",
        r"(?i)PROTOCOL_CONNECTION_LOST|The server closed the connection",
        r"(?i)ConnectionDoesNotExistError|connection was closed in the middle of operation",
        r"(?i)SSL connection has been closed unexpectedly",
        r"(?i)driver: bad connection|\[mysql\] .{0,40}invalid connection",        # Go
        r"(?i)Communications link failure",                                        # Connector/J
        r"(?i)This connection has been closed",                                    # pgjdbc
        r"(?i)Exception while reading from stream",                                # Npgsql
        r"(?i)Server has closed the connection"),                                  # Prisma P1017
    # --- unavailable: the server is not accepting connections right now
    *_s("unavailable", None,
        r"(?i)the database system is (starting up|shutting down|in recovery mode)"),
    # --- connection limits
    *_s("too-many", "too-many-connections",
        r"(?i)ER_CON_COUNT_ERROR|SQLSTATE\[HY000\] \[1040\]",
        r"(?i)The connection pool has been exhausted"),
    # --- the connectors' Admin API quota
    *_s("rate-limited", None,
        r"rateLimitExceeded",
        r"(?i)googleapi: Error 429"),
    # --- a driver's generic connect failure (the line names the driver, not the reason)
    *_s("connect-failed", None,
        r"PG::ConnectionBad|Mysql2::Error::ConnectionError|ActiveRecord::ConnectionNotEstablished",
        r"(?i)(psycopg2?|pymysql|MySQLdb|sqlalchemy\.exc)\.OperationalError",
        r"(?i)SQLSTATE\[08\d\d\d\]",
        r"(?i)failed to connect to `(host|user)=",                                 # pgx
        r"(?i)Npgsql\.NpgsqlException.{0,80}Failed to connect",
        r"(?i)Unable to connect to any of the specified MySQL hosts",
        r"(?i)A network-related or instance-specific error occurred",
        r"(?i)PSQLException: The connection attempt failed",
        r"(?i)Cloud SQL connection failed",
        r"(?i)CommunicationsException|CannotGetJdbcConnectionException"),
)

KINDS: tuple[str, ...] = tuple(dict.fromkeys(s.kind for s in SIGNATURES))


def classify(text: str) -> Signature | None:
    """The first signature of the family that the line matches (None: not a database error)."""
    hinted: bool | None = None
    for sig in SIGNATURES:
        if sig.pattern.search(text):
            if sig.hint:
                if hinted is None:
                    hinted = bool(DB_HINT.search(text))
                if not hinted:
                    continue
            return sig
    return None


def is_signal_key(key: str) -> bool:
    return key.startswith(PREFIX)


__all__ = ["KINDS", "PREFIX", "SIGNATURES", "Signature", "classify", "is_signal_key"]
