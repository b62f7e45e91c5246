// Every value label of a horizontal bar chart inside the chart, at any width.
//
// The overview's bar charts (dashboard/figures/overview.py breakdown_bar) write "n (share)"
// right of each bar and leave room for it in the axis range; on a narrow chart (a phone) the
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
    const trace = gd.data && gd.data[0];
    if (!full || !trace || trace.type !== "bar" || trace.orientation !== "h" || trace.textposition !== "outside") return;
    const svg = gd.querySelector(".main-svg");
    if (!svg) return;
    const right = svg.getBoundingClientRect().right - PAD;
    const texts = Array.from(gd.querySelectorAll(".barlayer .bartext"));
    const widths = texts.map(function (t) { return t.getBoundingClientRect().width; });
    const over = texts.some(function (t) { return t.getBoundingClientRect().right > right; });
    if (!over) { gd.mcredRefits = 0; return; }
    // label i ends at x_i / R * P + gap + w_i (px from the plot's left); it must end by P + r
    const size = full._size;
    const plot = size.w, room = size.r - PAD;
    const range = full.xaxis.range[1];
    let need = range;
    (trace.x || []).forEach(function (x, i) {
      const free = plot + room - GAP - (widths[i] || 0);
      if (x > 0 && free > 0) need = Math.max(need, x * plot / free);
    });
    // a few tries at most: each drawing measures again (a label's own width does not change)
    gd.mcredRefits = (gd.mcredRefits || 0) + 1;
    if (need > range * 1.01 && isFinite(need) && gd.mcredRefits <= 3) {
      // and fewer ticks on the narrower bars, so their labels stay level and apart
      window.Plotly.relayout(gd, {"xaxis.range": [0, need * 1.02], "xaxis.nticks": Math.max(2, Math.floor(plot / 70))});
    }
  }

  function watch(gd) {
    if (gd.mcredBarLabels || !gd.on) return;
    gd.mcredBarLabels = true;
    gd.on("plotly_afterplot", function () { fit(gd); });
    fit(gd);
  }

  // Called by assets/a11y.js after every re-render (its one MutationObserver).
  window.mcredBarLabels = function () {
    document.querySelectorAll(".js-plotly-plot").forEach(watch);
  };
})();
