"""`troubleshooter mcp`: the engine as a Model Context Protocol server on stdio (the official SDK).

Only `cli/mcp.py` imports this package, so the `mcp` SDK never loads on any other start path.
"""
