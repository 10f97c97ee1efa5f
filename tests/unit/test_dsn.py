"""Tests for troubleshooter.dsn: DSN forms, app connections from env, connection-name checks."""

from __future__ import annotations

import dataclasses

import pytest

from troubleshooter.dsn.connections import AppConnection, app_connections, app_instances
from troubleshooter.dsn.kinds import host_kind, normalize_engine
from troubleshooter.dsn.names import (
    CONNECTION_NAME_RE,
    connection_name_problem,
    is_valid_connection_name,
    looks_like_project_number,
)
from troubleshooter.dsn.parse import parse_dsn
from troubleshooter.dsn.parsed import ParsedDsn
from troubleshooter.dsn.roles import env_role
from troubleshooter.dsn.sockets import (
    SOCKET_PATH_MAX,
    instance_from_socket_path,
    socket_path,
    socket_path_length_problem,
    socket_path_too_long,
)
from troubleshooter.dsn.verdicts import socket_path_problem

SURVEY = "survey-bot-detection:northamerica-northeast2:bot-db"
TWENTY = "tracepoint-d4c9d:us-east1:tracepoint-top-db"


def must_parse(value: str) -> ParsedDsn:
    parsed = parse_dsn(value)
    assert parsed is not None, value
    return parsed


# --- parse_dsn: the seed incidents --------------------------------------------------------


def test_survey_bot_asyncpg_socket_keeps_carriage_return() -> None:
    d = must_parse(f"postgresql+asyncpg://bot_user:pw@/bot_detection?host=/cloudsql/{SURVEY}\r")
    assert d.scheme == "postgresql+asyncpg"
    assert d.engine == "postgres"
    assert d.host == ""
    assert d.empty_host
    assert d.socket_path == f"/cloudsql/{SURVEY}\r"
    assert d.instance == f"{SURVEY}\r"
    assert d.transport == "unix-socket"
    assert d.host_kind == "socket"
    assert (d.database, d.user, d.has_password) == ("bot_detection", "bot_user", True)
    assert d.redacted == f"postgresql+asyncpg://bot_user:<redacted>@/bot_detection?host=/cloudsql/{SURVEY}\r"
    assert "\\r" in d.display and "pw" not in d.display


def test_twenty_empty_authority_socket_url() -> None:
    d = must_parse(f"postgresql://postgres:pw@/postgres?host=/cloudsql/{TWENTY}")
    assert d.empty_host and d.host == ""
    assert d.instance == TWENTY
    assert d.params["host"] == f"/cloudsql/{TWENTY}"


def test_twenty_localhost_tcp() -> None:
    d = must_parse("postgres://user:pw@localhost:5432/postgres")
    assert (d.scheme, d.host, d.port, d.transport, d.host_kind) == ("postgres", "localhost", 5432, "tcp", "localhost")
    assert not d.empty_host and d.instance is None


def test_saleor_public_ip() -> None:
    d = must_parse("postgresql://user:pw@34.41.195.120:5432/db")
    assert (d.host, d.host_kind, d.transport, d.sslmode) == ("34.41.195.120", "ip", "tcp", None)


def test_localhost_with_socket_param_socket_wins() -> None:
    d = must_parse(f"postgresql://u:p@localhost/db?host=/cloudsql/{TWENTY}")
    assert d.host == "localhost"
    assert d.transport == "unix-socket" and d.host_kind == "socket"
    assert d.instance == TWENTY
    assert not d.empty_host


# --- parse_dsn: other forms ---------------------------------------------------------------


def test_libpq_url_with_sslmode() -> None:
    d = must_parse("postgresql://u:p@10.1.2.3:5432/db?sslmode=require")
    assert d.sslmode == "require" and d.host_kind == "ip" and d.port == 5432


def test_url_encoded_password_and_user() -> None:
    d = must_parse("postgresql://us%40er:p%40ss%2Fw@host/db")
    assert d.user == "us@er" and d.has_password
    assert d.redacted == "postgresql://us%40er:<redacted>@host/db"


