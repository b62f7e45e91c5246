"""The ministry's review queue on /submissions: files sent through /submit, with their
explanations and validation report, to accept (load) or return with a comment.

Included by dashboard.pages.submissions (``review_section()`` in its layout, ``cell_events``
under a cell's history, ``register_callbacks()`` once per app). Glue only: dashboard.submitting.service decides who may act; an
institution or the public sending these callbacks by hand gets HTTP 403.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from dashboard.access import web as access_web
from dashboard.submitting import routes
from dashboard.submitting.store import StateError
from dashboard.views.submit import portal_history, review_queue


def review_section():
    """The queue's card, for ministry users only (nothing for anyone else)."""
    actor = access_web.request_actor()
    if actor is None or actor.role != "ministry":
        return None
    return dbc.Card(
        dbc.CardBody(
            [
                dcc.Store(id="review-refresh", data=0),
                html.Div(id="review-feedback", role="status", **{"aria-live": "polite"}),
                dcc.Loading(html.Div(id="review-queue"), delay_show=300),
            ]
        ),
        className="mt-3",
        id="review-card",
    )


def cell_events(institution: str, period: str) -> list:
    """The drafts' history of one matrix cell, for whoever may see that institution's files."""
    actor = access_web.current_actor()
    if not actor.scope.may_see_rows_of(institution):
        return []
    return portal_history(routes.portal().store.events_for(institution, period))


def register_callbacks() -> None:
    """Called by dashboard.pages.submissions each time Dash executes it (once per app): the
    callbacks of a module imported only once would belong to the first app alone."""

    @callback(Output("review-queue", "children"), Input("review-refresh", "data"))
    def show_queue(_refresh):
        actor = access_web.current_actor()
        return review_queue(routes.portal().queue(actor.scope))

    @callback(
        Output("review-feedback", "children"),
        Output("review-refresh", "data"),
        Input({"type": "review-accept", "draft": ALL}, "n_clicks"),
        Input({"type": "review-return", "draft": ALL}, "n_clicks"),
        State({"type": "review-comment", "draft": ALL}, "value"),
        State({"type": "review-comment", "draft": ALL}, "id"),
        State("review-refresh", "data"),
        prevent_initial_call=True,
    )
    def review(_accepts, _returns, comments, comment_ids, refresh):
        actor = access_web.current_actor()
        portal = routes.portal()
        portal.require_ministry(actor.scope)
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
            return dash.no_update, dash.no_update
        draft_id = int(trigger.get("draft") or 0)
        try:
            if trigger.get("type") == "review-accept":
                done = portal.accept(actor, draft_id)
                if done.state == "accepted":
                    message = f"Draft {draft_id} was accepted: {done.events[-1].note}."
                    colour = "success"
                else:
                    message = f"Draft {draft_id} was not loaded: {done.events[-1].note}."
                    colour = "danger"
            elif trigger.get("type") == "review-return":
                comment = next(
                    (
                        c
                        for i, c in zip(comment_ids or [], comments or [])
                        if isinstance(i, dict) and i.get("draft") == draft_id
                    ),
                    "",
                )
                portal.give_back(actor, draft_id, comment or "")
                message, colour = f"Draft {draft_id} was returned to the institution with your comment.", "success"
            else:
                return dash.no_update, dash.no_update
        except StateError as exc:
            message, colour = str(exc), "danger"
        return dbc.Alert(message, color=colour, className="py-2", id="review-result"), (refresh or 0) + 1
