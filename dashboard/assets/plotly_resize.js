// A chart is not drawn again to the size it already has.
//
// dcc.Graph calls Plotly.Plots.resize on every chart just after its first draw, and Plotly,
// 100 ms later, drops the chart's size and draws it once more (relayout, autosize) even when
// its box has not changed: on the overview, seven charts drawn twice, the second time while
// the later charts are still being drawn. Here a resize whose box matches the size the chart
// was drawn at resolves at once; any other (the window or the card changed) goes to Plotly.
// Plotly is an asset loaded after this file (assets/vendor/), and the renderer draws no chart
// before the document has loaded: the wrapper goes on at DOMContentLoaded.
(function () {
  "use strict";

  function sameSize(gd) {
    const full = gd && gd._fullLayout;
    if (!full || !gd.isConnected) return false;
    const style = window.getComputedStyle(gd);
    return Math.round(parseFloat(style.width)) === Math.round(full.width) &&
      Math.round(parseFloat(style.height)) === Math.round(full.height);
  }

  function wrap() {
    const plots = window.Plotly && window.Plotly.Plots;
    if (!plots || plots.resize.mcredSameSize) return;
    const resize = plots.resize;
    plots.resize = function (gd) {
      const el = typeof gd === "string" ? document.getElementById(gd) : gd;
      if (!(el && el._redrawTimer) && sameSize(el)) return Promise.resolve(el);
      return resize.apply(this, arguments);
    };
    plots.resize.mcredSameSize = true;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wrap);
  else wrap();
})();
