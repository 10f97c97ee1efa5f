"""Tests for the sandbox's Cloud Logging filter evaluator."""

from __future__ import annotations

from typing import Any

import pytest

from troubleshooter.sandbox.logfilter import (
    FilterError,
    compile_filter,
    parse_timestamp,
)

PROJECT = "telepay-459221"
SERVICE = "gcdonationhandler-10-26"


def run_entry(
    text: str | None = None,
    *,
    severity: str | None = None,
    timestamp: str = "2026-11-22T10:00:00.123456Z",
    service: str = SERVICE,
    json_payload: dict[str, Any] | None = None,
    log: str = "run.googleapis.com%2Fstderr",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "logName": f"projects/{PROJECT}/logs/{log}",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {
                "project_id": PROJECT,
                "service_name": service,
                "revision_name": f"{service}-00007-abc",
                "location": "us-central1",
                "configuration_name": service,
            },
        },
        "timestamp": timestamp,
        "labels": {"instanceId": "00f0", "run.googleapis.com/base_image_versions": "x"},
    }
    if text is not None:
        entry["textPayload"] = text
    if json_payload is not None:
        entry["jsonPayload"] = json_payload
    if severity is not None:
        entry["severity"] = severity
    return entry


def job_entry(text: str, *, severity: str = "ERROR") -> dict[str, Any]:
    return {
        "logName": f"projects/{PROJECT}/logs/run.googleapis.com%2Fstdout",
        "resource": {
            "type": "cloud_run_job",
            "labels": {"job_name": "migrate", "location": "us-central1", "project_id": PROJECT},
        },
        "textPayload": text,
        "severity": severity,
        "timestamp": "2026-11-22T09:30:00Z",
    }


STDERR_REFUSED = run_entry(
    'psycopg2.OperationalError: connection to server on socket "/cloudsql/telepay-459221:us-central1:telepaypsql/.s.PGSQL.5432" failed: No such file or directory'
)
JSON_ERROR = run_entry(
    json_payload={"message": "Cloud SQL connection failed", "attempt": 3, "db": {"host": "10.0.0.5"}},
    severity="ERROR",
    timestamp="2026-11-22T11:15:00+01:00",
)
HEALTH_INFO = run_entry("GET /health 200", severity="INFO", timestamp="2026-11-22T08:59:59.999999999Z")
JOB_REFUSED = job_entry("could not connect to server: Connection refused")
OTHER_SERVICE = run_entry("cloudsql proxy ready", service="other-svc", severity="NOTICE")

ALL = [STDERR_REFUSED, JSON_ERROR, HEALTH_INFO, JOB_REFUSED, OTHER_SERVICE]


def matching(text: str) -> list[dict[str, Any]]:
    predicate = compile_filter(text)
    return [entry for entry in ALL if predicate(entry)]


# -- realistic probe filters --------------------------------------------------------------------


def test_service_scope_with_time_window() -> None:
    query = (
        'resource.type="cloud_run_revision" AND resource.labels.service_name="gcdonationhandler-10-26" '
        'AND resource.labels.location="us-central1" AND timestamp>="2026-11-22T09:00:00Z"'
    )
    # HEALTH_INFO is one nanosecond-ish before 09:00; JSON_ERROR is 10:15Z written with an offset.
    assert matching(query) == [STDERR_REFUSED, JSON_ERROR]


def test_resource_types_and_global_terms() -> None:
    query = (
        '(resource.type="cloud_run_revision" OR resource.type="cloud_run_job") '
        'AND ("cloudsql" OR "Cloud SQL" OR "/cloudsql/")'
    )
    assert matching(query) == [STDERR_REFUSED, JSON_ERROR, OTHER_SERVICE]


def test_job_connection_refused() -> None:
    assert matching('resource.labels.job_name="migrate" AND textPayload:"Connection refused"') == [JOB_REFUSED]


def test_severity_ranks_and_default() -> None:
    assert matching("severity>=ERROR") == [JSON_ERROR, JOB_REFUSED]
    assert matching('severity >= "warning"') == [JSON_ERROR, JOB_REFUSED]
    # A stderr line without severity is DEFAULT, the lowest rank.
    assert matching("severity=DEFAULT") == [STDERR_REFUSED]
    assert matching("severity<INFO") == [STDERR_REFUSED]
    assert matching("severity>=500") == [JSON_ERROR, JOB_REFUSED]
    assert matching("severity!=ERROR") == [STDERR_REFUSED, HEALTH_INFO, OTHER_SERVICE]


def test_not_has() -> None:
    assert matching('NOT textPayload:"health"') == [STDERR_REFUSED, JSON_ERROR, JOB_REFUSED, OTHER_SERVICE]
    assert matching('-textPayload:health') == matching('NOT textPayload:"health"')


