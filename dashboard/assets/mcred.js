// Keeps the page's filters in the URL, and nav links carrying them between pages.

// True from a navigation (first load, Back/Forward, a link) until the new page's
// filters have rendered. Dash calls syncUrl for a freshly rendered page with every
// input "triggered", like a change; that call must not write the URL: it would add a
// history entry that Back has to step over, and pin the default period in links.
let mcredRendering = true;

// The location Dash's router (the _pages_location dcc.Location) last saw. syncUrl
// pushes history entries behind the router's back (telling it would re-render the
// page on every change), so when Back returns to exactly that location the router
// sees no change and the page would keep showing the later filters: re-route then.
let mcredRouted = window.location.pathname + window.location.search;
window.addEventListener("popstate", function () {
  mcredRendering = true;
  const here = window.location.pathname + window.location.search;
  const unnoticed = here === mcredRouted;
  mcredRouted = here;
  if (unnoticed && window.dash_clientside.set_props) {
    window.dash_clientside.set_props("_pages_location", {search: window.location.search});
  }
});
window.addEventListener("_dashprivate_pushstate", function () {
  mcredRendering = true;
  mcredRouted = window.location.pathname + window.location.search;
});

// One gesture, one history entry. A user's click or key press can change the URL in steps (on
// /compare a new focus then sets the institution filter to it); Back must undo the gesture, not
// its last step. So a change pushes an entry only when the user has acted since the last push;
// a change that follows from the same gesture replaces the entry the gesture pushed.
let mcredGesture = false;
["pointerdown", "keydown"].forEach(function (type) {
  document.addEventListener(type, function () { mcredGesture = true; }, true);
});

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  mcred: {
    // Called with the values of every {"type": "filter"} and {"type": "urlparam"}
    // component on the page. Pushes a history entry when the query changes, so a
    // bookmark or shared link reopens the view and Back steps through the user's changes.
    syncUrl: function () {
      const ctx = window.dash_clientside.callback_context;
      const triggered = (ctx.triggered || []).map(function (t) { return t.prop_id; });
      const inputs = (ctx.inputs_list || []).reduce(function (n, group) { return n + (group || []).length; }, 0);
      if (!inputs) {
        return window.dash_clientside.no_update; // the page's filters are not rendered yet
      }
      const rendering = mcredRendering && triggered.length >= inputs;
      mcredRendering = false;
      if (rendering || !triggered.length || triggered[0] === ".") {
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
        const url = window.location.pathname + query;
        if (mcredGesture) {
          window.history.pushState({}, "", url);
        } else {
          window.history.replaceState({}, "", url);
        }
        mcredGesture = false;
      }
      return window.dash_clientside.no_update;
    },

    // The words under the filters after a change, as dashboard.views.filters.summary_text
    // writes them into the layout: each filter with a value, in the order of `labels`
    // ([param, its name] pairs), its values by the dropdown's own option labels (a value
    // the dropdown does not offer is left out, as the server's lenient parse leaves it out).
    filterSummary: function (_values, options, labels) {
      const ctx = window.dash_clientside.callback_context;
      const chosen = {};
      (ctx.inputs_list[0] || []).forEach(function (item, i) {
        const names = Object.create(null);
        (options[i] || []).forEach(function (o) { names[o.value] = o.label; });
        const values = Array.isArray(item.value) ? item.value : (item.value ? [item.value] : []);
        chosen[item.id.name] = values
          .filter(function (v, at) { return v in names && values.indexOf(v) === at; })
          .map(function (v) { return names[v]; });
      });
      const parts = [];
      (labels || []).forEach(function (pair) {
        const shown = chosen[pair[0]] || [];
        if (shown.length) {
          parts.push(pair[1] + ": " + shown.slice(0, 3).join(", ") +
                     (shown.length > 3 ? " +" + (shown.length - 3) + " more" : ""));
        }
      });
      if (chosen.period && !chosen.period.length) {
        parts.unshift("All fiscal years");
      }
      return "Showing " + (parts.length ? parts.join("; ") : "everything") + ".";
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

// dashboard/first_page.py drew into the first layout the page the Referer named (data-first-page).
// A browser that trims Referers to the origin would have had the overview drawn at any address:
// then the page Location is told the address changed, and Dash's page router draws this one.
(function () {
  const watch = new MutationObserver(function () {
    const content = document.getElementById("_pages_content"); // in the first layout, drawn or not
    if (!content) return;
    watch.disconnect();
    const drawn = content.getAttribute("data-first-page");
    if (drawn !== null && drawn !== window.location.pathname + window.location.search) {
      window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    }
  });
  watch.observe(document.documentElement, {childList: true, subtree: true});
})();
