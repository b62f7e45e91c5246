// Keeps the page's filters in the URL, and nav links carrying them between pages.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  mcred: {
    // Called with the values of every {"type": "filter"} and {"type": "urlparam"}
    // component on the page. Pushes a history entry when the query changes, so a
    // bookmark or shared link reopens the view and Back steps through changes.
    syncUrl: function () {
      const ctx = window.dash_clientside.callback_context;
      const triggered = (ctx.triggered || []).map(function (t) { return t.prop_id; });
      if (!triggered.length || triggered[0] === ".") {
        return window.dash_clientside.no_update; // first render: the URL already says it
      }
      const params = new URLSearchParams(window.location.search);
      (ctx.inputs_list || []).forEach(function (group) {
        (group || []).forEach(function (item) {
          const name = item.id.name;
          let value = item.value;
          if (Array.isArray(value)) {
            value = value.join(",");
            if (name === "period" && item.id.type === "filter" && value === "") { value = "all"; }
          }
          if (value === null || value === undefined || value === "" ||
              (item.id.type === "urlparam" && item.id.default === value)) {
            params.delete(name);
          } else {
            params.set(name, value);
          }
        });
      });
      let query = params.toString().replace(/%2C/g, ",").replace(/%2F/g, "/");
      query = query ? "?" + query : "";
      if (query !== window.location.search) {
        window.history.pushState({}, "", window.location.pathname + query);
      }
      return window.dash_clientside.no_update;
    }
  }
});

// Nav links keep the current filters: route through Dash's own history event.
document.addEventListener("click", function (event) {
  const link = event.target.closest && event.target.closest("a[data-keep-query]");
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
  event.preventDefault();
  const url = new URL(link.getAttribute("href"), window.location.origin);
  window.history.pushState({}, "", url.pathname + window.location.search);
  window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  window.scrollTo(0, 0);
}, true);
