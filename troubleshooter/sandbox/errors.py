"""Errors shaped exactly like Google's (REST `error` body, gRPC status details) so api-core maps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# gRPC status name -> (gRPC code number, HTTP status), as google.rpc.Code documents them.
STATUS_CODES: dict[str, tuple[int, int]] = {
    "CANCELLED": (1, 499),
    "UNKNOWN": (2, 500),
    "INVALID_ARGUMENT": (3, 400),
    "DEADLINE_EXCEEDED": (4, 504),
    "NOT_FOUND": (5, 404),
    "ALREADY_EXISTS": (6, 409),
    "PERMISSION_DENIED": (7, 403),
    "RESOURCE_EXHAUSTED": (8, 429),
    "FAILED_PRECONDITION": (9, 400),
    "ABORTED": (10, 409),
    "OUT_OF_RANGE": (11, 400),
    "UNIMPLEMENTED": (12, 501),
    "INTERNAL": (13, 500),
    "UNAVAILABLE": (14, 503),
    "DATA_LOSS": (15, 500),
    "UNAUTHENTICATED": (16, 401),
}

HTTP_TO_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

SERVICE_TITLES: dict[str, str] = {
    "run.googleapis.com": "Cloud Run Admin API",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "logging.googleapis.com": "Cloud Logging API",
    "serviceusage.googleapis.com": "Service Usage API",
    "compute.googleapis.com": "Compute Engine API",
    "secretmanager.googleapis.com": "Secret Manager API",
    "vpcaccess.googleapis.com": "Serverless VPC Access API",
    "servicenetworking.googleapis.com": "Service Networking API",
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "artifactregistry.googleapis.com": "Artifact Registry API",
}

ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
HELP_TYPE = "type.googleapis.com/google.rpc.Help"


def service_title(service: str) -> str:
    """The human name Google gives an API (`Cloud SQL Admin API`), guessed for unknown ones."""
    if service in SERVICE_TITLES:
        return SERVICE_TITLES[service]
    return service.split(".")[0].capitalize() + " API"


@dataclass
class ApiError(Exception):
    """One failed call: a google.rpc.Status with an optional ErrorInfo (reason, domain, metadata)."""

    status: str
    message: str
    reason: str | None = None
    domain: str = "googleapis.com"
    metadata: dict[str, str] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)  # google.rpc.Help (description, url)
    http_code: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if self.status not in STATUS_CODES:
            self.status = HTTP_TO_STATUS.get(self.http_code or 500, "UNKNOWN")

    @property
    def http(self) -> int:
        return self.http_code or STATUS_CODES[self.status][1]

    @property
    def grpc_code(self) -> int:
        return STATUS_CODES[self.status][0]

    def _details_json(self) -> list[dict[str, Any]]:
        details: list[dict[str, Any]] = []
        if self.reason:
            details.append(
                {"@type": ERROR_INFO_TYPE, "reason": self.reason, "domain": self.domain,
                 "metadata": dict(self.metadata)}  # fmt: skip
            )
        if self.links:
            details.append(
                {"@type": HELP_TYPE, "links": [{"description": d, "url": u} for d, u in self.links]}
            )
        return details

    def to_rest(self) -> dict[str, Any]:
        """The JSON body Google's REST APIs answer with."""
        body: dict[str, Any] = {"code": self.http, "message": self.message, "status": self.status}
        details = self._details_json()
        if details:
            body["details"] = details
        return {"error": body}

    def to_grpc_status(self) -> Any:
        """A google.rpc.Status message with the details packed as Any."""
        from google.protobuf import any_pb2
        from google.rpc import error_details_pb2, status_pb2

        details = []
        if self.reason:
            info = error_details_pb2.ErrorInfo(
                reason=self.reason, domain=self.domain, metadata=dict(self.metadata)
            )
            packed = any_pb2.Any()
            packed.Pack(info)
            details.append(packed)
        if self.links:
            help_ = error_details_pb2.Help(
                links=[error_details_pb2.Help.Link(description=d, url=u) for d, u in self.links]
            )
            packed = any_pb2.Any()
            packed.Pack(help_)
            details.append(packed)
        return status_pb2.Status(code=self.grpc_code, message=self.message, details=details)


# --------------------------------------------------------------------------- the usual errors


def not_found(message: str) -> ApiError:
    return ApiError("NOT_FOUND", message)


def invalid(message: str) -> ApiError:
    return ApiError("INVALID_ARGUMENT", message)


def aborted(message: str) -> ApiError:
    return ApiError("ABORTED", message)


def permission_denied(permission: str, resource: str) -> ApiError:
    """IAM's refusal: the message and ErrorInfo Google sends when a permission is missing."""
    return ApiError(
        "PERMISSION_DENIED",
        f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
        reason="IAM_PERMISSION_DENIED",
        domain="iam.googleapis.com",
        metadata={"permission": permission, "resource": resource},
    )


