"""Looking inside Dash component trees in tests (layouts and callback outputs)."""

from __future__ import annotations

from collections.abc import Callable

_LEAF = (str, int, float)


def texts(component) -> list[str]:
    """Every string in a component tree, depth first."""
    if component is None:
        return []
    if isinstance(component, _LEAF):
        return [str(component)]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in texts(c)]
    return texts(getattr(component, "children", None))


def find_all(component, match: type | Callable[[object], bool]) -> list:
    """Every component in the tree that is of type ``match`` (or for which it returns true)."""
    test = (lambda c: isinstance(c, match)) if isinstance(match, type) else match
    found = []
    if isinstance(component, (list, tuple)):
        for c in component:
            found += find_all(c, test)
    elif component is not None and not isinstance(component, _LEAF):
        if test(component):
            found.append(component)
        found += find_all(getattr(component, "children", None), test)
    return found
