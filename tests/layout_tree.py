"""Looking inside Dash component trees in tests (layouts and callback outputs).

A view drawn as one component of raw HTML (``dcc.Markdown`` with ``dangerously_allow_html``,
see dashboard.views.markup) is looked into too: its HTML is parsed into :class:`Element` nodes,
which carry the attributes the html components would (``className``, ``id``, ``title``,
``style`` as a dict) and ``tag`` and ``attrs`` besides."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

from dash import dcc

_LEAF = (str, int, float)
_VOID = {"area", "br", "col", "hr", "img", "input", "meta", "wbr"}


class Element:
    """One element of a raw-HTML view."""

    def __init__(self, tag: str, attrs: list[tuple[str, str | None]]):
        self.tag = tag
        self.attrs = {k: ("" if v is None else v) for k, v in attrs}
        self.children: list = []
        self.className = self.attrs.get("class")
        self.id = self.attrs.get("id")
        self.title = self.attrs.get("title")
        self.style = _style(self.attrs.get("style", ""))

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


def _style(text: str) -> dict[str, str]:
    """``background-color: x; color: y`` as ``{"backgroundColor": "x", "color": "y"}``."""
    out = {}
    for part in text.split(";"):
        name, _, value = part.partition(":")
        if name.strip():
            head, *rest = name.strip().split("-")
            out[head + "".join(w.capitalize() for w in rest)] = value.strip()
    return out


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("root", [])
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Element(tag, attrs)
        self.open[-1].children.append(node)
        if tag not in _VOID:
            self.open.append(node)

    def handle_endtag(self, tag):
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data):
        self.open[-1].children.append(data)


def parse_html(markup: str) -> list:
    """The elements (and texts) of an HTML fragment."""
    builder = _Builder()
    builder.feed(markup)
    builder.close()
    assert builder.open == [builder.root], f"unclosed: {builder.open[1:]}"
    return builder.root.children


def _children(component):
    if isinstance(component, dcc.Markdown) and getattr(component, "dangerously_allow_html", False):
        return parse_html(component.children)
    return getattr(component, "children", None)


def texts(component) -> list[str]:
    """Every string in a component tree, depth first."""
    if component is None:
        return []
    if isinstance(component, _LEAF):
        return [str(component)]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in texts(c)]
    return texts(_children(component))


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
        found += find_all(_children(component), test)
    return found


def elements(component, tag: str) -> list[Element]:
    """Every raw-HTML element ``tag`` in the tree."""
    return find_all(component, lambda c: isinstance(c, Element) and c.tag == tag)
