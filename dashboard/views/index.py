"""The HTML page Dash serves around the app: ``lang="en"`` on ``<html>`` (WCAG 3.1.1; Dash's
default page has no ``lang``) and a skip link, the first thing a keyboard reaches, to the
page's ``<main id="main-content">`` (which the shell in app.py provides).

The page preloads the two chunks of Dash's core components that it loads lazily, one after
the other, only once the page's layout has arrived and rendered (the filters' dropdowns, the
charts' graph): asked for with the bundles, they are at hand when the renderer wants them.

Before Dash's scripts, assets/early/natives.js keeps the browser's own parseFloat, parseInt
and trim from Dash's polyfill (it says why); Dash does not add it by itself (assets_path_ignore).

app.py: ``Dash(..., index_string=index_string(asset_url))``."""

from __future__ import annotations

MAIN_ID = "main-content"
LAZY_CHUNKS = ("dash/dcc/async-dropdown.js", "dash/dcc/async-graph.js")
PRELOADS = "\n        ".join(
    f'<link rel="preload" as="script" href="/_dash-component-suites/{chunk}">' for chunk in LAZY_CHUNKS
)

EARLY_ASSETS = "early"  # assets/early/: put on the page here, not by Dash
NATIVES = f"{EARLY_ASSETS}/natives.js"


def index_string(natives_url: str) -> str:
    """The page, with ``natives_url`` (assets/early/natives.js, fingerprinted) before Dash's scripts."""
    return f"""<!DOCTYPE html>
<html lang="en">
    <head>
        {{%metas%}}
        <title>{{%title%}}</title>
        {{%favicon%}}
        {{%css%}}
        {PRELOADS}
    </head>
    <body>
        <a class="visually-hidden-focusable skip-link" href="#{MAIN_ID}">Skip to main content</a>
        {{%app_entry%}}
        {{%config%}}
        <script src="{natives_url}"></script>
        {{%scripts%}}
        {{%renderer%}}
    </body>
</html>
"""
