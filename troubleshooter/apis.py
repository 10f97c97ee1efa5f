"""The Google APIs the tool calls: their gcloud keys, default hosts and titles."""

from __future__ import annotations

# The APIs, keyed as gcloud names them in CLOUDSDK_API_ENDPOINT_OVERRIDES_<KEY>.
APIS = ("run", "sqladmin", "cloudresourcemanager", "logging", "serviceusage",
        "cloudasset",                # scan: folder and organization scope (issue 13)
        # Compute and Serverless VPC Access (issue 12: the VPC the workload egresses into). gcloud's
        # compute override usually ends in /compute/v1/; the gateway keeps only scheme and host, as
        # the library adds /compute/v1/ itself.
        "compute", "vpcaccess",
        "secretmanager")  # Secret Manager (issue 12: where real apps keep the DSN)
DEFAULT_HOSTS = {
    "run": "run.googleapis.com",
    "sqladmin": "sqladmin.googleapis.com",
    "cloudresourcemanager": "cloudresourcemanager.googleapis.com",
    "logging": "logging.googleapis.com",
    "serviceusage": "serviceusage.googleapis.com",
    "cloudasset": "cloudasset.googleapis.com",
    "compute": "compute.googleapis.com",
    "vpcaccess": "vpcaccess.googleapis.com",
    "secretmanager": "secretmanager.googleapis.com",
}
SERVICE_TITLES = {
    "run.googleapis.com": "Cloud Run Admin API",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "logging.googleapis.com": "Cloud Logging API",
    "serviceusage.googleapis.com": "Service Usage API",
    "cloudasset.googleapis.com": "Cloud Asset API",
    "compute.googleapis.com": "Compute Engine API",
    "vpcaccess.googleapis.com": "Serverless VPC Access API",
    "secretmanager.googleapis.com": "Secret Manager API",
}
