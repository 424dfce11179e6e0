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

  // --- Amounts in the cart (issue 16) ------------------------------------------------------------------
  // The rules of i18n/amounts.py, written again: what the server will accept is what counts in the live total.
  // Returns the amount in cents, or null for anything the server would refuse as typed.
  var GROUP_MARK = { en: "," };
  function grouped(digits, mark) {
    var parts = digits.split(mark);
    if (parts[0].length < 1 || parts[0].length > 3) return false;
    for (var i = 0; i < parts.length; i += 1) {
      if (!/^\d+$/.test(parts[i]) || (i > 0 && parts[i].length !== 3)) return false;
    }
    return true;
  }
  function stripCurrency(text, tokens) {
    var sign = "";
    if (/^[-\u2212]/.test(text)) { sign = "-"; text = text.slice(1).trim(); }
    var lead = text.match(/^([^\d\s.,\-\u2212]+)/);
    if (lead) {
      if (tokens.indexOf(lead[1].replace(/\.+$/, "").toLowerCase()) < 0) return null;
      text = text.slice(lead[0].length).trim();
    }
    var trail = text.match(/([^\d\s.,]+)$/);
    if (trail) {
      if (tokens.indexOf(trail[1].toLowerCase()) < 0) return null;
      text = text.slice(0, text.length - trail[0].length).trim();
    }
    if (/^[-\u2212]/.test(text)) { sign = "-"; text = text.slice(1).trim(); }
    return sign + text;
  }
  function parseAmount(typed, lang, tokens) {
    var text = String(typed || "");
    if (!text.trim() || text.length > 40) return null;
    var body = stripCurrency(text.trim(), tokens);
    if (body === null) return null;
    var sign = 1;
    if (body.charAt(0) === "-") { sign = -1; body = body.slice(1); }
    body = body.replace(/\s+/g, " ").trim();
    if (!body || /[^\d., ]/.test(body) || !/\d/.test(body) || /[.,] | [.,]/.test(body)) return null;
    var whole = body, fraction = null;
    var points = (body.match(/\./g) || []).length, commas = (body.match(/,/g) || []).length;
    if (points && commas) {
      var decimal = body.lastIndexOf(".") > body.lastIndexOf(",") ? "." : ",";
      var group = decimal === "." ? "," : ".";
      var at = body.lastIndexOf(decimal);
      whole = body.slice(0, at); fraction = body.slice(at + 1);
      if (whole.indexOf(decimal) >= 0 || whole.indexOf(" ") >= 0 || !grouped(whole, group)) return null;
      whole = whole.split(group).join("");
    } else if (points || commas) {
      var mark = points ? "." : ",";
      if (points + commas > 1) {
        if (body.indexOf(" ") >= 0 || !grouped(body, mark)) return null;
        whole = body.split(mark).join("");
      } else {
        whole = body.slice(0, body.indexOf(mark)); fraction = body.slice(body.indexOf(mark) + 1);
        var onlyDecimal = fraction.length !== 3 || whole.indexOf(" ") >= 0 || !whole || whole === "0" ||
          whole.length > 3 || !/^\d+$/.test(whole);
        if (!onlyDecimal) {
          if (GROUP_MARK[lang] !== mark) return null;  // ambiguous: the server explains it
          whole += fraction; fraction = null;
        }
      }
    }
    if (whole === "") whole = "0";
    if (whole.indexOf(" ") >= 0) {
      if (!grouped(whole, " ")) return null;
      whole = whole.split(" ").join("");
    }
    if (!/^\d+$/.test(whole)) return null;
    if (fraction === "") fraction = null;
    if (fraction !== null && (!/^\d+$/.test(fraction) || fraction.length > 2)) return null;
    if (whole.replace(/^0+/, "").length > 12) return null;
    return sign * (parseInt(whole, 10) * 100 + parseInt(((fraction || "") + "00").slice(0, 2), 10));
  }
  window.settleParseAmount = parseAmount;  // for tests/test_amount_entry.py

  function centsOf(text) { return parseAmount(text, "en", []); }
  // Money as the page writes it: the layout is read from a sample the server formatted (1234567.89).
  // The same as i18n/formatting.py: _money_layout (some languages leave four digits ungrouped).
  function formatMoney(cents, sample, small) {
    var shape = sample.match(/^(.*?)1(\D*)234(\D*)567(\D+)89(.*)$/);
    if (!shape || shape[2] !== shape[3]) return null;
    var whole = String(Math.floor(Math.abs(cents) / 100));
    var minor = ("0" + String(Math.abs(cents) % 100)).slice(-2);
    if (whole.length > 4 || (whole.length === 4 && small.indexOf(shape[2]) >= 0)) {
      whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, shape[2]);
    }
    return (cents < 0 ? "-" : "") + shape[1] + whole + shape[4] + minor + shape[5];
  }
  function updateCartTotal(form) {
    if (form.hasAttribute("data-credits")) return;  // credit notes follow the amounts: the server redraws
    var total = document.getElementById("cart-total"), note = document.getElementById("cart-total-note");
    if (!total || !note || !form.dataset.moneySample) return;
    var tokens = (form.dataset.currencyTokens || "").split(" ");
    var sum = 0, left = [];
    form.querySelectorAll("input.amount-input").forEach(function (input) {
      var cents = parseAmount(input.value, form.dataset.lang, tokens);
      var balance = centsOf(input.dataset.balance), from = input.dataset.settlesFrom;
      var wrong = cents === null || cents <= 0 || cents > balance;
      if (wrong) {
        input.setAttribute("aria-invalid", "true");
        left.push(input.dataset.number);
      } else {
        if (!input.closest("tr").querySelector(".field-error")) input.removeAttribute("aria-invalid");
        sum += from && cents >= centsOf(from) ? centsOf(from) : cents;
      }
    });
    var text = formatMoney(sum, form.dataset.moneySample, form.dataset.moneySampleSmall || "");
    if (text === null) return;
    total.textContent = text;
    note.textContent = left.length ? (left.length === 1 ? note.dataset.one : note.dataset.many)
      .replace("%(numbers)s", left.join(", ")) : "";
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.matches && input.matches("#cart-form input.amount-input")) updateCartTotal(input.form);
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
