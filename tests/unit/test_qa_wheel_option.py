"""``--wheel PATH`` of invoke qa and invoke bench: a mistyped path is named as one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mycelium.errors import UsageError
from mycelium.release.qa.command import wheel_info

if TYPE_CHECKING:
    from pathlib import Path


def test_a_missing_wheel_is_no_such_file_whatever_its_name(tmp_path: Path) -> None:
    for name in ("nonexistent.whl", "mycelium-1.0.0-py3-none-any.whl"):
        with pytest.raises(UsageError) as info:
            wheel_info(tmp_path, tmp_path / name)
        assert str(info.value) == f"--wheel {tmp_path / name}: no such file"


def test_a_file_that_is_not_named_as_a_wheel_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.whl"
    path.write_bytes(b"")
    with pytest.raises(UsageError) as info:
        wheel_info(tmp_path, path)
    assert str(info.value) == f"--wheel {path}: not a wheel file name (name-version-...whl)"


def test_a_wheel_gives_its_version_and_checksum(tmp_path: Path) -> None:
    path = tmp_path / "mycelium-1.2.3-py3-none-any.whl"
    path.write_bytes(b"not really a zip")
    info = wheel_info(tmp_path, path)
    assert (info.version, len(info.sha256)) == ("1.2.3", 64)
