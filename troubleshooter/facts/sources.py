"""Where facts come from: the probe ids (the registry's contract) and the API each one reads."""

from __future__ import annotations

# Probe ids, as registered in troubleshooter.probes (each probe module takes its ID from here).
RUN_CONFIG = "run-config"
SERVING = "serving-revision"
PROJECT = "project"
APP = "app-settings"
SQL = "sql-instances"
IAM = "iam"
USAGE = "service-usage"
DBUSERS = "databases-users"
LOGS = "logs"
NETWORK = "network"
SECRETS = "secrets"

# Evidence `source`: the API a fact was read from.
RUN_API = "run.googleapis.com"
SQL_API = "sqladmin.googleapis.com"
CRM_API = "cloudresourcemanager.googleapis.com"
USAGE_API = "serviceusage.googleapis.com"
LOGGING_API = "logging.googleapis.com"
COMPUTE_API = "compute.googleapis.com"
VPCACCESS_API = "vpcaccess.googleapis.com"
SECRET_API = "secretmanager.googleapis.com"
