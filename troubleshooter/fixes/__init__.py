"""Fix plans for the root causes: exact commands, the API change, apply, verify."""

# Ids of the automatic fixes the decision graph may name (each has a plan in this package).
FIX_IDS: frozenset[str] = frozenset(
    {
        "enable-sqladmin-api",
        "attach-cloudsql-instance",
        "set-connection-name",
        "grant-cloudsql-client",
        "start-instance",
        "add-vpc-egress",
        "set-vpc-egress-private-ranges",
        "use-cloudsql-socket",
        "grant-secret-accessor",
        "create-database",
    }
)
