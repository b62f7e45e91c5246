"""The HTML page Dash serves around the app: ``lang="en"`` on ``<html>`` (WCAG 3.1.1; Dash's
default page has no ``lang``) and a skip link, the first thing a keyboard reaches, to the
page's ``<main id="main-content">`` (which the shell in app.py provides).

app.py: ``Dash(..., index_string=INDEX_STRING)``."""

from __future__ import annotations

MAIN_ID = "main-content"

INDEX_STRING = f"""<!DOCTYPE html>
<html lang="en">
    <head>
        {{%metas%}}
        <title>{{%title%}}</title>
        {{%favicon%}}
        {{%css%}}
    </head>
    <body>
        <a class="visually-hidden-focusable skip-link" href="#{MAIN_ID}">Skip to main content</a>
        {{%app_entry%}}
        {{%config%}}
        {{%scripts%}}
        {{%renderer%}}
    </body>
</html>
"""
