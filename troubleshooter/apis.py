"""The Google APIs the tool calls: their gcloud keys, default hosts and titles."""

from __future__ import annotations

# The APIs, keyed as gcloud names them in CLOUDSDK_API_ENDPOINT_OVERRIDES_<KEY>.
APIS = ("run", "sqladmin", "cloudresourcemanager", "logging", "serviceusage", "secretmanager")
DEFAULT_HOSTS = {
    "run": "run.googleapis.com",
    "sqladmin": "sqladmin.googleapis.com",
    "cloudresourcemanager": "cloudresourcemanager.googleapis.com",
    "logging": "logging.googleapis.com",
    "serviceusage": "serviceusage.googleapis.com",
    "secretmanager": "secretmanager.googleapis.com",
}
SERVICE_TITLES = {
    "run.googleapis.com": "Cloud Run Admin API",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "logging.googleapis.com": "Cloud Logging API",
    "serviceusage.googleapis.com": "Service Usage API",
    "secretmanager.googleapis.com": "Secret Manager API",
}
