"""Fix plans for the root causes: exact commands, the API change, apply, verify.

`plans.plan_fix` turns a diagnosed cause into a FixPlan; `apply.apply_and_verify` applies it in a
Session and re-diagnoses. This module stays import-light: the graph loader reads FIX_IDS.
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
