"""Tests for troubleshooter.redact: every secret shape is masked, harmless text is kept."""

from __future__ import annotations

import pytest

from troubleshooter.redact import (
    REDACTED,
    is_secret_name,
    looks_high_entropy,
    redact,
    redact_env,
    redact_obj,
    secret_in_env,
    token_kind,
)

# (text, the secret substring that must not survive)
SECRET_SAMPLES: list[tuple[str, str]] = [
    # seeds
    ("REDIS_URL=redis://default:Upst4shPw@glowing-gelding-30765.upstash.io:6379", "Upst4shPw"),
    (
        "postgresql+asyncpg://bot_user:B0tPass@/bot_detection?host=/cloudsql/"
        "survey-bot-detection:northamerica-northeast2:bot-db",
        "B0tPass",
    ),
    ("PG_DATABASE_URL=postgresql://postgres:TwentyPw@/postgres?host=/cloudsql/t:us-east1:db", "TwentyPw"),
    ("postgresql://user:SaleorPw@34.41.195.120:5432/db", "SaleorPw"),
    ("APP_SECRET=appsecretvalue", "appsecretvalue"),
    ("REMOVE_BG_API_KEY=removebgkey123", "removebgkey123"),
    # URLs of any scheme
    ("rediss://default:tlsredis@host:6380/0", "tlsredis"),
    ("redis://:onlypass@host:6379", "onlypass"),
    ("amqp://guest:rabbitpw@mq:5672/", "rabbitpw"),
    ("mysql+pymysql://root:myPw@/db?unix_socket=/cloudsql/p:us-central1:i", "myPw"),
    ("jdbc:postgresql://10.0.0.3:5432/db?user=app&password=jdbcPw", "jdbcPw"),
    ("postgresql://u:p%40ss%2Fword@host/db", "p%40ss%2Fword"),
    ("postgresql://u:raw@pass@host/db", "raw@pass"),
    ("postgresql://u:sl/ash@host/db", "sl/ash"),
    ("postgresql://u:hash#pw@host:5432/db", "hash#pw"),
    ("see https://x:8080/a?next=postgresql://u:nestedpw@h/db", "nestedpw"),
    ("u:gopw@tcp(127.0.0.1:3306)/db", "gopw"),
    ("u:gounix@unix(/cloudsql/p:us-central1:i)/db", "gounix"),
    # key=value DSNs, query strings
    ("host=/cloudsql/p:r:i dbname=app user=x password=kvpw sslmode=disable", "kvpw"),
    ("host=/cloudsql/p:r:i password='quoted pw' user=x", "quoted pw"),
    ("Server=tcp:h,1433;Database=d;Uid=sa;Pwd=odbcpw;Encrypt=yes", "odbcpw"),
    ("Host=h;Username=u;Password=npgsqlpw;Database=d", "npgsqlpw"),
    ("passwd=pw1 other", "pw1"),
    ("https://api.example.com/x?token=tok123&a=1", "tok123"),
    ("?access_token=acc123", "acc123"),
    ("https://x/y?key=k3y&q=1", "k3y"),
    ("?api_key=ak1&apikey=ak2", "ak1"),
    ("?apikey=ak2", "ak2"),
    ("https://blob/x?sv=1&sig=s1gn4ture", "s1gn4ture"),
    ("https://storage.googleapis.com/b/o?X-Goog-Signature=abcdef0123", "abcdef0123"),
    ("?signature=zzsig", "zzsig"),
    ("?secret=shh", "shh"),
    ("note: password=abc123 then", "abc123"),
    ('{"password": "jsonpw", "user": "bob"}', "jsonpw"),
    ('{\\"db_password\\":\\"escapedpw\\"}', "escapedpw"),
    ("password: yamlpw", "yamlpw"),
    ("DB_PASS=hunter2", "hunter2"),
    ("PGPASSWORD=pgpw psql -h x", "pgpw"),
    ("mysql -u root --password clipw -h 1.2.3.4", "clipw"),
    ("ALTER USER bob WITH PASSWORD 'sqlpw';", "sqlpw"),
    ("CREATE USER x IDENTIFIED BY 'mysqlpw'", "mysqlpw"),
    # headers and token shapes
    ('curl -H "Authorization: Bearer abc.def-12345678" https://x', "abc.def-12345678"),
    ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ("x-api-key: hdrkey123", "hdrkey123"),
    ("key is AIzaSyA1234567890abcdefghijklmnopqrstuv here", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    ("token ya29.a0AfH6SMBxyz123456789 used", "ya29.a0AfH6SMBxyz123456789"),
    (
        '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq\\n-----END PRIVATE KEY-----\\n"}',
        "MIIEvQIBADANBgkq",
    ),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----", "MIIBOgIBAAJBAK"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\ntruncatedbody", "truncatedbody"),
    ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
    ("slack xoxp-1234567890-abcdefghij", "xoxp-1234567890-abcdefghij"),
    ("stripe sk_live_abcdefghijklmnop", "sk_live_abcdefghijklmnop"),
    ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("aws AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOP"),
    ("openai sk-proj-abcdefghijklmnopqrstuvwx", "sk-proj-abcdefghijklmnopqrstuvwx"),
    ("tg 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("hook https://hooks.slack.com/services/T000/B000/XXXXsecret", "XXXXsecret"),
]

HARMLESS: list[str] = [
    "survey-bot-detection:northamerica-northeast2:bot-db",
    "tracepoint-d4c9d:us-east1:tracepoint-top-db",
    "glowing-gelding-30765.upstash.io",
    "/cloudsql/telepay-459221:us-central1:telepaypsql/.s.PGSQL.5432",
    "sslmode=require",
    "host=/cloudsql/p:us-central1:i dbname=app user=bot_user sslmode=disable",
    'password authentication failed for user "bot_user"',
    'connection to server on socket "/cloudsql/p:r:i/.s.PGSQL.5432" failed: No such file or directory',
    'Cloud SQL instance "survey-bot-detection:northamerica-northeast2:bot-db\r" is not reachable',
    "ECONNREFUSED 127.0.0.1:5432",
    "postgresql://user@localhost:5432/db",
    "https://gchostpay3-10-26-291176869049.us-central1.run.app",
    "https://host:8443/path?email=a@b.com",
    "Error 403: NOT_AUTHORIZED: cloudsql.instances.get",
    "Permission denied on secret: projects/123/secrets/db-pass/versions/latest for Revision",
    'gcloud run deploy --set-secrets="DATABASE_PASSWORD_SECRET=DATABASE_PASSWORD_SECRET:latest"',
    "the bearer token was missing",
    "119522247395-compute@developer.gserviceaccount.com",
    "gcloud sql users set-password USER --instance=I --prompt-for-password",
    "disk-ssd-task-force",
    "postgresql://postgres:<redacted>@/postgres?host=/cloudsql/t:us-east1:db",
]


@pytest.mark.parametrize(("text", "secret"), SECRET_SAMPLES)
def test_secret_never_survives(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert REDACTED in out


@pytest.mark.parametrize(("text", "secret"), SECRET_SAMPLES)
def test_idempotent(text: str, secret: str) -> None:
    once = redact(text)
    assert redact(once) == once


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_untouched(text: str) -> None:
    assert redact(text) == text


def test_keeps_surrounding_bytes() -> None:
    out = redact("postgresql://u:pw@/db?host=/cloudsql/p:r:bot-db\r")
    assert out == "postgresql://u:<redacted>@/db?host=/cloudsql/p:r:bot-db\r"
    assert redact("redis://default:pw@h:6379") == "redis://default:<redacted>@h:6379"
    assert redact("Authorization: Bearer abcdef123456") == "Authorization: Bearer <redacted>"
    assert redact("host=h password='a b' user=u") == "host=h password='<redacted>' user=u"


def test_non_secret_key_does_not_hide_following_secret() -> None:
    assert redact("note: password=abc") == "note: password=<redacted>"
    assert redact("a=1&token=zz&b=2") == "a=1&token=<redacted>&b=2"


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD", "DB_PASS", "PGPASSWORD", "APP_SECRET", "DJANGO_SECRET_KEY", "REMOVE_BG_API_KEY",
        "GITHUB_TOKEN", "RSA_PRIVATE_KEY", "GOOGLE_CREDENTIALS", "ENCRYPTION_KEY", "apiKey",
        "accessToken", "client_secret", "sslpassword", "pwd", "sig", "X-Amz-Signature", "BASIC_AUTH",
        "DATABASE_PASSWORD_SECRET", "key", "privateKeyData",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "AWS_ACCESS_KEY_ID", "POSTGRES_PASSWORD_FILE", "TELEGRAM_BOT_SECRET_NAME", "TOKEN_URI",
        "STRIPE_PUBLISHABLE_KEY", "KMS_KEY_NAME", "kmsKeyName", "RECAPTCHA_SITE_KEY", "DB_HOST",
        "DATABASE_URL", "COMPASS", "SIGNAL", "SSLMODE", "sslkey", "PRIVATE_KEY_ID", "CACHE_KEY",
        "passwordValidationPolicy", "INSTANCE_CONNECTION_NAME",
    ],
)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_env() -> None:
    assert redact_env("APP_SECRET", "abc") == REDACTED
    assert redact_env("REMOVE_BG_API_KEY", "x") == REDACTED
    assert redact_env("DB_PASSWORD", "hunter2") == REDACTED
    assert redact_env("DB_PASSWORD", "") == ""
    assert redact_env("PG_DATABASE_URL", "postgresql://u:pw@/db?host=/cloudsql/p:r:i") == (
        "postgresql://u:<redacted>@/db?host=/cloudsql/p:r:i"
    )
    assert redact_env("DB_HOST", "/cloudsql/p:us-central1:i") == "/cloudsql/p:us-central1:i"
    assert redact_env("INSTANCE_CONNECTION_NAME", "p:r:i\r") == "p:r:i\r"
    assert redact_env("SESSION", "Zk9sR2x3cVhNbE1uT3BRclN0VXZXeFl6MTIzNDU2") == REDACTED
    assert redact_env("COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567") != REDACTED
    assert redact_env("GOOGLE_APPLICATION_CREDENTIALS", "/secrets/sa.json") == "/secrets/sa.json"
    assert redact_env("FEATURE_TOKEN_ENABLED", "true") == "true"
    assert redact_env("AWS_ACCESS_KEY_ID", "AKIAABCDEFGHIJKLMNOP") == REDACTED


