// A table wider than the screen says so: each `.scroll` box gets `more-left`
// and `more-right` while part of it is hidden on that side, and the CSS
// draws a shadow there. On load, on resize, as it scrolls, and after htmx
// swaps a fragment in.
(function () {
  "use strict";
  function mark(box) {
    var hidden = box.scrollWidth - box.clientWidth;
    box.classList.toggle("more-left", box.scrollLeft > 1);
    box.classList.toggle("more-right", box.scrollLeft < hidden - 1);
  }
  function markAll() {
    document.querySelectorAll(".scroll").forEach(mark);
  }
  document.addEventListener("DOMContentLoaded", markAll);
  document.addEventListener("htmx:afterSettle", markAll);
  window.addEventListener("resize", markAll);
  document.addEventListener("scroll", function (event) {
    var box = event.target;
    if (box.classList && box.classList.contains("scroll")) { mark(box); }
  }, true);  // scroll events do not bubble: listen as they are captured
})();
