"""The Dash dashboard, by layer (see docs/architecture.md):

- ``dashboard.data``: the only package that reads the warehouse (connection, filters,
  dimension and metric registries, targets, page state, the named queries of each page);
- ``dashboard.figures``: pure figure builders (frames in, figure dicts out);
- ``dashboard.views``: view models to Dash components (no database);
- ``dashboard.exports``: downloads (CSV, XLSX, Parquet) and their Flask Blueprint;
- ``dashboard.pages``: Dash pages: register, layout, callbacks (glue only).
"""