def test_high_entropy() -> None:
    assert looks_high_entropy("Zk9sR2x3cVhNbE1uT3BRclN0VXZXeFl6MTIzNDU2")
    assert looks_high_entropy("9f86d081884c7d659a2feaa0c55ad015")
    assert not looks_high_entropy("550e8400-e29b-41d4-a716-446655440000")
    assert not looks_high_entropy("northamerica-northeast2-survey-bot-detection")
    assert not looks_high_entropy("ThisIsAVeryLongCamelCaseIdentifier123")
    assert not looks_high_entropy("short")


def test_secret_in_env() -> None:
    url = "postgresql://postgres:<redacted>@/postgres?host=/cloudsql/t:us-east1:db"
    assert "postgresql URL with an embedded password" in (secret_in_env("PG_DATABASE_URL", url) or "")
    assert "redis URL" in (secret_in_env("REDIS_URL", "redis://default:pw@h:6379") or "")
    assert secret_in_env("APP_SECRET", "<redacted>") is not None
    assert secret_in_env("REMOVE_BG_API_KEY", "k") is not None
    assert "password=" in (secret_in_env("DSN", "host=h user=u password=x") or "")
    assert "Google API key" in (secret_in_env("MAPS", "AIzaSyA1234567890abcdefghijklmnopqrstuv") or "")
    assert secret_in_env("X", "Zk9sR2x3cVhNbE1uT3BRclN0VXZXeFl6MTIzNDU2") is not None
    for name, value in [
        ("PG_DATABASE_URL", "postgresql://postgres@/postgres?host=/cloudsql/t:us-east1:db"),
        ("REDIS_URL", "redis://host:6379"),
        ("DB_PASSWORD", ""),
        ("DB_HOST", "10.0.0.3"),
        ("CLOUD_SQL_CONNECTION_NAME", "telepay-459221:us-central1:telepaypsql"),
        ("SERVER_URL", "https://top.tracepointops.com"),
        ("DB_PASSWORD_FILE", "/run/secrets/db"),
        ("DB_PASSWORD_SECRET", "projects/p/secrets/db-pass"),
        ("IS_MULTIWORKSPACE_ENABLED", "false"),
    ]:
        assert secret_in_env(name, value) is None, name


