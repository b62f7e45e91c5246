// "Show as table" under every chart (dashboard/views/charts.py): the figure the graph holds, as
// a table with the chart's title as caption, one row per category and one column per series.
// On a chart that filters the page (data-clickable="1"), each row's button sets the graph's
// clickData as a click on that bar would, so Enter on a row filters like a bar click.
// Called by assets/a11y.js after every re-render; tested in tests/dashboard/test_keyboard.py.
(function () {
  "use strict";

  function plain(text) {
    return String(text == null ? "" : text).replace(/<br\s*\/?>/gi, " ").replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ").trim();
  }

  function titleOf(plot) {
    const t = plot.layout && plot.layout.title;
    return plain(t && (typeof t === "string" ? t : t.text));
  }

  // {categories: [{label, code}], series: [{name, cells: {label: text}}]} from plotly's traces.
  function tableOf(plot) {
    const categories = [];
    const seen = {};
    const series = [];
    (plot.data || []).forEach(function (trace, n) {
      if (trace.visible === false || trace.hoverinfo === "skip") return;
      const across = trace.orientation === "h";
      const cats = (across ? trace.y : trace.x) || [];
      const vals = (across ? trace.x : trace.y) || [];
      const cells = {};
      for (let i = 0; i < cats.length; i++) {
        const label = plain(cats[i]);
        const custom = Array.isArray(trace.customdata) ? trace.customdata[i] : undefined;
        if (!(label in seen)) {
          seen[label] = categories.length;
          categories.push({label: label, raw: cats[i], code: Array.isArray(custom) ? custom[0] : custom, trace: n, i: i});
        }
        const text = Array.isArray(trace.text) && trace.text[i] != null && trace.text[i] !== "" ? trace.text[i] : vals[i];
        cells[label] = plain(typeof text === "number" ? text.toLocaleString("en-CA") : text);
      }
      series.push({name: plain(trace.name) || "Value", cells: cells});
    });
    // horizontal bars are drawn bottom-up: read them top-down, as the chart shows them
    const horizontal = (plot.data || []).some(function (t) { return t.orientation === "h"; });
    if (horizontal) categories.reverse();
    return {categories: categories, series: series};
  }

  function build(box, plot, graphId) {
    const data = tableOf(plot);
    const key = JSON.stringify([titleOf(plot), data]);
    if (box.getAttribute("data-key") === key) return;
    box.setAttribute("data-key", key);
    box.textContent = "";
    if (!data.categories.length) {
      const p = document.createElement("p");
      p.className = "small text-muted mb-0";
      p.textContent = "Nothing to show for these filters.";
      box.appendChild(p);
      return;
    }
    const clickable = box.getAttribute("data-clickable") === "1";
    const table = document.createElement("table");
    table.className = "table table-sm small mb-0 chart-data-table";
    const caption = document.createElement("caption");
    caption.textContent = titleOf(plot) + (clickable ? " (choose a row to filter the page by it)" : "");
    table.appendChild(caption);
    const head = table.createTHead().insertRow();
    const first = document.createElement("th");
    first.scope = "col";
    first.textContent = "Category";
    head.appendChild(first);
    data.series.forEach(function (s) {
      const th = document.createElement("th");
      th.scope = "col";
      th.className = "text-end";
      th.textContent = s.name;
      head.appendChild(th);
    });
    const body = table.createTBody();
    data.categories.forEach(function (cat) {
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.className = "fw-normal";
      if (clickable && window.dash_clientside && window.dash_clientside.set_props) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-link btn-sm p-0 text-start chart-table-filter";
        button.textContent = cat.label;
        button.addEventListener("click", function () {
          const point = {x: cat.raw, y: cat.raw, customdata: cat.code, curveNumber: cat.trace, pointIndex: cat.i};
          window.dash_clientside.set_props(graphId, {clickData: {points: [point]}});
        });
        th.appendChild(button);
      } else {
        th.textContent = cat.label;
      }
      row.appendChild(th);
      data.series.forEach(function (s) {
        const td = row.insertCell();
        td.className = "text-end";
        td.textContent = s.cells[cat.label] == null ? "–" : s.cells[cat.label];
      });
    });
    const scroll = document.createElement("div");
    scroll.className = "table-responsive";
    scroll.appendChild(table);
    box.appendChild(scroll);
  }

  window.mcredChartTables = function () {
    document.querySelectorAll(".chart-table[data-graph]").forEach(function (box) {
      const graphId = box.getAttribute("data-graph");
      const graph = document.getElementById(graphId);
      const plot = graph && graph.querySelector(".js-plotly-plot");
      if (plot && plot.data) build(box, plot, graphId);
    });
  };
})();
