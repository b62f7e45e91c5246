// The reporting matrix of /submissions (dashboard/views/submissions.py matrix_table) is one
// component holding an HTML table; its clickable cells are native buttons whose data-cell names
// the institution and year. This sends their clicks to the page's callbacks, through the
// matrix-click store (with the time, so a second click on the same cell is a change too), and
// marks the selected cell when the page's cell changes (a click, the status list, "all issues").
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    const cell = event.target.closest && event.target.closest(".status-matrix button[data-cell]");
    if (cell && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("matrix-click", {data: {cell: cell.getAttribute("data-cell"), at: Date.now()}});
    }
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    matrix: {
      select: function (cell) {
        document.querySelectorAll(".status-matrix button[data-cell]").forEach(function (button) {
          button.classList.toggle("selected", button.getAttribute("data-cell") === cell);
        });
        return cell || "";
      },
    },
  });
})();
