// Accessibility repairs of what Dash 4 and Plotly render, kept in step with every re-render
// (tests/dashboard/test_accessibility.py runs axe-core over each page):
// - <html lang="en"> (Dash's page has none; app.py's index_string should set it too);
// - dcc.Dropdown: its hidden keyboard-focus input is focusable but aria-hidden, and neither it,
//   the toggle button nor the open listbox carries the filter's visible label: each gets the
//   label of its .filter-item / .a11y-field (by aria-labelledby), and each option's role and
//   selected state move from its <label> onto the checkbox inside it, which takes focus;
// - tables that scroll sideways take keyboard focus (a named region);
// - charts: the graph container becomes a named figure (aria-label: the chart's title), and the
//   "Download CSV" link under it says which chart's data it downloads.
(function () {
  "use strict";

  function labelFor(wrapper) {
    const item = wrapper.closest(".filter-item, .a11y-field") || wrapper.parentElement;
    return item ? item.querySelector("label[id]") : null;
  }

  function chartTitle(graph) {
    const plot = graph.querySelector(".js-plotly-plot");
    const title = plot && plot.layout && plot.layout.title;
    const text = title && (typeof title === "string" ? title : title.text);
    return text ? text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim() : "";
  }

  // A short text alternative: each trace's name and its first points, as "category value".
  function chartSummary(graph) {
    const plot = graph.querySelector(".js-plotly-plot");
    if (!plot || !plot.data) return "";
    const parts = [];
    plot.data.slice(0, 4).forEach(function (trace) {
      if (trace.visible === false || trace.showlegend === false && !trace.name) return;
      const across = trace.orientation === "h";
      const cats = (across ? trace.y : trace.x) || [];
      const vals = (across ? trace.x : trace.y) || [];
      const shown = [];
      for (let i = 0; i < Math.min(cats.length, 8); i++) {
        const v = vals[i];
        const text = Array.isArray(trace.text) && trace.text[i] ? String(trace.text[i]) : (v == null ? "" : String(v));
        shown.push(String(cats[i]).replace(/<[^>]+>/g, " ") + " " + text.replace(/<[^>]+>/g, " "));
      }
      if (shown.length) {
        parts.push((trace.name ? trace.name + ": " : "") + shown.join("; ") + (cats.length > 8 ? "; and " + (cats.length - 8) + " more" : ""));
      }
    });
    return parts.join(". ").replace(/\s+/g, " ").trim();
  }

  function repair() {
    if (!document.documentElement.getAttribute("lang")) document.documentElement.setAttribute("lang", "en");
    document.querySelectorAll(".dash-dropdown-wrapper").forEach(function (wrapper) {
      const label = labelFor(wrapper);
      const focus = wrapper.querySelector(".dash-dropdown-focus-target");
      const button = wrapper.querySelector("button.dash-dropdown");
      if (focus && focus.getAttribute("aria-hidden")) {
        focus.removeAttribute("aria-hidden");
      }
      if (!label) return;
      if (focus && !focus.getAttribute("aria-labelledby")) {
        focus.setAttribute("aria-labelledby", label.id + (button ? " " + button.id + "-value" : ""));
      }
      if (button) {
        const by = button.getAttribute("aria-labelledby") || "";
        if (by.split(" ")[0] !== label.id) button.setAttribute("aria-labelledby", (label.id + " " + by).trim());
        if (button.getAttribute("aria-expanded") === "true") {
          document.querySelectorAll(".dash-dropdown-options[role=listbox]").forEach(function (list) {
            if (list.getAttribute("aria-labelledby") !== label.id) list.setAttribute("aria-labelledby", label.id);
          });
        }
      }
    });
    document.querySelectorAll("[role=listbox]:not([aria-labelledby]):not([aria-label])").forEach(function (list) {
      list.setAttribute("aria-label", "Options");
    });
    // Each option is a <label role=option> around the checkbox that takes focus and the keys:
    // the option's role and state move onto that checkbox (no control nested in a control).
    document.querySelectorAll(".dash-options-list-option").forEach(function (option) {
      const box = option.querySelector("input.dash-options-list-option-checkbox");
      if (!box) return;
      if (option.getAttribute("role") !== "none") option.setAttribute("role", "none");
      if (box.getAttribute("role") !== "option") box.setAttribute("role", "option");
      const selected = option.classList.contains("selected") ? "true" : "false";
      if (option.hasAttribute("aria-selected")) option.removeAttribute("aria-selected");
      if (box.getAttribute("aria-selected") !== selected) box.setAttribute("aria-selected", selected);
    });
    // A table that scrolls sideways inside its card (a phone) must be scrollable by keyboard.
    // Measured by a ResizeObserver (after layout) of the box and its table: reading scrollWidth
    // here, after every re-render, forced a layout each time (~35 ms of a first render).
    // A box or table a re-render has removed is let go (the observer would keep it alive).
    sized.forEach(function (el) {
      if (!el.isConnected) {
        sizes.unobserve(el);
        sized.delete(el);
      }
    });
    document.querySelectorAll(SCROLL_BOXES).forEach(function (box) {
      [box, box.querySelector("table")].forEach(function (el) {
        if (el && !sized.has(el)) {
          sized.add(el);
          sizes.observe(el);
        }
      });
    });
    document.querySelectorAll(".dash-graph").forEach(function (graph) {
      const title = chartTitle(graph);
      if (!title) return;
      const summary = chartSummary(graph);
      const name = "Chart: " + title + (summary ? ". " + summary : "");
      if (graph.getAttribute("aria-label") !== name) {
        graph.setAttribute("role", "figure");
        graph.setAttribute("aria-label", name);
      }
      const card = graph.parentElement;
      const link = card && card.querySelector(":scope > .text-end > a.chart-download, :scope a.chart-download");
      if (link && link.getAttribute("aria-label") !== "Download CSV: " + title) {
        link.setAttribute("aria-label", "Download CSV: " + title);
      }
    });
  }

  const SCROLL_BOXES = ".table-responsive, .matrix-scroll";
  const sized = new Set(); // the boxes and tables observed
  function markScrolling(box) {
    if (box.scrollWidth > box.clientWidth + 1) {
      if (!box.hasAttribute("tabindex")) {
        const table = box.querySelector("table");
        const caption = table && table.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() + ": " : "") + "table, scrolls sideways");
      }
    } else if (box.getAttribute("tabindex") === "0" && box.getAttribute("role") === "region") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }
  window.mcredObservedTables = function () { return Array.from(sized); }; // for tests/dashboard/test_accessibility.py
  const sizes = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      const box = entry.target.closest(SCROLL_BOXES);
      if (box) markScrolling(box);
    });
  });

  // fit(gd) after every drawing of every chart, from its first on (assets/bar_labels.js and
  // legend_row.js refit narrow charts this way); ``key`` marks a chart already watched.
  window.mcredAfterEveryDraw = function (key, fit) {
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      if (gd[key] || !gd.on) return;
      gd[key] = true;
      gd.on("plotly_afterplot", function () { fit(gd); });
      fit(gd);
    });
  };

  function afterRender() {
    repair();
    if (window.mcredKeyboard) window.mcredKeyboard(); // assets/keyboard.js: roving tabindex, focus
    if (window.mcredChartTables) window.mcredChartTables(); // assets/chart_tables.js: "Show as table"
    if (window.mcredBarLabels) window.mcredBarLabels(); // assets/bar_labels.js: value labels inside
    if (window.mcredLegendRow) window.mcredLegendRow(); // assets/legend_row.js: a legend on one row
  }

  let pending = false;
  const observer = new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      afterRender();
    });
  });
  function start() {
    afterRender();
    observer.observe(document.body, {childList: true, subtree: true, attributes: true,
      attributeFilter: ["aria-expanded", "aria-hidden", "aria-selected", "class", "data-dash-is-loading"]});
  }
  window.addEventListener("resize", repair);
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
