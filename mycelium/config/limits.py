"""How much work one YAML document may ask for: a leaf, so the store can check a file's
size without loading PyYAML."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Limits:
    """How much work one YAML document may ask for; far above any real config or Compose file."""

    max_chars: int = 4 * 1024 * 1024
    max_depth: int = 64
    max_aliases: int = 10_000
    max_values: int = 100_000


LIMITS: Final = Limits()