def test_json_payload_fields() -> None:
    assert matching('jsonPayload.message:"cloud sql"') == [JSON_ERROR]
    assert matching('jsonPayload.message="CLOUD SQL CONNECTION FAILED"') == [JSON_ERROR]
    assert matching("jsonPayload.attempt>=3") == [JSON_ERROR]
    assert matching("jsonPayload.attempt<3") == []
    assert matching('jsonPayload.db.host="10.0.0.5"') == [JSON_ERROR]
    assert matching('jsonPayload:"10.0.0"') == [JSON_ERROR]  # has on a struct searches inside it


def test_regex() -> None:
    assert matching(r'textPayload=~"/cloudsql/[^/]+:us-central1:"') == [STDERR_REFUSED]
    assert matching(r'textPayload=~"\\.s\\.PGSQL\\.\d+"') == [STDERR_REFUSED]
    # Regexes are case-sensitive unless they say otherwise.
    assert matching('textPayload=~"connection refused"') == []
    assert matching('textPayload=~"(?i)connection refused"') == [JOB_REFUSED]
    assert matching('textPayload!~"^GET"') == [STDERR_REFUSED, JOB_REFUSED, OTHER_SERVICE]


# -- operators and values -----------------------------------------------------------------------


def test_empty_filter_matches_everything() -> None:
    assert matching("") == ALL
    assert matching("  \n\t ") == ALL
    assert matching("-- only a comment\n") == ALL


def test_missing_fields_never_match() -> None:
    assert matching('jsonPayload.message!="x"') == [JSON_ERROR]
    assert matching('textPayload!~"zzz"') == [STDERR_REFUSED, HEALTH_INFO, JOB_REFUSED, OTHER_SERVICE]
    assert matching('resource.labels.job_name!="other"') == [JOB_REFUSED]
    assert matching("httpRequest.status>=500") == []


def test_presence() -> None:
    assert matching("jsonPayload:*") == [JSON_ERROR]
    assert matching("resource.labels.job_name:*") == [JOB_REFUSED]
    assert matching("NOT textPayload:*") == [JSON_ERROR]
    assert compile_filter('jsonPayload.x:"*"')({"jsonPayload": {"x": "a*b"}})


def test_quoted_key_with_dots() -> None:
    assert matching('labels."run.googleapis.com/base_image_versions"="x"') == [
        STDERR_REFUSED,
        JSON_ERROR,
        HEALTH_INFO,
        OTHER_SERVICE,
    ]
    assert matching('labels."run.googleapis.com/base_image_versions":*') == matching("labels:*")


def test_value_disjunction_distributes() -> None:
    assert matching('resource.type = ("cloud_run_job" OR "gce_instance")') == [JOB_REFUSED]
    assert matching("severity=(ERROR OR NOTICE)") == [JSON_ERROR, JOB_REFUSED, OTHER_SERVICE]
    assert matching('textPayload:("server" "refused")') == [JOB_REFUSED]
    # NOT distributes outside the comparison, so an entry without textPayload matches too.
    assert matching('textPayload:(NOT "cloudsql")') == [JSON_ERROR, HEALTH_INFO, JOB_REFUSED]


def test_bare_words() -> None:
    assert matching("resource.type=cloud_run_job") == [JOB_REFUSED]
    assert matching("resource.labels.service_name=gcdonationhandler-10-26 severity>=INFO") == [
        JSON_ERROR,
        HEALTH_INFO,
    ]
    assert matching("refused") == [JOB_REFUSED]
    # Lower-case "and" is a search term, not an operator.
    assert matching("ready and") == []


def test_global_search_is_case_insensitive_over_all_fields() -> None:
    assert matching('"CLOUD SQL"') == [JSON_ERROR]
    assert matching("migrate") == [JOB_REFUSED]
    assert matching("other-svc") == [OTHER_SERVICE]


def test_timestamps_compare_as_instants() -> None:
    assert matching('timestamp>"2026-11-22T10:14:59Z" AND timestamp<"2026-11-22T10:15:01Z"') == [JSON_ERROR]
    assert matching('timestamp="2026-11-22T11:15:00+01:00"') == [JSON_ERROR]
    assert matching('timestamp<"2026-11-22T09:00:00Z"') == [HEALTH_INFO]
    assert matching('timestamp<="2026-11-22T08:59:59.999999999Z"') == [HEALTH_INFO]
    assert matching('timestamp<"2026-11-22T08:59:59.999999999Z"') == []
    assert matching('timestamp>="2026-11-22T10:00:00.123456Z" AND timestamp<"2026-11-22T10:00:00.2Z"') == [
        STDERR_REFUSED,
        OTHER_SERVICE,
    ]
    assert matching('timestamp>="2026-11-23"') == []


def test_parse_timestamp() -> None:
    assert parse_timestamp("1970-01-01T00:00:01.5Z") == (1, 500_000_000)
    assert parse_timestamp("1970-01-01T01:00:00+01:00") == (0, 0)
    assert parse_timestamp("not a time") is None


