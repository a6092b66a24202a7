// The overview's cell detail: when a chosen cell's detail arrives (htmx),
// move focus to it so keyboard and screen-reader users land on what they
// asked for; "close" hides it and returns focus to the cell. No inline
// script: the page's CSP forbids it.
(function () {
  "use strict";
  var lastCell = null;
  function focusDetail() {
    var title = document.getElementById("detail-title");
    if (title) { title.focus({ preventScroll: false }); }
  }
  document.addEventListener("click", function (event) {
    var cell = event.target.closest && event.target.closest("a.cell");
    if (cell) { lastCell = cell; }
    var close = event.target.closest && event.target.closest("#cell-detail a.close");
    if (close) {
      event.preventDefault();
      var detail = document.getElementById("cell-detail");
      detail.classList.remove("open");
      detail.replaceChildren();
      history.pushState({}, "", close.getAttribute("href") || "?");
      if (lastCell) { lastCell.focus(); }
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail && event.detail.elt;
    var target = event.detail && event.detail.target;
    if ((elt && elt.classList && elt.classList.contains("cell")) ||
        (target && target.id === "cell-detail")) { focusDetail(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var detail = document.getElementById("cell-detail");
    if (detail && detail.classList.contains("open")) { focusDetail(); }
  });
})();
