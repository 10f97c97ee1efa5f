"""How an app will connect to Cloud SQL: connection names, DSN syntaxes, env settings, verdicts."""
