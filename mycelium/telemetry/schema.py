"""The one telemetry event schema: what an event may hold, and nothing else.

This module is the single source. The client validates every event with :class:`Event`
before it is queued, the sender validates it again before it leaves the machine, the
collector's label allowlists are :data:`ALLOWLISTS`, and docs/PRIVACY.md's table is
:func:`privacy_table` (a test checks that they agree).

Every field is either a value from a closed list or a short string of a fixed shape: no
field can carry a host name, a user name, a path, an address or a persistent identifier.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mycelium.config.models import DeploymentMethod

MAX_EVENT_BYTES: Final = 1024
"""An event is about 250 bytes; the collector refuses a body larger than this."""


class EventName(StrEnum):
    INSTALLATION = "installation"  # the first opted-in run of a version on a machine
    WIZARD_COMPLETED = "wizard_completed"
    DEPLOYMENT_GENERATED = "deployment_generated"
    COORDINATION_TEST_RUN = "coordination_test_run"
    ERROR = "error"  # a command ended with a failure; `operation` says which


WITH_METHOD: Final = frozenset({EventName.WIZARD_COMPLETED, EventName.DEPLOYMENT_GENERATED})


class OsFamily(StrEnum):
    LINUX = "linux"
    MACOS = "macos"
    WSL = "wsl"
    OTHER = "other"


class Operation(StrEnum):
    """The commands whose failures are counted (the console script without ``mycelium-``)."""

    ONBOARDING = "onboarding"
    CONFIGURATION = "configuration"
    GENERATE = "generate"
    TEST = "test"


Version = Annotated[
    str,
    Field(
        max_length=32,
        pattern=r"^[0-9]{1,4}(\.[0-9]{1,4}){1,3}((a|b|rc)[0-9]{1,4})?(\.post[0-9]{1,4})?"
        r"(\.dev[0-9]{1,6})?$",
        description="mycelium's version, without a local part (0.1.0, 0.2.0rc1)",
    ),
]
PythonMinor = Annotated[
    str, Field(pattern=r"^3\.[0-9]{1,2}$", description="the Python minor version (3.12)")
]
SessionId = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-f]{32}$",
        description="random for each process, never stored: events of one command share it",
    ),
]


class Event(BaseModel):
    """One telemetry event; unknown fields and values outside the lists are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: EventName
    mycelium_version: Version
    os_family: OsFamily
    python: PythonMinor
    method: DeploymentMethod | None = None
    operation: Operation | None = None
    session: SessionId

    @model_validator(mode="after")
    def _fields_of_each_event(self) -> Event:
        if (self.event is EventName.ERROR) != (self.operation is not None):
            raise ValueError("operation is set on error events, and only on them")
        if self.method is not None and self.event not in WITH_METHOD:
            raise ValueError("method is set on wizard_completed and deployment_generated only")
        return self

    def as_data(self) -> dict[str, str]:
        """The event as sent: absent fields are left out."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_bytes(self) -> bytes:
        """The exact bytes sent: compact JSON, keys sorted, ASCII."""
        data = self.as_data()
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")

    @classmethod
    def from_bytes(cls, body: bytes) -> Event:
        """Parse and validate; raises ``ValueError`` (pydantic's ``ValidationError``)."""
        return cls.model_validate_json(body)


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


ALLOWLISTS: Final[dict[str, tuple[str, ...]]] = {
    "event": _values(EventName),
    "platform": _values(OsFamily),
    "method": _values(DeploymentMethod),
    "operation": _values(Operation),
}
"""Each metric label and the only values it takes; anything else is counted as ``other``."""

OTHER: Final = "other"

_Described = tuple[str, str, str]
_FIELDS: Final[tuple[_Described, ...]] = (
    ("event", "what happened", ", ".join(f"`{v}`" for v in _values(EventName))),
    ("mycelium_version", "the installed version, without a local part", "`0.1.0`, `0.2.0rc1`"),
    ("os_family", "the operating system's family", ", ".join(f"`{v}`" for v in _values(OsFamily))),
    ("python", "the Python minor version", "`3.11`, `3.12`"),
    (
        "method",
        "the deployment method, on `wizard_completed` and `deployment_generated`",
        ", ".join(f"`{v}`" for v in _values(DeploymentMethod)) + ", or absent",
    ),
    (
        "operation",
        "the command that failed, on `error` only",
        ", ".join(f"`{v}`" for v in _values(Operation)),
    ),
    (
        "session",
        "random for each process, never stored: ties the events of one command together",
        "32 hex digits",
    ),
)


def privacy_table() -> str:
    """The Markdown table of docs/PRIVACY.md, built from this schema."""
    rows = ["| field | what it is | values |", "| --- | --- | --- |"]
    rows += [f"| `{name}` | {what} | {values} |" for name, what, values in _FIELDS]
    return "\n".join(rows) + "\n"


def described_fields() -> tuple[str, ...]:
    """The fields :func:`privacy_table` describes, in its order."""
    return tuple(name for name, _, _ in _FIELDS)
