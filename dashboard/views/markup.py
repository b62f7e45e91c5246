"""HTML for a view drawn as ONE component: a ``dcc.Markdown`` holding raw HTML.

Every Dash component in a page is subscribed to the renderer's store and is checked on every
store update; a filter change makes dozens of updates. The submissions page's status matrix
(about 900 components for 25 institutions by 6 years) kept the browser's main thread busy
0.3-1.8 s after each filter change at province size; as one component at most 0.13 s. The
browser builds the same table, with native buttons (see ``assets/matrix.js`` for their clicks).

Safety: every text and attribute value is escaped here (``&<>"'`` and the braces, which
``dcc.Markdown``'s JSX parser would read as an expression), event-handler attributes are
refused, and the only way to put markup into markup is :func:`element`'s own result
(:class:`Markup`); a plain ``str`` is always text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

from dash import dcc

__all__ = ["Markup", "element", "html_view", "text"]

_NAME = re.compile(r"[a-z][a-z0-9-]*")
_CAMEL = re.compile(r"([A-Z])")


class Markup(str):
    """HTML made by :func:`element` or :func:`text`: safe to put into another element."""


def text(value: object) -> Markup:
    """``value`` as HTML text (or an attribute value)."""
    escaped = html.escape(str(value), quote=True)
    # braces: read as an expression by dcc.Markdown's JSX parser; line ends: a blank line would
    # end the HTML block and leave the rest to be read as Markdown
    return Markup(escaped.replace("{", "&#123;").replace("}", "&#125;").replace("\r", "&#13;").replace("\n", "&#10;"))


def _style(style: Mapping[str, str]) -> str:
    # backgroundColor -> background-color: the same dicts the html components take
    return "; ".join(_CAMEL.sub(r"-\1", k).lower() + f": {v}" for k, v in style.items())


def element(tag: str, content: str | Iterable[str] = "", **attrs: object) -> Markup:
    """``<tag attrs>content</tag>``. Attribute names as keywords: ``class_`` for class, ``_`` for
    ``-`` (``data_cell`` -> ``data-cell``); None or False leaves one out, True writes it bare;
    ``style`` may be a dict like an html component's. Content: text (escaped), Markup, or a list."""
    if not _NAME.fullmatch(tag):
        raise ValueError(f"not an element name: {tag!r}")
    parts = [tag]
    for key, value in attrs.items():
        name = key.rstrip("_").replace("_", "-")
        if not _NAME.fullmatch(name) or name.startswith("on"):
            raise ValueError(f"attribute not allowed: {key!r}")
        if value is None or value is False:
            continue
        if value is True:
            parts.append(name)
            continue
        if name == "style" and isinstance(value, Mapping):
            value = _style(value)
        parts.append(f'{name}="{text(value)}"')
    items = [content] if isinstance(content, str) else list(content)
    inner = "".join(item if isinstance(item, Markup) else text(item) for item in items)
    return Markup(f"<{' '.join(parts)}>{inner}</{tag}>")


def html_view(markup: Markup, **props: object) -> dcc.Markdown:
    """The one component that draws ``markup`` (a single HTML block: no blank line in it)."""
    if not isinstance(markup, Markup):
        raise TypeError("html_view takes Markup made by element(), not a plain string")
    return dcc.Markdown(markup, dangerously_allow_html=True, dedent=False, **props)
