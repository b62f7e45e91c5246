// The download links beside a grid follow its sort (dashboard/views/grid_downloads.py): the
// server builds the file again in that order, so a download holds the rows in the order shown.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  grid_downloads: {
    // dash-ag-grid's columnState -> "field:asc,field:desc" (first sort key first); unchanged:
    // no update (the column state also changes when a column is resized).
    sortText: function (columnState, current) {
      const sorted = (columnState || []).filter(function (c) { return c && c.sort; });
      sorted.sort(function (a, b) { return (a.sortIndex || 0) - (b.sortIndex || 0); });
      const text = sorted.map(function (c) { return c.colId + ":" + c.sort; }).join(",");
      return text === (current || "") ? window.dash_clientside.no_update : text;
    },
    // The links' hrefs (without a sort) with the grid's sort; one link: one value. Until the
    // page has written the hrefs (one per link), the links stay as they are.
    hrefs: function (sort, bases) {
      const outputs = window.dash_clientside.callback_context.outputs_list;
      const n = Array.isArray(outputs) ? outputs.length : 1;
      if (!Array.isArray(bases) || bases.length !== n) {
        const nu = window.dash_clientside.no_update;
        return n === 1 ? nu : Array(n).fill(nu);
      }
      const out = bases.map(function (href) {
        if (!href || href === "#") { return href || "#"; }
        const url = new URL(href, window.location.origin);
        if (sort) { url.searchParams.set("sort", sort); } else { url.searchParams.delete("sort"); }
        return url.pathname + url.search;
      });
      return out.length === 1 ? out[0] : out;
    },
  },
});
