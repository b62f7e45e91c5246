// Keyboard paths and focus (tests/dashboard/test_keyboard.py drives each in Chromium):
// - [data-focus-target=ID]: activating the element (click, Enter, Space) moves the focus to
//   what the server puts in #ID (its first heading), once it has arrived, and scrolls it into view;
// - .focus-selected-cell returns the focus to the reporting matrix's selected cell;
// - the reporting matrix and every [data-roving] container are one Tab stop: arrow keys move
//   between their cells (Home/End: first/last of the row), Tab leaves (roving tabindex);
// - the compare peer grid (AG Grid): Tab leaves it (grid option tabToNextCell); Enter on a
//   cell does what a click does (makes that institution the focus).
(function () {
  "use strict";

  let wanted = null; // {id, before: the node #id held when asked, at: time}

  function firstChildOf(id) {
    const box = document.getElementById(id);
    return box ? box.firstElementChild : null;
  }

  function focusInside(id) {
    const box = document.getElementById(id);
    if (!box) return false;
    const target = box.querySelector("h2, h3, h4, [data-focus-here]") || box;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({preventScroll: true});
    target.scrollIntoView({block: "start", behavior: "instant"});
    return true;
  }

  document.addEventListener("click", function (event) {
    const trigger = event.target.closest && event.target.closest("[data-focus-target]");
    if (trigger) {
      const id = trigger.getAttribute("data-focus-target");
      wanted = {id: id, before: firstChildOf(id), at: Date.now()};
    }
    const back = event.target.closest && event.target.closest(".focus-selected-cell");
    if (back) {
      const cell = document.querySelector(".matrix-cell.selected") || document.querySelector(".matrix-cell");
      if (cell) {
        cell.focus();
        cell.scrollIntoView({block: "center", behavior: "instant"});
      }
    }
  }, true);

  function settleFocus() {
    if (!wanted) return;
    const now = firstChildOf(wanted.id);
    const changed = now && now !== wanted.before;
    const loading = document.querySelector("[data-dash-is-loading='true']");
    // New content has arrived; or the same content again (a second click) once nothing loads.
    if (changed || (now && !loading && Date.now() - wanted.at > 1500)) {
      const id = wanted.id;
      wanted = null;
      focusInside(id);
    } else if (Date.now() - wanted.at > 15000) {
      wanted = null;
    }
  }

  // --- roving tabindex -----------------------------------------------------------------------

  function grids() {
    return Array.from(document.querySelectorAll(".status-matrix, [data-roving]"));
  }

  function cellsOf(grid) {
    const selector = grid.getAttribute("data-roving") || ".matrix-cell";
    return Array.from(grid.querySelectorAll("tr")).map(function (tr) {
      return Array.from(tr.querySelectorAll(selector));
    }).filter(function (row) { return row.length; });
  }

  function rove(grid) {
    const cells = cellsOf(grid).flat();
    if (!cells.length) return;
    let current = cells.find(function (c) { return c.getAttribute("tabindex") === "0"; });
    if (!current || !document.contains(current)) {
      current = grid.querySelector(".selected[tabindex], .matrix-cell.selected") || cells[0];
    }
    cells.forEach(function (c) {
      const value = c === current ? "0" : "-1";
      if (c.getAttribute("tabindex") !== value) c.setAttribute("tabindex", value);
    });
  }

  const MOVES = {ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0]};

  document.addEventListener("keydown", function (event) {
    const grid = event.target.closest && event.target.closest(".status-matrix, [data-roving]");
    if (grid && (MOVES[event.key] || event.key === "Home" || event.key === "End")) {
      const rows = cellsOf(grid);
      let r = -1, c = -1;
      rows.forEach(function (row, i) {
        const j = row.indexOf(event.target);
        if (j >= 0) { r = i; c = j; }
      });
      if (r < 0) return;
      if (event.key === "Home") c = 0;
      else if (event.key === "End") c = rows[r].length - 1;
      else {
        r = Math.max(0, Math.min(rows.length - 1, r + MOVES[event.key][0]));
        c = Math.max(0, Math.min(rows[r].length - 1, c + MOVES[event.key][1]));
      }
      const next = rows[r][c];
      event.preventDefault();
      rows.flat().forEach(function (cell) { cell.setAttribute("tabindex", cell === next ? "0" : "-1"); });
      next.focus();
      return;
    }
    // AG Grid: Enter on a focused cell of the peer grid acts as a click on it.
    if (event.key === "Enter") {
      const cell = event.target.closest && event.target.closest(".compare-grid .ag-cell");
      if (cell) {
        event.preventDefault();
        cell.click();
      }
    }
  }, true);

  // Called by assets/a11y.js after every re-render (its one MutationObserver).
  window.mcredKeyboard = function () {
    grids().forEach(rove);
    settleFocus();
  };
})();