@pytest.mark.parametrize(
    "value",
    ["postgresql://u:p@ss@host/db", "postgresql://u:p/ss@host/db", "postgresql://u:p?ss@host/db", "postgresql://u:p#ss@host/db"],
)
def test_unencoded_password_characters(value: str) -> None:
    d = must_parse(value)
    assert (d.host, d.database, d.user, d.has_password) == ("host", "db", "u", True)
    assert d.redacted == "postgresql://u:<redacted>@host/db"


def test_at_sign_in_query_is_not_userinfo() -> None:
    d = must_parse("postgresql://host:5432/db?application_name=a@b")
    assert (d.host, d.port, d.user, d.has_password) == ("host", 5432, None, False)


def test_sqlalchemy_psycopg2() -> None:
    d = must_parse("postgresql+psycopg2://u:p@10.0.0.5/db")
    assert d.engine == "postgres" and d.host_kind == "ip"


def test_sqlalchemy_pymysql_unix_socket() -> None:
    d = must_parse("mysql+pymysql://u:p@/db?unix_socket=/cloudsql/p:us-central1:i")
    assert d.engine == "mysql"
    assert d.socket_param == "unix_socket"
    assert d.instance == "p:us-central1:i"
    assert d.transport == "unix-socket"


def test_prisma_socket_with_schema() -> None:
    d = must_parse("postgresql://u:p@localhost/db?host=/cloudsql/p:us-central1:i&schema=public")
    assert d.instance == "p:us-central1:i" and d.params["schema"] == "public"


def test_mysql_url_ssl_mode() -> None:
    d = must_parse("mysql://u:p@10.0.0.2:3306/app?ssl-mode=REQUIRED")
    assert (d.engine, d.sslmode, d.port) == ("mysql", "REQUIRED", 3306)


def test_sqlserver_forms() -> None:
    d = must_parse("sqlserver://10.1.1.1:1433;database=db;user=sa;password=x;encrypt=true")
    assert (d.engine, d.host, d.port, d.database, d.user, d.has_password) == (
        "sqlserver", "10.1.1.1", 1433, "db", "sa", True
    )
    assert "password=<redacted>" in d.redacted and "=x;" not in d.redacted
    d = must_parse("mssql+pyodbc://sa:pw@10.1.1.1:1433/db?driver=ODBC+Driver+18+for+SQL+Server")
    assert d.engine == "sqlserver" and d.database == "db"


def test_libpq_keyvalue_with_quotes() -> None:
    d = must_parse(r"host=/cloudsql/p:us-central1:i dbname=app user=x password='a b\'c' sslmode=disable")
    assert d.form == "keyvalue"
    assert (d.socket_path, d.instance, d.database, d.user, d.sslmode) == (
        "/cloudsql/p:us-central1:i", "p:us-central1:i", "app", "x", "disable"
    )
    assert d.has_password and "a b" not in d.redacted and "<redacted>" in d.redacted
    quoted = must_parse("host='/cloudsql/p:r:bot-db\r' dbname=app")
    assert quoted.instance == "p:r:bot-db\r"


def test_jdbc_tcp_and_connector() -> None:
    d = must_parse("jdbc:postgresql://10.0.0.3:5432/db?user=app&password=pw")
    assert (d.form, d.engine, d.host, d.user, d.has_password) == ("jdbc", "postgres", "10.0.0.3", "app", True)
    assert "pw" not in d.redacted
    d = must_parse(
        "jdbc:postgresql:///db?cloudSqlInstance=p:us-central1:i"
        "&socketFactory=com.google.cloud.sql.postgres.SocketFactory"
    )
    assert (d.transport, d.instance, d.host_kind) == ("connector", "p:us-central1:i", "none")
    d = must_parse("jdbc:mysql:///db?cloudSqlInstance=p:us-central1:i&socketFactory=com.google.cloud.sql.mysql.SocketFactory")
    assert d.engine == "mysql" and d.transport == "connector"


