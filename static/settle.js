// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // htmx snapshots the page before a filter change is swapped in, so the snapshot's form already
  // shows the new choice. After back/forward, set every filter control from the restored URL.
  function syncFormsFromUrl() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[data-sync-url]").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || field.type === "hidden" || field.type === "submit") return;
        var value = params.get(field.name);
        if (field.tagName === "SELECT") {
          field.value = value !== null ? value : (field.dataset.default || field.options[0].value);
        } else {
          field.value = value !== null ? value : "";
        }
      });
    });
  }
  document.addEventListener("htmx:historyRestore", syncFormsFromUrl);
  window.addEventListener("pageshow", function (event) { if (event.persisted) syncFormsFromUrl(); });

  // A swapped-in error message should be seen.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "messages" && target.querySelector("[role=alert]")) {
      target.scrollIntoView({ block: "nearest" });
    }
  });
})();