def test_token_kind() -> None:
    assert token_kind("ghp_abcdefghijklmnopqrstuvwxyz0123456789") == "a GitHub token"
    assert token_kind("hello") is None


def test_redact_obj() -> None:
    service = {
        "template": {
            "containers": [
                {
                    "env": [
                        {"name": "APP_SECRET", "value": "s3cret"},
                        {"name": "DB_PASS", "valueSource": {"secretKeyRef": {"secret": "db-pass", "version": "2"}}},
                        {"name": "PG_DATABASE_URL", "value": "postgresql://u:pw@/d?host=/cloudsql/p:r:i"},
                        {"name": "CLOUD_SQL_CONNECTION_NAME", "value": "p:r:i\r"},
                    ]
                }
            ],
            "maxInstanceCount": 5,
        },
        "users": [{"name": "bot", "password": "userpw"}],
        "log": "connect ECONNREFUSED; token=abc",
        "flags": ("a", None, True),
    }
    out = redact_obj(service)
    env = out["template"]["containers"][0]["env"]
    assert env[0] == {"name": "APP_SECRET", "value": REDACTED}
    assert env[1]["valueSource"]["secretKeyRef"] == {"secret": "db-pass", "version": "2"}
    assert env[2]["value"] == "postgresql://u:<redacted>@/d?host=/cloudsql/p:r:i"
    assert env[3]["value"] == "p:r:i\r"
    assert out["template"]["maxInstanceCount"] == 5
    assert out["users"][0] == {"name": "bot", "password": REDACTED}
    assert out["log"] == "connect ECONNREFUSED; token=<redacted>"
    assert out["flags"] == ("a", None, True)
    # a new object: the input is untouched
    assert service["template"]["containers"][0]["env"][0]["value"] == "s3cret"
    assert "userpw" not in repr(out) and "s3cret" not in repr(out) and ":pw@" not in repr(out)


