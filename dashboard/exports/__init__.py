"""Downloads: the offering, chart, peer and issue exports, their writers and file names.

``dashboard.exports.routes`` holds the Flask Blueprint; everything else here is plain
Python that ``mcred export`` may import without registering a route.
"""
