"""Place facet values as a brute-force count sees them, written here from the
rule (not imported from the engine): a city or county is its path of names."""

from __future__ import annotations


def path(*names: str | None) -> str:
    """A place as its facet value: the names above it and its own, province first, each once."""
    return "/".join(dict.fromkeys(n for n in names if n))


def picked(values: set[str], selected) -> bool:
    """Whether a report with facet ``values`` passes a filter selecting
    ``selected``: a value itself, or a bare place name matching every place so named."""
    return any(v in values or any(x.rsplit("/", 1)[-1] == v for x in values) for v in selected)
