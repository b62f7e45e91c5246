/* Keeps the browser's own parseFloat, parseInt and String trim methods.
 *
 * Dash's renderer loads @babel/polyfill 7.12 (core-js 2) first. core-js 2 still counts U+180E
 * as white space (Unicode stopped in 6.3), finds that the browser's trim and parseFloat do
 * not strip it, and replaces them, and parseInt, with regular-expression versions. Plotly calls
 * parseFloat throughout its drawing: the replacements took ~20 ms of the overview's first
 * render in a sampled CPU profile at a million offerings (paired navigations: ~10 ms).
 * The browser's functions are the correct ones for today's
 * Unicode, so this script, run before the polyfill (views/index.py puts it first on the page),
 * keeps them and puts them back once every script has run (DOMContentLoaded comes after them
 * all, and before Dash renders anything). It is not one of the assets Dash adds by itself
 * (app.py: assets_path_ignore). */
(function () {
  "use strict";
  var kept = [
    [window, "parseFloat"],
    [window, "parseInt"],
    [Number, "parseFloat"],
    [Number, "parseInt"],
    [String.prototype, "trim"],
    [String.prototype, "trimStart"],
    [String.prototype, "trimEnd"],
    [String.prototype, "trimLeft"],
    [String.prototype, "trimRight"]
  ].filter(function (place) { return typeof place[0][place[1]] === "function"; })
    .map(function (place) { return place.concat([place[0][place[1]]]); });
  document.addEventListener("DOMContentLoaded", function () {
    kept.forEach(function (place) {
      if (place[0][place[1]] !== place[2]) {
        Object.defineProperty(place[0], place[1], {value: place[2], writable: true, configurable: true});
      }
    });
  }, {once: true});
})();