def sql_not_authorized() -> ApiError:
    """Cloud SQL Admin's own 403: no permission and no resource named.

    Google answers this for a project the caller cannot see or that does not exist, and for a
    caller without the permission; it never says which (issue threads quoting it verbatim:
    GoogleCloudPlatform/cloud-sql-proxy#79, hashicorp/terraform-provider-google#1069,
    terraform-google-modules/terraform-google-sql-db#235 for users.list). The REST body's
    legacy `errors[]` carry reason notAuthorized (domain global); the ErrorInfo here says the same.
    """
    return ApiError(
        "PERMISSION_DENIED", "The client is not authorized to make this request.",
        reason="notAuthorized", domain="sqladmin.googleapis.com",
    )  # fmt: skip


def sql_instance_not_running() -> ApiError:
    """databases.list / users.list on an instance that is not running (stopped, PENDING_CREATE...).

    Google's wording, a 400 with reason `invalid`, as quoted for a stopped instance
    (forseti-security/terraform-google-forseti#484: databases and users; cloudquery/cloudquery#6966:
    users.list) and for PENDING_CREATE (turbot/steampipe-plugin-gcp#243: databases.list).
    """
    return ApiError(
        "INVALID_ARGUMENT", "Invalid request: Invalid request since instance is not running.",
        reason="invalid", domain="sqladmin.googleapis.com",
    )  # fmt: skip


def service_disabled(service: str, project_number: str) -> ApiError:
    """The 403 an API answers when it is not enabled in the consumer project."""
    title = service_title(service)
    url = f"https://console.developers.google.com/apis/api/{service}/overview?project={project_number}"
    return ApiError(
        "PERMISSION_DENIED",
        f"{title} has not been used in project {project_number} before or it is disabled. "
        f"Enable it by visiting {url} then retry. If you enabled this API recently, wait a few "
        "minutes for the action to propagate to our systems and retry.",
        reason="SERVICE_DISABLED",
        domain="googleapis.com",
        metadata={
            "service": service,
            "consumer": f"projects/{project_number}",
            "activationUrl": url,
            "serviceTitle": title,
            "containerInfo": project_number,
        },
        links=[("Google developers console API activation", url)],
    )


def quota_exceeded(service: str, project_number: str) -> ApiError:
    return ApiError(
        "RESOURCE_EXHAUSTED",
        f"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' "
        f"of service '{service}' for consumer 'project_number:{project_number}'.",
        reason="RATE_LIMIT_EXCEEDED",
        metadata={
            "service": service,
            "consumer": f"projects/{project_number}",
            "quota_metric": f"{service}/read_requests",
            "quota_limit": "ReadRequestsPerMinutePerProject",
        },
    )


_DEFAULT_MESSAGES = {
    "INVALID_ARGUMENT": "Request contains an invalid argument.",
    "UNAUTHENTICATED": (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    "ABORTED": "The operation was aborted.",
    "ALREADY_EXISTS": "Resource already exists.",
    "FAILED_PRECONDITION": "Precondition check failed.",
    "INTERNAL": "Internal error encountered.",
    "UNAVAILABLE": "The service is currently unavailable.",
    "DEADLINE_EXCEEDED": "Deadline expired before operation could complete.",
    "CANCELLED": "The operation was cancelled.",
    "UNIMPLEMENTED": "Method not implemented.",
}


def fault_error(
    *,
    code: int | str | None,
    status: str | None,
    message: str | None,
    reason: str | None,
    metadata: dict[str, str] | None,
    permission: str,
    resource: str,
    service: str,
    project_number: str,
) -> ApiError:
    """The error an injected fault answers with: Google's wording unless the fault says otherwise."""
    http_code = code if isinstance(code, int) else None
    name = status or (code if isinstance(code, str) else HTTP_TO_STATUS.get(http_code or 500, "UNKNOWN"))
    if reason == "SERVICE_DISABLED":
        err = service_disabled(service, project_number)
    elif name == "PERMISSION_DENIED" and service == "sqladmin.googleapis.com" and reason in (None, "notAuthorized"):
        err = sql_not_authorized()  # Cloud SQL names no permission (see sql_not_authorized)
    elif name == "PERMISSION_DENIED":
        err = permission_denied(permission, resource)
        if reason not in (None, "IAM_PERMISSION_DENIED"):
            err.domain = "googleapis.com"
    elif name == "RESOURCE_EXHAUSTED" and reason in (None, "RATE_LIMIT_EXCEEDED"):
        err = quota_exceeded(service, project_number)
    elif name == "NOT_FOUND":
        err = not_found(f"Resource '{resource}' was not found")
    elif name == "UNAUTHENTICATED":
        err = ApiError(name, _DEFAULT_MESSAGES[name], reason="ACCESS_TOKEN_TYPE_UNSUPPORTED")
    else:
        err = ApiError(name, _DEFAULT_MESSAGES.get(name, "Unknown error."))
    err.status = name if name in STATUS_CODES else err.status
    err.http_code = http_code
    if message:
        err.message = message
    if reason:
        err.reason = reason
    if metadata:
        err.metadata = {**err.metadata, **metadata}
    return err
