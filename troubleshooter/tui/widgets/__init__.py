"""Widgets: each a noun that renders one domain object."""
