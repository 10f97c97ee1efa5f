"""Errors that end a command with a one-line message instead of a traceback."""

from __future__ import annotations


class BadInput(Exception):
    """Bad user input (file, flag, field): exit 2 with one line saying what and where."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CloudUnreachable(Exception):
    """Google Cloud (or the sandbox) could not be reached or read at all: exit 3."""

    exit_code = 3