CONTEXTS = [
    "{}",
    "2025-11-13 20:45:08,186 - app - ERROR - {} (retrying)",
    "prefix\n{}\nsuffix",
    "'{}'",
]


@pytest.mark.parametrize("context", CONTEXTS)
def test_secret_never_survives_in_context(context: str) -> None:
    for text, secret in SECRET_SAMPLES:
        out = redact(context.format(text))
        assert secret not in out, (context, text, out)
        assert redact(out) == out


def test_secret_never_survives_json_encoded() -> None:
    import json

    for text, secret in SECRET_SAMPLES:
        encoded = json.dumps({"textPayload": text})
        out = redact(encoded)
        assert json.dumps(secret)[1:-1] not in out, (text, out)
        assert redact_obj(json.loads(encoded))["textPayload"] == redact(text)


# --- issue 15: shapes that leaked, and linear time ---------------------------------------

LEAKED_SHAPES = [
    ("postgresql://u:123#abc@host/db", "123#abc"),
    ("postgresql://u:123/abc@host/db", "123/abc"),
    ("postgresql://u:12?ab@host:5432/db", "12?ab"),
    ("postgresql://u:my pass word@host/db", "my pass word"),
    ("'postgresql://u:my pass@host/db'", "my pass"),
    ("mysql -uroot -pS3cretPw -h 10.0.0.1 db", "S3cretPw"),
    ("mysqldump --user=root -p'Quoted Pw' app", "Quoted Pw"),
    ("sqlplus scott/tig3r@orcl", "tig3r"),
    ("jdbc:oracle:thin:scott/Tiger9@//db.example.com:1521/svc", "Tiger9"),
    ("socket mode xapp-1-A0123456789-1234567890123-abcdefabcdef", "xapp-1-A0123456789"),
    ("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
]


@pytest.mark.parametrize(("text", "secret"), LEAKED_SHAPES)
def test_issue15_shapes_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and REDACTED in out
    assert redact(out) == out


@pytest.mark.parametrize("text", [
    "image bitnami/postgresql@sha256:0123abcd",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "gs://bucket/obj@x",
    "https://host:8443/path?email=a@b.com",
])
def test_issue15_lookalikes_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(("name", "value"), [
    ("DB_PW", "hunter2"), ("PGPASS", "hunter2"), ("MYSQL_ROOT_PW", "x9y8"),
    ("DSN", "jdbc:oracle:thin:scott/tiger@//h:1521/s"),
    ("DATABASE_URL", "postgresql://u:123/abc@host/db"),
    ("DATABASE_URL", "postgresql://u:123#abc@host/db"),
])
def test_issue15_plaintext_secret_found(name: str, value: str) -> None:
    assert secret_in_env(name, value)
    assert redact_env(name, value) != value


def test_pgpassfile_is_a_path_not_a_secret() -> None:
    assert secret_in_env("PGPASSFILE", "/secrets/.pgpass") is None


@pytest.mark.parametrize("unit", ["a", "a1", "a://b:", "a-", "x=a", "sk-", "@", "a b", "scott/"])
def test_redaction_is_linear(unit: str) -> None:
    import time

    value = unit * (250_000 // len(unit))
    start = time.perf_counter()
    redact(value), redact_env("X", value), secret_in_env("X", value)
    assert time.perf_counter() - start < 1.5


def test_long_line_cut_at_a_space_leaves_no_half_secret() -> None:
    line = "x " * 8190 + "postgresql://u:LongSecret@host/db" + " y" * 100
    out = redact(line)
    assert "LongSecret" not in out and "chars cut]" in out
