"""The platform × Python matrix: printed, and written as qa_matrix.md and qa_summary.json."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from tabulate import tabulate

from mycelium.fileio import atomic_write
from mycelium.release.remote_qa import Cell, CellState

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from mycelium.qa.report import QAReport


def _columns(cells: Sequence[Cell]) -> list[str]:
    columns: list[str] = []
    for cell in cells:
        if cell.python not in columns:
            columns.append(cell.python)
    return columns


def _row_label(host: str, cells: Sequence[Cell]) -> str:
    platform = next((c.platform for c in cells if c.platform is not None), None)
    if platform is None:
        return host
    name = platform.distro or platform.os
    if platform.wsl:
        name = f"wsl2 {name}"
    return f"{host} ({name} {platform.os_version}, {platform.architecture})"


def table(cells: Sequence[Cell], tablefmt: str = "simple") -> str:
    columns = _columns(cells)
    hosts: dict[str, list[Cell]] = {}
    for cell in cells:
        hosts.setdefault(cell.host, []).append(cell)
    rows = []
    for host, host_cells in hosts.items():
        by_python = {c.python: c.text for c in host_cells}
        rows.append([_row_label(host, host_cells), *(by_python.get(col, "—") for col in columns)])
    return tabulate(rows, headers=["host", *columns], tablefmt=tablefmt)


def problems(cells: Sequence[Cell]) -> list[str]:
    lines = []
    for cell in cells:
        if cell.state is CellState.PASS:
            continue
        head = f"{cell.host} / {cell.python}: {cell.state.value}"
        if cell.failing:
            lines.append(f"{head}: {', '.join(cell.failing)}")
        else:
            lines.append(f"{head}: {cell.message}")
    return lines


def render_text(cells: Sequence[Cell]) -> str:
    found = problems(cells)
    body = table(cells)
    if found:
        body += "\n\nproblems:\n" + "\n".join(f"  {line}" for line in found)
    return body


def write_outputs(
    reports_dir: Path,
    cells: Sequence[Cell],
    meta: Mapping[str, Any],
) -> tuple[Path, Path]:
    """``qa_matrix.md`` and ``qa_summary.json`` under ``reports/<version>/``."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    found = problems(cells)
    markdown = [
        f"# QA matrix: mycelium {meta['version']}",
        "",
        (
            f"run `{meta['run_id']}`, commit `{meta['git_commit'] or 'unknown'}`, "
            f"wheel sha256 `{meta['wheel_sha256']}`"
        ),
        "",
        table(cells, tablefmt="github"),
        "",
    ]
    if found:
        markdown += ["## Problems", "", *(f"- {line}" for line in found), ""]
    matrix_path = reports_dir / "qa_matrix.md"
    atomic_write(matrix_path, "\n".join(markdown).encode("utf-8"))
    summary = {
        **meta,
        "cells": [
            {
                **asdict(c),
                "state": c.state.value,
                "platform": c.platform.model_dump() if c.platform else None,
            }
            for c in cells
        ],
        "totals": {state.value: sum(c.state is state for c in cells) for state in CellState},
    }
    summary_path = reports_dir / "qa_summary.json"
    atomic_write(summary_path, (json.dumps(summary, indent=2) + "\n").encode("utf-8"))
    return matrix_path, summary_path


def failed_cells(summary_path: Path) -> dict[str, list[str]]:
    """From an earlier ``qa_summary.json``: host → interpreters whose cell did not pass."""
    data = json.loads(summary_path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for cell in data.get("cells", []):
        if cell.get("state") != CellState.PASS.value:
            out.setdefault(cell["host"], []).append(cell["python"])
    return out


def junit(cells: Sequence[Cell], reports: Mapping[tuple[str, str], QAReport]) -> bytes:
    """One testcase per host × python × check; a cell without a report is one error case."""
    import xml.etree.ElementTree as ET  # noqa: PLC0415

    from mycelium.qa.junit import report_suite, xml_bytes  # noqa: PLC0415

    suites = ET.Element("testsuites", name="invoke qa")
    for cell in cells:
        name = f"{cell.host}.{cell.python}"
        report = reports.get((cell.host, cell.python))
        if report is not None:
            suites.append(report_suite(report, name))
            continue
        suite = ET.SubElement(suites, "testsuite", name=name, tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname=name, name="qa_run")
        ET.SubElement(case, "error", message=f"{cell.state.value}: {cell.message}")
    return xml_bytes(suites)
