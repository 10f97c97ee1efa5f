"""troubleshooter: find why a Cloud Run service or job cannot reach its Cloud SQL database, and fix it."""

__version__ = "0.1.0"
