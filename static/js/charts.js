// Trend charts of the component page, drawn from the page's own JSON
// (json_script); the same numbers are in the table below them. One colour
// means one thing on every chart (Okabe-Ito, colour-blind safe); the legend
// on the page says which.
(function () {
  "use strict";
  var NATIVE = "#0072B2", THREAD = "#E69F00", UNKNOWN = "#000000",
      LOOP = "#009E73", DUP = "#D55E00", OTHER = "#56B4E9", SYNC = "#CC79A7";
  var colours = {
    "async-native": NATIVE, "async-io": NATIVE,
    "async-wrapper": THREAD, "thread": THREAD, "fewest hops": THREAD, "most hops": THREAD,
    "unknown": UNKNOWN, "loop": LOOP, "sync-wrapper": SYNC,
    "duplicated lines": DUP, "derivable": DUP, "near-copy": DUP, "doubled tests": DUP,
    "delegating": OTHER, "divergent": OTHER, "async tests": OTHER
  };
  // Series of one colour on one chart are told apart by their dashes.
  var dashes = { "unknown": [6, 4], "most hops": [6, 4], "near-copy": [6, 4], "divergent": [2, 3] };
  function draw() {
    var source = document.getElementById("chart-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var series = data[canvas.dataset.chart] || {};
      var datasets = Object.keys(series).map(function (name) {
        var colour = colours[name] || OTHER;
        return { label: name, data: series[name], borderColor: colour,
                 backgroundColor: colour, borderDash: dashes[name] || [], tension: 0.1 };
      });
      new Chart(canvas, { type: "line", data: { labels: data.labels, datasets: datasets },
        options: { animation: false, responsive: true, scales: {
          x: { title: { display: true, text: "release" } },
          y: { beginAtZero: true, title: { display: true, text: canvas.dataset.y || "" },
               ticks: { precision: 0 } } } } });
      canvas.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
