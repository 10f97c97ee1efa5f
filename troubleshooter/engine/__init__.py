"""The engine every front end drives: a workspace, a diagnosis run, a troubleshooting session."""
