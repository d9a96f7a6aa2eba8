"""The exported metrics: one registry, counters only, every known series from zero.

Label values come from :data:`mycelium.telemetry.schema.ALLOWLISTS`; anything else is
counted as ``other``, so the number of series is fixed whatever clients send.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics

from mycelium.telemetry.schema import ALLOWLISTS, OTHER, Event, EventName

disable_created_metrics()  # type: ignore[no-untyped-call]  # the *_created series double the cardinality for nothing here


class Rejection(StrEnum):
    """Why an event was refused, as the ``reason`` label says it."""

    MALFORMED = "malformed"  # not a JSON object, no length, wrong content type
    OFF_SCHEMA = "off_schema"  # unknown field, value outside the lists (a host name, a path)
    OVERSIZED = "oversized"
    RATE_LIMITED = "rate_limited"


METRIC_NAMES: Final = (
    "mycelium_events_total",
    "mycelium_wizard_completions_total",
    "mycelium_deployments_total",
    "mycelium_coordination_test_runs_total",
    "mycelium_installations_total",
    "mycelium_errors_total",
    "mycelium_rejected_events_total",
)


def label(value: str | None, name: str) -> str:
    """``value`` if the schema allows it for label ``name``, else ``other``."""
    return value if value is not None and value in ALLOWLISTS[name] else OTHER


class Metrics:
    """The collector's counters in their own registry (no process or platform metrics)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.events = Counter(
            "mycelium_events", "Accepted events, by event name.", ["event"], registry=reg
        )
        self.wizard = Counter(
            "mycelium_wizard_completions", "Onboarding wizards completed.", registry=reg
        )
        self.deployments = Counter(
            "mycelium_deployments", "Deployments generated, by method.", ["method"], registry=reg
        )
        self.test_runs = Counter(
            "mycelium_coordination_test_runs", "Coordination test runs.", registry=reg
        )
        self.installations = Counter(
            "mycelium_installations",
            "First runs of a version, by platform.",
            ["platform"],
            registry=reg,
        )
        self.errors = Counter(
            "mycelium_errors", "Commands that failed, by operation.", ["operation"], registry=reg
        )
        self.rejected = Counter(
            "mycelium_rejected_events", "Refused events, by reason.", ["reason"], registry=reg
        )
        for value in (*ALLOWLISTS["event"], OTHER):
            self.events.labels(value)
        for value in (*ALLOWLISTS["method"], OTHER):
            self.deployments.labels(value)
        for value in (*ALLOWLISTS["platform"], OTHER):
            self.installations.labels(value)
        for value in (*ALLOWLISTS["operation"], OTHER):
            self.errors.labels(value)
        for reason in Rejection:
            self.rejected.labels(reason.value)

    def count(self, event: Event) -> None:
        name = event.event
        self.events.labels(label(name.value, "event")).inc()
        if name is EventName.WIZARD_COMPLETED:
            self.wizard.inc()
        elif name is EventName.DEPLOYMENT_GENERATED:
            method = event.method.value if event.method is not None else None
            self.deployments.labels(label(method, "method")).inc()
        elif name is EventName.COORDINATION_TEST_RUN:
            self.test_runs.inc()
        elif name is EventName.INSTALLATION:
            self.installations.labels(label(event.os_family.value, "platform")).inc()
        elif name is EventName.ERROR:
            operation = event.operation.value if event.operation is not None else None
            self.errors.labels(label(operation, "operation")).inc()

    def reject(self, reason: Rejection) -> None:
        self.rejected.labels(reason.value).inc()

    def names(self) -> set[str]:
        """Every sample name the registry exports (``..._total`` included)."""
        return {sample.name for family in self.registry.collect() for sample in family.samples}
