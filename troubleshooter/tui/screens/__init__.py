"""Screens: one per stage of a troubleshooting run, plus the modals."""
