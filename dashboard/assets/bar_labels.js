// Every value label of a horizontal bar chart inside the chart, at any width.
//
// The overview's bar charts (dashboard/figures/overview.py breakdown_bar) write "n (share)"
// right of each bar, /compare's grouped ones (figures/compare.py) each group's share, and
// both leave room for it in the axis range; on a narrow chart (a phone) the
// longest bars' labels still ran past the chart's right edge and were cut. After a chart is
// drawn, this measures its labels and, where one would be cut, widens the range just enough
// for every label to fit (one more drawing, on such charts only; a desktop chart is left as
// it is drawn).
(function () {
  "use strict";

  const PAD = 6; // px between a label and the chart's edge
  const GAP = 4; // px: Plotly's space between a bar and its outside label

  function fit(gd) {
    const full = gd._fullLayout;
    const data = gd.data || [];
    const outside = function (t) { return t.type === "bar" && t.orientation === "h" && t.textposition === "outside"; };
    if (!full || !data.length || !data.every(outside)) return;
    const svg = gd.querySelector(".main-svg");
    if (!svg) return;
    const box = svg.getBoundingClientRect();
    // Every trace's labels (the overview's one trace, /compare's three grouped ones), each
    // measured where it is drawn: no label needs matching with its value.
    const texts = Array.from(gd.querySelectorAll(".barlayer .bartext"));
    // A range other than the one set here is a new figure's: it may be fitted afresh (dcc.Graph
    // draws the figure again with the range set here, which is no new figure).
    const range = full.xaxis.range[1];
    if (gd.mcredSetRange !== undefined && Math.abs(range - gd.mcredSetRange) > 1e-9) {
      gd.mcredRefits = 0;
      gd.mcredSetRange = undefined;
    }
    const over = texts.some(function (t) { return t.getBoundingClientRect().right > box.right - PAD; });
    if (!over) { gd.mcredRefits = 0; thinTicks(gd); return; }
    // A label starts GAP px after its bar's end, at x / R * P px from the plot's left; drawn
    // with the range R', it ends at x / R' * P + GAP + w, which must be at most P + r.
    const size = full._size;
    const plot = size.w, room = size.r - PAD, plotLeft = box.left + size.l;
    let need = range;
    texts.forEach(function (t) {
      const r = t.getBoundingClientRect();
      const value = (r.left - GAP - plotLeft) / plot * range;
      const free = plot + room - GAP - r.width;
      if (value > 0 && free > 0) need = Math.max(need, value * plot / free);
    });
    // A few tries at most: each drawing measures again (Plotly may scale a label to its bar's
    // thickness, which a drawing can change). A plot too narrow for some label (a 320 px
    // screen) is widened at most threefold: past that the bars would say nothing.
    need = Math.min(need, range * 3);
    gd.mcredRefits = (gd.mcredRefits || 0) + 1;
    if (need > range * 1.01 && isFinite(need) && gd.mcredRefits <= 3) {
      // and fewer ticks on the narrower bars, so their labels stay level and apart (a chart
      // that names its ticks, as /compare's, keeps them)
      gd.mcredSetRange = need * 1.02;
      window.Plotly.relayout(gd, {"xaxis.range": [0, gd.mcredSetRange], "xaxis.nticks": Math.max(2, Math.floor(plot / 70))});
    }
  }

  // A chart that names its ticks (/compare's: 0 %, 20 %, ... chosen for a phone's width) keeps
  // every other one while their labels touch: the narrowest plots, beside long category
  // labels, are 100 px wide.
  function thinTicks(gd) {
    const vals = gd.layout && gd.layout.xaxis && gd.layout.xaxis.tickvals;
    if (!Array.isArray(vals) || vals.length < 3) return;
    const boxes = Array.from(gd.querySelectorAll(".xaxislayer-above .xtick text"))
      .map(function (t) { return t.getBoundingClientRect(); })
      .sort(function (a, b) { return a.left - b.left; });
    for (let i = 1; i < boxes.length; i++) {
      if (boxes[i].left < boxes[i - 1].right + PAD) {
        window.Plotly.relayout(gd, {"xaxis.tickvals": vals.filter(function (_, k) { return k % 2 === 0; })});
        return;
      }
    }
  }

  // Called by assets/a11y.js after every re-render (its one MutationObserver).
  window.mcredBarLabels = function () {
    window.mcredAfterEveryDraw("mcredBarLabels", fit);
  };
})();
