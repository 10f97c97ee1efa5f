"""Fix plans for the root causes: exact commands, the API change, apply, verify.

`contracts` holds what each fix needs (a check's typed output), `commands` the one gcloud form
of each, `plans.plan_fix` the API change; the engine applies a plan and re-diagnoses. This module stays import-light: the graph loader reads FIX_IDS.
"""

# Ids of the automatic fixes the decision graph may name (each has a planner in fixes.plans).
FIX_IDS: frozenset[str] = frozenset(
    {
        "enable-sqladmin-api",
        "attach-cloudsql-instance",
        "set-connection-name",
        "grant-cloudsql-client",
        "start-instance",
        "add-vpc-egress",
        "set-vpc-egress-private-ranges",
    }
)
