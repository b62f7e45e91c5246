"""The building blocks every page is laid out with: its heading, its cards, its download buttons.

One place for the markup (heading levels, spacing, the note under a card's title), so pages
read as a list of sections and look alike.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html


def page_heading(title: str, lead: str, *, heading_id: str | None = None, lead_id: str | None = None) -> list[Any]:
    """The page's one ``<h1>`` and the sentence under it that says what the page answers."""
    heading = html.H1(title, className="h3 mb-1", **({"id": heading_id} if heading_id else {}))
    lead_text = html.P(lead, className="text-muted mb-3", **({"id": lead_id} if lead_id else {}))
    return [heading, lead_text]


def section_card(
    title: Any,
    note: Any,
    *body: Any,
    actions: Any = None,
    title_id: str | None = None,
    note_id: str | None = None,
    class_name: str = "mb-3",
) -> dbc.Card:
    """A card: an ``<h2>`` title (with ``actions``, e.g. a download button, at its right), a muted
    note under it saying how to read what follows, then ``body``. A callback may fill the title
    (``title=None`` and a ``title_id``)."""
    heading = html.H2(
        title,
        className="h5 mb-0 me-auto" if actions is not None else "h5 mb-1",
        **({"id": title_id} if title_id else {}),
    )
    if actions is not None:
        heading = html.Div([heading, actions], className="d-flex align-items-center flex-wrap gap-1 mb-1")
    parts = [heading]
    if note is not None:
        parts.append(html.P(note, className="small text-muted mb-2", **({"id": note_id} if note_id else {})))
    return dbc.Card(dbc.CardBody([*parts, *body]), className=class_name)


def download_button(label: str, element_id: Any, href: str = "#", *, title: str | None = None) -> html.A:
    """A small outlined link styled as a button that downloads a file (its ``href`` is set by a callback)."""
    extra = {"title": title} if title else {}
    return html.A(
        label, id=element_id, href=href, download="", className="btn btn-sm btn-outline-primary me-1", **extra
    )


def small_button(label: str, element_id: Any, *, color: str = "primary", class_name: str = "me-2") -> dbc.Button:
    """A small outlined button of a toolbar (choose columns, reset filters)."""
    return dbc.Button(label, id=element_id, color=color, outline=True, size="sm", className=class_name)


def download_group(buttons: list[Any], *, aria_label: str, group_id: str | None = None) -> html.Div:
    """ "Download" and its buttons (one per format), announced as one group."""
    group = html.Div(
        buttons,
        className="d-inline-flex",
        role="group",
        **({"id": group_id} if group_id else {}),
        **{"aria-label": aria_label},
    )
    return html.Div(
        [html.Span("Download", className="small fw-semibold me-2"), group],
        className="d-inline-flex align-items-center text-nowrap",
    )