def test_go_mysql_and_ado() -> None:
    d = must_parse("u:pw@unix(/cloudsql/p:us-central1:i)/db?parseTime=true")
    assert (d.form, d.engine, d.instance, d.transport) == ("go-mysql", "mysql", "p:us-central1:i", "unix-socket")
    assert d.redacted == "u:<redacted>@unix(/cloudsql/p:us-central1:i)/db?parseTime=true"
    d = must_parse("Server=tcp:10.0.0.3,1433;Database=db;User Id=sa;Password={a;b};Encrypt=yes")
    assert (d.form, d.engine, d.host, d.port, d.user) == ("ado", "sqlserver", "10.0.0.3", 1433, "sa")
    assert "a;b" not in d.redacted
    d = must_parse("Host=/cloudsql/p:us-central1:i;Database=db;Username=u;Password=pw")
    assert (d.engine, d.transport, d.instance) == ("postgres", "unix-socket", "p:us-central1:i")


def test_percent_encoded_socket_host() -> None:
    d = must_parse("postgresql://u:pw@%2Fcloudsql%2Fp%3Aus-central1%3Ai/db")
    assert (d.socket_path, d.socket_param, d.instance) == ("/cloudsql/p:us-central1:i", "authority", "p:us-central1:i")


def test_host_is_a_connection_name() -> None:
    d = must_parse("postgresql://u:p@p:us-central1:i/db")
    assert d.instance == "p:us-central1:i" and d.transport == "tcp"
    assert any("connection name" in n for n in d.notes)


def test_ipv6_and_ports() -> None:
    assert must_parse("postgresql://u:p@[::1]:5432/db").host_kind == "localhost"
    assert must_parse("postgresql://u:p@[2001:db8::1]:5432/db").host_kind == "ip"
    bad = must_parse("postgresql://u:p@host:54x2/db")
    assert bad.port is None and bad.notes


def test_not_dsns() -> None:
    for value in ["", "p:us-central1:i", "10.0.0.3", "/cloudsql/p:r:i", "run", "true"]:
        assert parse_dsn(value) is None, value


def test_params_are_redacted_and_frozen() -> None:
    d = must_parse("postgresql://u@h/db?password=pw&sslpassword=x&application_name=app")
    assert d.params["password"] == "<redacted>" and d.params["sslpassword"] == "<redacted>"
    assert d.params["application_name"] == "app"
    with pytest.raises(TypeError):
        d.params["x"] = "y"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.host = "other"  # type: ignore[misc]
    assert "pw" not in repr(d)


def test_host_kind() -> None:
    hosts = ["localhost", "127.0.0.1", "::1", "0.0.0.0", "10.0.0.1", "db.internal", "/cloudsql/x", "", None]
    assert [host_kind(h) for h in hosts] == [
        "localhost", "localhost", "localhost", "localhost", "ip", "hostname", "socket", "none", "none"
    ]


# --- connection names ---------------------------------------------------------------------


def test_connection_name_regex_is_byte_exact() -> None:
    assert CONNECTION_NAME_RE.fullmatch(SURVEY)
    assert not CONNECTION_NAME_RE.fullmatch(SURVEY + "\n")
    assert is_valid_connection_name(SURVEY)
    assert is_valid_connection_name("example.com:proj:us-central1:db")
    assert not is_valid_connection_name(SURVEY + "\r")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        (SURVEY + "\r", "carriage return"),
        (SURVEY + "\n", "newline"),
        (SURVEY + " ", "space"),
        ("", "empty"),
        (".s.PGSQL.5432", "empty"),
        ("bot-db", "bare instance name"),
        ("proj:bot-db", "two parts"),
        ("us-central1:bot-db", "no project"),
        ("proj:us-central1-a:db", "zone"),
        ("My-Proj:us-central1:db", "uppercase"),
        ("123456789012:us-central1:db", "project number"),
        ("/cloudsql/p:us-central1:i", "socket path"),
        ("proj:uscentral:db", "region"),
        ("proj:us-central1:db_1", "does not match"),
    ],
)
def test_connection_name_problem(name: str, fragment: str) -> None:
    problem = connection_name_problem(name)
    assert problem is not None and fragment in problem, problem


