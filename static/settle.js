// Small progressive enhancements; every page works without this file.
(function () {
  // After htmx swaps in new results, keep focus sensible for keyboard users.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "messages" && target.querySelector("[role=alert]")) {
      target.scrollIntoView({ block: "nearest" });
    }
  });
})();
