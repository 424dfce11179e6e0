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
  // A link that swaps the results and pushes its URL (an aging bar of the overview) changes a filter the
  // form does not know of yet: show it there too, leaving alone the field being typed in.
  document.addEventListener("htmx:pushedIntoHistory", function () {
    var active = document.activeElement;
    var typing = active && active.form && active.form.matches("form[data-sync-url]") && active.type === "search";
    var kept = typing ? active.value : null;
    syncFormsFromUrl();
    if (typing) active.value = kept;
  });
  window.addEventListener("pageshow", function (event) { if (event.persisted) syncFormsFromUrl(); });

  // A swapped-in error message should be seen.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "messages" && target.querySelector("[role=alert]")) {
      target.scrollIntoView({ block: "nearest" });
    }
  });

  // --- Request invoice (issue 5) ---------------------------------------------------------------------
  // htmx appends the request <dialog data-modal> to #main; open it as a modal (focus moves in, Esc closes,
  // the page behind is inert), and give focus back to the button that opened it — or, once the request is
  // sent and the button has been replaced by the confirmation, to the confirmation's link.
  var dialogOpener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var opener = event.detail.elt;
    if (opener && opener.matches && opener.matches("[data-opens-dialog]")) {
      dialogOpener = opener;
    }
  });
  document.addEventListener("htmx:load", function (event) {
    var dialog = event.detail.elt;
    if (!dialog || !dialog.matches || !dialog.matches("dialog[data-modal]") || dialog.open) return;
    document.querySelectorAll("dialog[data-modal]").forEach(function (other) {
      if (other !== dialog) other.remove();
    });
    var opener = dialogOpener;
    var slot = opener && opener.closest(".request-slot");
    dialog.addEventListener("click", function (e) {
      if (e.target.closest("[data-close-dialog]")) dialog.close();
    });
    dialog.addEventListener("close", function () {
      dialog.remove();
      if (opener && document.contains(opener)) {
        opener.focus();
      } else if (slot && slot.querySelector("[data-after-dialog]")) {
        slot.querySelector("[data-after-dialog]").focus();
      }
    });
    if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
  });
  // The request was sent (or refused with a message in #messages): the dialog has done its job.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var dialog = elt && elt.closest && elt.closest("dialog[data-modal]");
    if (dialog && dialog.open && event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
      dialog.close();
    }
  });

  // --- The look (issue 16) ----------------------------------------------------------------------------------
  // Wider than a phone, the header's menu and the list's filters are always shown: CSS does it with
  // ::details-content; a browser without it gets the <details> opened here instead.
  if (window.CSS && CSS.supports && !CSS.supports("selector(::details-content)") && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 721px)");
    var openWhenWide = function () {
      if (!wide.matches) return;
      document.querySelectorAll("details.site-menu, details.filter-fields").forEach(function (d) { d.open = true; });
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", openWhenWide);
    else openWhenWide();
    if (wide.addEventListener) wide.addEventListener("change", openWhenWide);
  }

  // --- Pay selected (issue 12) ---------------------------------------------------------------------------
  // The list's checkboxes submit the shared form #pay-selected by their `form` attribute (the rows carry no
  // CSRF token). Here: the button counts what is ticked, and "select all on this page" appears and works.
  function selectionBoxes() {
    return document.querySelectorAll('input[type=checkbox][form="pay-selected"][name="invoice"]');
  }
  function updateSelection() {
    var boxes = selectionBoxes();
    var ticked = 0;
    boxes.forEach(function (box) { if (box.checked) ticked += 1; });
    document.querySelectorAll("[data-pay-selected]").forEach(function (button) {
      button.textContent = button.dataset.label + " (" + ticked + ")";
    });
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      all.hidden = boxes.length === 0;
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-all]")) {
      selectionBoxes().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches && (target.matches("[data-select-all]") || target.getAttribute("form") === "pay-selected")) {
      updateSelection();
    }
  });
  document.addEventListener("htmx:afterSettle", updateSelection);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", updateSelection);
  } else {
    updateSelection();
  }
})();