def test_log_name_and_log_id() -> None:
    stdout = f'logName="projects/{PROJECT}/logs/run.googleapis.com%2Fstdout"'
    assert matching(stdout) == [JOB_REFUSED]
    assert matching(stdout.replace("%2F", "/")) == [JOB_REFUSED]
    assert matching('log_id("run.googleapis.com/stdout")') == [JOB_REFUSED]
    assert matching('logName:"stderr"') == [STDERR_REFUSED, JSON_ERROR, HEALTH_INFO, OTHER_SERVICE]


def test_numbers_in_strings_and_arrays() -> None:
    entry = {"httpRequest": {"status": 503, "responseSize": "2048"}, "jsonPayload": {"tags": ["a", "db"]}}
    assert compile_filter("httpRequest.status>=500")(entry)
    assert compile_filter("httpRequest.status=503")(entry)
    assert not compile_filter("httpRequest.status<500")(entry)
    assert compile_filter("httpRequest.responseSize>1000")(entry)  # int64 as JSON string
    assert compile_filter('jsonPayload.tags="db"')(entry)
    assert not compile_filter('jsonPayload.tags="c"')(entry)


def test_null_value() -> None:
    entry = {"jsonPayload": {"gone": None, "here": 1}}
    assert compile_filter("jsonPayload.gone=NULL_VALUE")(entry)
    assert not compile_filter("jsonPayload.here=NULL_VALUE")(entry)
    assert not compile_filter("jsonPayload.gone:*")(entry)


def test_comments_and_newlines() -> None:
    query = """
        resource.type="cloud_run_job"   -- jobs only
        -- severity>=ERROR would be redundant here
        textPayload:"refused"
    """
    assert matching(query) == [JOB_REFUSED]


def test_string_escapes() -> None:
    entry = {"textPayload": 'said "hi"\tthen\\left'}
    assert compile_filter(r'textPayload:"said \"hi\"\tthen\\left"')(entry)
    assert compile_filter(r'textPayload:"\u0068i"')(entry)


# -- precedence ----------------------------------------------------------------------------------


def test_or_binds_tighter_than_and() -> None:
    # Google's reference: "a" OR NOT "b" AND NOT "c" OR "d" == ("a" OR (NOT "b")) AND ((NOT "c") OR "d").
    query = compile_filter('"a" OR NOT "b" AND NOT "c" OR "d"')
    explicit = compile_filter('("a" OR (NOT "b")) AND ((NOT "c") OR "d")')
    for text in ["", "a", "b", "c", "d", "ab", "ac", "ad", "bc", "bd", "cd", "abc", "abd", "acd", "bcd", "abcd"]:
        entry = {"textPayload": text}
        assert query(entry) == explicit(entry), text
    # With AND binding tighter, "a" alone would satisfy the whole query; Google's reading needs (NOT c OR d).
    assert not query({"textPayload": "ac"})
    assert compile_filter("x AND y OR z")({"textPayload": "x z"})
    assert not compile_filter("x AND y OR z")({"textPayload": "z"})
    assert compile_filter("x y OR z")({"textPayload": "x z"})


def test_not_binds_tightest() -> None:
    assert compile_filter("NOT a OR b")({"textPayload": "ab"})
    assert not compile_filter("NOT (a OR b)")({"textPayload": "b"})
    assert compile_filter("NOT NOT a")({"textPayload": "a"})
    assert compile_filter("NOT(a)")({"textPayload": "b"})


# -- syntax errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ('resource.type="cloud_run_job', 14, "unterminated string"),
        ('(resource.type="x"', 0, "unclosed '('"),
        ('a = ("x" OR "y"', 4, "unclosed '('"),
        ("a)", 1, "unexpected ')'"),
        ("severity>=", 8, "expected a value"),
        ("AND a", 0, "AND needs a term"),
        ("a AND", 5, "expected a search term"),
        ("a OR OR b", 5, "OR needs a term"),
        ("=x", 0, "expected a field name"),
        ("insertId = abc:def", 14, "expected a field name"),
        ("severity>=LOUD", 10, "unknown severity"),
        ('timestamp>="yesterday"', 11, "not an RFC 3339 timestamp"),
        ('textPayload=~"(unclosed"', 13, "bad regular expression"),
        ('SEARCH("x")', 0, "unsupported function"),
        ("()", 1, "empty parentheses"),
        ("a.", 2, "expected a field name"),
        ("x ! y", 2, "expected a field name"),
    ],
)
def test_syntax_errors(query: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(query)
    assert caught.value.position == position
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_error_reports_line_and_column() -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter('severity>=ERROR\nAND textPayload:"oops')
    assert (caught.value.line, caught.value.column) == (2, 17)
    assert "line 2, column 17" in str(caught.value)