def test_connection_name_problem_shows_repr() -> None:
    problem = connection_name_problem(SURVEY + "\r") or ""
    assert "'survey-bot-detection:northamerica-northeast2:bot-db\\r'" in problem


@pytest.mark.parametrize(
    "name", [SURVEY, TWENTY, "telepay-459221:us-central1:telepaypsql", "example.com:proj:us-central1:db"]
)
def test_good_connection_names(name: str) -> None:
    assert connection_name_problem(name) is None


def test_project_number() -> None:
    assert looks_like_project_number("119522247395:us-central1:db")
    assert not looks_like_project_number(SURVEY)
    assert not looks_like_project_number("12345")


# --- socket paths -------------------------------------------------------------------------


def test_socket_path() -> None:
    assert socket_path("p:r:i", "postgres") == "/cloudsql/p:r:i/.s.PGSQL.5432"
    assert socket_path("p:r:i", "POSTGRES_15") == "/cloudsql/p:r:i/.s.PGSQL.5432"
    assert socket_path("p:r:i", "mysql") == "/cloudsql/p:r:i"
    with pytest.raises(ValueError):
        socket_path("p:r:i", "sqlserver")
    assert instance_from_socket_path("/cloudsql/p:r:i/.s.PGSQL.5432") == "p:r:i"
    assert instance_from_socket_path("/cloudsql//.s.PGSQL.5432") == ""
    assert instance_from_socket_path("/tmp/x") is None
    assert normalize_engine("MYSQL_8_0") == "mysql" and normalize_engine("SQLSERVER_2019_STANDARD") == "sqlserver"


def test_socket_path_length_limit_in_bytes() -> None:
    # /cloudsql/ (10) + name + /.s.PGSQL.5432 (14) = 107 exactly at 83 bytes of name
    fits = "p" * 10 + ":us-central1:" + "i" * 60
    assert len(socket_path(fits).encode()) == SOCKET_PATH_MAX
    assert not socket_path_too_long(fits) and socket_path_length_problem(fits) is None
    assert socket_path_too_long(fits + "x")
    assert "108 bytes" in (socket_path_length_problem(fits + "x") or "")
    assert not socket_path_too_long(fits + "x", "mysql")
    assert socket_path_too_long(fits[:-1] + "é")  # 2 bytes in UTF-8


@pytest.mark.parametrize(
    ("value", "engine", "fragment"),
    [
        ("postgresql://u:p@/db?host=/cloudsql/p:r:i/.s.PGSQL.5432", None, "directory"),
        ("host=/cloudsql/p:r:i/.s.PGSQL.5432 dbname=d", None, "directory"),
        ("mysql+pymysql://u:p@/db?unix_socket=/cloudsql/p:r:i/.s.PGSQL.5432", None, "Postgres socket"),
        ("postgresql+pg8000://u:p@/db?unix_sock=/cloudsql/p:r:i", None, "socket file"),
        ("postgresql://u:p@/db?host=/cloudsql/p:r:i", "MYSQL_8_0", "instance is mysql"),
        ("postgresql://u:p@/db?host=/var/run/postgresql", None, "not under /cloudsql/"),
        ("postgresql://u:p@/db?host=/cloudsql", None, "names no instance"),
        ("postgresql://u:p@/db?host=cloudsql/p:r:i", None, "leading '/'"),
    ],
)
def test_socket_path_problem(value: str, engine: str | None, fragment: str) -> None:
    problem = socket_path_problem(must_parse(value), engine)
    assert problem is not None and fragment in problem, problem


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://u:p@/db?host=/cloudsql/p:r:i",
        "postgresql+pg8000://u:p@/db?unix_sock=/cloudsql/p:r:i/.s.PGSQL.5432",
        "mysql+pymysql://u:p@/db?unix_socket=/cloudsql/p:r:i",
        "postgresql://u:p@10.0.0.3/db",
    ],
)
def test_socket_path_ok(value: str) -> None:
    assert socket_path_problem(must_parse(value)) is None


# --- app connections ----------------------------------------------------------------------


