"""The matrix for people and machines: terminal text, ``qa_matrix.md``, JUnit, host lists.

Every string in a cell may come from a host (a report's check names, a command's output),
so each renderer escapes for its medium: control characters are shown, never sent to the
terminal; Markdown table syntax cannot add a row; XML stays well-formed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from tabulate import tabulate

from mycelium.release.qa.cells import Cell, CellState

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET
    from collections.abc import Mapping, Sequence

    from mycelium.qa.report import QAReport
    from mycelium.release.fleet.inventory import Host

MAX_SHOWN: Final = 300  # characters of one host-supplied string in a table or list
# C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# XML 1.0 forbids these even escaped.
_XML_FORBIDDEN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def plain(text: object, limit: int = MAX_SHOWN) -> str:
    """One printable line: control characters shown as ``\\xNN``, long text cut."""
    value = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def markdown_cell(text: object) -> str:
    """Text safe inside a GitHub table cell or list item: no new row, no markup."""
    value = plain(text)
    for char in "\\|`*_[]<>#":
        value = value.replace(char, "\\" + char)
    return value


def xml_text(text: str) -> str:
    return _XML_FORBIDDEN.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _columns(cells: Sequence[Cell]) -> list[str]:
    columns: list[str] = []
    for cell in cells:
        if cell.python not in columns:
            columns.append(cell.python)
    return columns


def _row_label(host: str, cells: Sequence[Cell]) -> str:
    platform = next((c.platform for c in cells if c.platform is not None), None)
    # A container shares the machine's kernel: its row must never pass for a real machine.
    container = any(c.container for c in cells) or (platform is not None and platform.container)
    if platform is None:
        return f"{host} (container)" if container else host
    name = platform.distro or platform.os
    if platform.wsl:
        name = f"wsl2 {name}"
    if container:
        name = f"container {name}"
    return f"{host} ({name} {platform.os_version}, {platform.architecture})"


def table(cells: Sequence[Cell], tablefmt: str = "simple") -> str:
    escape = markdown_cell if tablefmt == "github" else plain
    columns = _columns(cells)
    hosts: dict[str, list[Cell]] = {}
    for cell in cells:
        hosts.setdefault(cell.host, []).append(cell)
    rows = []
    for host, host_cells in hosts.items():
        by_python = {c.python: c.text for c in host_cells}
        rows.append(
            [escape(_row_label(host, host_cells)), *(by_python.get(col, "—") for col in columns)]
        )
    return tabulate(rows, headers=["host", *map(escape, columns)], tablefmt=tablefmt,
                    disable_numparse=True)  # fmt: skip


def problems(cells: Sequence[Cell]) -> list[str]:
    """One unescaped line per cell that did not pass."""
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
    """The matrix as a terminal shows it, with a line per problem."""
    found = problems(cells)
    body = table(cells)
    if found:
        body += "\n\nproblems:\n" + "\n".join(f"  {plain(line)}" for line in found)
    return body


def render_markdown(cells: Sequence[Cell], meta: Mapping[str, Any]) -> str:
    """``qa_matrix.md``."""
    found = problems(cells)
    lines = [
        f"# QA matrix: mycelium {markdown_cell(meta['version'])}",
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
        lines += ["## Problems", "", *(f"- {markdown_cell(line)}" for line in found), ""]
    return "\n".join(lines)


def render_host_list(hosts: Sequence[Host], pythons: Sequence[str] = ()) -> str:
    """``invoke qa --list-hosts``: alias, where it connects, the interpreters it will test.

    ``pythons`` are ``--python``'s, which replace each host's ``mycelium_pythons``.
    """
    lines = []
    for host in hosts:
        user = f"{host.user}@" if host.user else ""
        if host.is_local:
            where = "local"
        elif host.image is not None:
            where = f"fresh container of {host.image}"
        elif host.is_container:
            where = f"container {user}{host.address}"
        else:
            where = f"{user}{host.address}:{host.port}"
        tested = ", ".join(pythons or host.pythons)
        source = " (--python)" if pythons else ""
        lines.append(plain(f"{host.name}  {where}  pythons: {tested}{source}"))
    return "\n".join(lines)


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
    _clean_xml(suites)
    return xml_bytes(suites)


def _clean_xml(element: ET.Element) -> None:
    """Strings from hosts may hold characters XML 1.0 cannot carry: show them instead."""
    for node in element.iter():
        node.attrib = {key: xml_text(value) for key, value in node.attrib.items()}
        if node.text:
            node.text = xml_text(node.text)
        if node.tail:
            node.tail = xml_text(node.tail)
