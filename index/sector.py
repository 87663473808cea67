"""The sector (领域) an agency works in, read off its name: 应急管理, 发展改革, …

The fragments are data (``data/sectors.txt``), easy to extend; an agency no
fragment places is in 其他.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SECTORS = Path(__file__).resolve().parent / "data" / "sectors.txt"
OTHER = "其他"


@lru_cache(maxsize=1)
def _table() -> list[tuple[str, tuple[str, ...]]]:
    table = []
    for line in SECTORS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            sector, _, fragments = line.partition("\t")
            table.append((sector.strip(), tuple(fragments.split())))
    return table


def sector_of(agency: str | None) -> str:
    if agency:
        for sector, fragments in _table():
            if any(f in agency for f in fragments):
                return sector
    return OTHER
