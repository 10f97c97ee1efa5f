"""redact.stand_in: what a captured world holds instead of a secret keeps what the checks read."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from troubleshooter.checks.methods import _unencoded
from troubleshooter.redact import STAND_IN, secret_in_env, shaped_password, stand_in

PASSWORD_CHARS = st.text(alphabet=st.sampled_from("abcXYZ019-_.!$&*+,;=@:/?#[]% '\"~^()<>|"), min_size=1, max_size=24)


def test_a_dsn_password_keeps_its_reserved_characters_only() -> None:
    assert shaped_password("p@ss#w%40rd!") == "redacted@redacted#redacted%40redacted!"
    url = stand_in("DATABASE_URL", "postgresql://app:p@ss#1@10.0.0.3:5432/db")
    assert url == "postgresql://app:redacted@redacted#0@10.0.0.3:5432/db"


@settings(max_examples=500, deadline=None)
@given(PASSWORD_CHARS, st.sampled_from(["postgresql", "mysql", "https", "redis"]))
def test_the_password_encoding_check_decides_the_same_on_the_stand_in(password: str, scheme: str) -> None:
    value = f"{scheme}://app:{password}@db.internal:5432/orders"
    replaced = stand_in("DATABASE_URL", value)
    assert sorted(_unencoded(replaced)) == sorted(_unencoded(value))
    assert bool(secret_in_env("DATABASE_URL", replaced)) == bool(secret_in_env("DATABASE_URL", value))
    assert replaced.count("@") == value.count("@") and replaced.count(":") == value.count(":")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii", categories=("L", "N")), min_size=6, max_size=40))
def test_no_secret_value_survives(secret: str) -> None:
    for name, value in (("DB_PASSWORD", secret), ("DATABASE_URL", f"mysql://u:{secret}@10.1.2.3/db"),
                        ("CONN", f"host=/cloudsql/p:r:i user=u password={secret} dbname=d")):
        replaced = stand_in(name, value)
        assert secret not in replaced or secret in STAND_IN or secret in value.replace(secret, "")


def test_tokens_keep_their_kind_and_names_stay_secret_looking() -> None:
    for name, value in (("SLACK", "xoxb-1234567890-abcdefghijkl"), ("STRIPE", "sk_live_abcdefghijklmnop1234"),
                        ("BOT", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"), ("DB_PASSWORD", "hunter2"),
                        ("SIGNING", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI")):
        replaced = stand_in(name, value)
        assert replaced != value and value not in replaced
        assert secret_in_env(name, replaced) == secret_in_env(name, value)


def test_a_secret_named_value_keeps_nothing_of_itself() -> None:
    for value in ("c2VjcmV0cGFzcw==", "a=b", "x://y", "pa=ss word", "host=db password=pw"):
        assert stand_in("DB_PASSWORD", value) == STAND_IN


def test_what_is_no_secret_is_kept() -> None:
    for name, value in (("DB_HOST", "/cloudsql/p:r:i"), ("DB_PASSWORD", ""), ("FEATURE_TOKEN_ENABLED", "true"),
                        ("DB_PASS_REF", "projects/p/secrets/db-pass/versions/3"), ("LOG_LEVEL", "info")):
        assert stand_in(name, value) == value
