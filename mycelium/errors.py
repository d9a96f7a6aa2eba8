"""The project's error hierarchy.

Only the edges (console scripts, Invoke tasks) catch these and turn them into a message and
an exit code; core functions raise them with a text meant for people.
"""

from __future__ import annotations

from mycelium import exit_codes


class MyceliumError(Exception):
    """Root of every error Mycelium raises on purpose."""

    exit_code: int = exit_codes.FAILURE


class UserError(MyceliumError):
    """Something the user can fix; the message says how."""


class UsageError(UserError):
    """The command line is wrong (unknown key, missing argument)."""

    exit_code = exit_codes.USAGE


class ConfigError(UserError, ValueError):
    """A configuration file is unreadable or invalid.

    ``problems`` holds one line per problem, each naming the file, the field and the fix.
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return "\n".join([head, *(f"  {line}" for line in self.problems)])


class ToolMissingError(UserError):
    """A system tool is absent and could not be installed; the message has the command."""


class InventoryError(UserError):
    """An inventory file or host pattern is invalid."""


class PlaybookError(UserError):
    """A playbook uses something the runner does not support, or is malformed."""


class RemoteError(MyceliumError):
    """A remote host or command failed."""


class ReleaseError(UserError):
    """A release precondition or step failed."""
