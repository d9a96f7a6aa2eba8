"""Errors of the coordination tests that a person acts on."""

from __future__ import annotations

from mycelium.errors import UserError


class ServiceUnavailableError(UserError):
    """A service cannot be reached or refuses us; the message names the (masked) URL."""
