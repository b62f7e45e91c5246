// A legend above a chart's plot on one row, on a narrow chart too.
//
// /compare's charts (dashboard/figures/compare.py TOP_LEGEND) put their legend above the plot,
// from the plot's left. Plotly wraps a horizontal legend at the plot's width, so on a phone,
// where the category labels leave the plot 100-200 px, three short names took three rows and
// rose into the chart's title, or ran past the chart's right edge. Plotly lets a legend that
// starts left of the plot take the left margin too: where the legend wraps or is cut, this
// starts it at the chart's left edge (x = -l/w of the plot), where one row fits (one more
// drawing, on such charts only).
(function () {
  "use strict";

  // Rows of legend entries: tops more than 5 px apart (an entry with a patterned swatch sits a
  // pixel or two lower than the others).
  function rows(items) {
    const tops = items.map(function (el) { return el.getBoundingClientRect().top; }).sort(function (a, b) { return a - b; });
    return 1 + tops.filter(function (t, i) { return i > 0 && t > tops[i - 1] + 5; }).length;
  }

  function fit(gd) {
    const full = gd._fullLayout;
    const legend = full && full.legend;
    if (!legend || !full.showlegend || legend.orientation !== "h" || legend.y < 1) return;
    const size = full._size;
    if (!(size.w > 0) || !(size.l > 0)) return;
    const items = Array.from(gd.querySelectorAll(".legend .traces"));
    if (items.length < 2) return;
    // the chart's left edge, in the plot's widths (Plotly takes no legend x below -2)
    const edge = Math.max(-2, -size.l / size.w);
    const relayout = function (update) {
      // a few drawings at most between two figures: each one measures again
      gd.mcredLegendMoves = (gd.mcredLegendMoves || 0) + 1;
      if (gd.mcredLegendMoves <= 4) window.Plotly.relayout(gd, update);
    };
    if (legend.x === 0) { // a new figure: the server's legend starts at the plot's left
      gd.mcredLegendMoves = 0;
      const right = gd.querySelector(".main-svg").getBoundingClientRect().right;
      const cut = items.some(function (el) { return el.getBoundingClientRect().right > right; });
      if (rows(items) > 1 || cut) relayout({"legend.x": edge});
      return;
    }
    if (legend.x > 0) return;
    // Moved here before (no figure starts a legend left of its plot): kept at the left edge
    // when the chart is resized (a phone turned). Room for a second row, where the names are
    // long, is the figure's own (figures/compare.py legend_room): a chart grown here had its
    // height put back by dcc.Graph, which keeps every relayout but the size.
    if (Math.abs(legend.x - edge) > 1e-3) { relayout({"legend.x": edge}); return; }
    gd.mcredLegendMoves = 0; // in place: the next resize may move it again
  }

  // Called by assets/a11y.js after every re-render (its one MutationObserver).
  window.mcredLegendRow = function () {
    window.mcredAfterEveryDraw("mcredLegendRow", fit);
  };
})();