def secret_var(name: str, secret: str, version: str = "latest") -> dict[str, object]:
    return {"name": name, "valueSource": {"secretKeyRef": {"secret": secret, "version": version}}}


def test_env_roles() -> None:
    assert env_role("DATABASE_URL") == "url"
    assert env_role("PG_DATABASE_URL") == "url"
    assert env_role("ANALYTICS_DB_URL") == "url"
    assert env_role("SQLALCHEMY_DATABASE_URI") == "url"
    assert env_role("INSTANCE_CONNECTION_NAME") == "connection-name"
    assert env_role("CLOUDSQL_CONNECTION_NAME") == "connection-name"
    assert env_role("INSTANCE_UNIX_SOCKET") == "socket-path"
    assert env_role("PGHOST") == "host"
    assert env_role("DATABASE_HOST_SECRET") == "host"
    assert env_role("POSTGRES_PASSWORD") == "password"
    assert env_role("REDIS_URL") is None
    assert env_role("APP_SECRET") is None


def test_twenty_env() -> None:
    env = [
        {"name": "DATABASE_MIGRATION", "value": "run"},
        {"name": "SERVER_URL", "value": "https://top.tracepointops.com"},
        {"name": "DEFAULT_SUBDOMAIN"},
        {"name": "APP_SECRET", "value": "appsecret"},
        {"name": "REDIS_URL", "value": "redis://default:pw@glowing-gelding-30765.upstash.io:6379"},
        {"name": "PG_DATABASE_URL", "value": f"postgresql://postgres:pgpw@/postgres?host=/cloudsql/{TWENTY}"},
        {"name": "REMOVE_BG_API_KEY", "value": "rmbg"},
    ]
    conns = app_connections(env)
    assert len(conns) == 1
    (conn,) = conns
    assert conn.source == ("PG_DATABASE_URL",) and conn.kind == "url"
    assert conn.instance == TWENTY and conn.readable and conn.problem is None
    assert conn.dsn is not None and conn.dsn.empty_host
    assert "pgpw" not in conn.display and "<redacted>" in conn.display


def test_survey_bot_secret_is_not_guessed() -> None:
    conns = app_connections([secret_var("DATABASE_URL", "projects/survey-bot-detection/secrets/DATABASE_URL", "7")])
    assert conns == [
        AppConnection(
            source=("DATABASE_URL",),
            kind="secret",
            secret_ref="projects/survey-bot-detection/secrets/DATABASE_URL:7",
            readable=False,
            display="DATABASE_URL=<from Secret Manager projects/survey-bot-detection/secrets/DATABASE_URL:7>",
            role="url",
        )
    ]


def test_v1_secret_ref() -> None:
    env = [{"name": "DB_PASS", "valueFrom": {"secretKeyRef": {"name": "db-pass", "key": "latest"}}}]
    (conn,) = app_connections(env)
    assert conn.kind == "secret" and conn.secret_ref == "db-pass:latest" and conn.role == "password"


def test_telepay_connection_name_and_secret_split() -> None:
    env = [
        {"name": "GOOGLE_CLOUD_PROJECT", "value": "telepay-459221"},
        {"name": "CLOUD_SQL_CONNECTION_NAME", "value": "telepay-459221:us-central1:telepaypsql"},
        secret_var("TELEGRAM_BOT_SECRET_NAME", "TELEGRAM_BOT_SECRET_NAME"),
        secret_var("DATABASE_HOST_SECRET", "DATABASE_HOST_SECRET"),
        secret_var("DATABASE_PASSWORD_SECRET", "DATABASE_PASSWORD_SECRET"),
    ]
    conns = app_connections(env)
    assert [(c.kind, c.source, c.role) for c in conns] == [
        ("connection-name", ("CLOUD_SQL_CONNECTION_NAME",), None),
        ("secret", ("DATABASE_HOST_SECRET",), "host"),
        ("secret", ("DATABASE_PASSWORD_SECRET",), "password"),
    ]
    assert conns[0].instance == "telepay-459221:us-central1:telepaypsql" and conns[0].problem is None
    assert conns[1].secret_ref == "DATABASE_HOST_SECRET:latest"


def test_connection_name_with_carriage_return_and_empty() -> None:
    conns = app_connections(
        [
            {"name": "INSTANCE_CONNECTION_NAME", "value": SURVEY + "\r"},
            {"name": "CLOUD_SQL_CONNECTION_NAME"},
        ]
    )
    assert conns[0].instance == SURVEY + "\r"
    assert "carriage return" in (conns[0].problem or "")
    assert "\\r" in conns[0].display
    assert conns[1].instance == "" and "empty" in (conns[1].problem or "")
    assert app_instances(conns) == (SURVEY + "\r", "")


def test_split_variables_combine() -> None:
    env = [
        {"name": "DB_USER", "value": "postgres"},
        {"name": "DB_PASS", "value": "hunter2"},
        {"name": "DB_NAME", "value": "telepaydb"},
        {"name": "DB_HOST", "value": "/cloudsql/telepay-459221:us-central1:telepaypsql"},
        {"name": "DB_PORT", "value": "5432"},
    ]
    (conn,) = app_connections(env)
    assert conn.kind == "split"
    assert conn.source == ("DB_USER", "DB_PASS", "DB_NAME", "DB_HOST", "DB_PORT")
    assert conn.instance == "telepay-459221:us-central1:telepaypsql"
    assert conn.dsn is not None
    assert (conn.dsn.user, conn.dsn.database, conn.dsn.port) == ("postgres", "telepaydb", 5432)
    assert conn.dsn.engine == "postgres"
    assert conn.dsn.transport == "unix-socket" and conn.dsn.has_password
    assert "hunter2" not in conn.display and "DB_PASS='<redacted>'" in conn.display


def test_split_localhost_tcp_and_socket_file_mistake() -> None:
    (conn,) = app_connections([{"name": "PGHOST", "value": "127.0.0.1"}, {"name": "PGDATABASE", "value": "d"}])
    assert conn.dsn is not None and conn.dsn.host_kind == "localhost" and conn.dsn.transport == "tcp"
    (conn,) = app_connections([{"name": "DB_HOST", "value": "/cloudsql/p:us-central1:i/.s.PGSQL.5432"}])
    assert "directory" in (conn.problem or "")


def test_socket_path_variables() -> None:
    conns = app_connections(
        [
            {"name": "INSTANCE_UNIX_SOCKET", "value": "/cloudsql/p:us-central1:i"},
            {"name": "DB_SOCKET_PATH", "value": "/cloudsql"},
            {"name": "INSTANCE_CONNECTION_NAME", "value": "p:us-central1:i"},
        ]
    )
    assert [c.kind for c in conns] == ["socket-path", "socket-path", "connection-name"]
    assert conns[0].instance == "p:us-central1:i" and conns[0].problem is None
    assert conns[1].instance is None and conns[1].problem is None
    assert app_instances(conns) == ("p:us-central1:i",)


def test_values_recognised_under_other_names() -> None:
    conns = app_connections(
        [
            {"name": "MAIN_DSN", "value": "host=/cloudsql/p:us-central1:i dbname=app user=u"},
            {"name": "JDBC", "value": "jdbc:mysql://10.0.0.3:3306/app"},
            {"name": "SQL_TARGET", "value": "p:us-central1:i"},
            {"name": "REDIS_URL", "value": "redis://h:6379"},
            {"name": "SENTRY_DSN", "value": "https://abc@o1.ingest.sentry.io/1"},
        ]
    )
    assert [(c.source[0], c.kind) for c in conns] == [
        ("MAIN_DSN", "keyvalue"),
        ("JDBC", "url"),
        ("SQL_TARGET", "connection-name"),
    ]


def test_unreadable_url_value() -> None:
    (conn,) = app_connections([{"name": "DATABASE_URL", "value": "not a dsn"}])
    assert conn.kind == "url" and conn.dsn is None and conn.problem is not None
    (conn,) = app_connections([{"name": "DATABASE_URL", "value": ""}])
    assert conn.problem == "empty"
