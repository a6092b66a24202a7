// Trend charts of the component page, drawn from the page's own JSON
// (json_script); the same numbers are in the table below them.
(function () {
  "use strict";
  var palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];
  function draw() {
    var source = document.getElementById("chart-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var series = data[canvas.dataset.chart] || {};
      var datasets = Object.keys(series).map(function (name, i) {
        return { label: name, data: series[name], borderColor: palette[i % palette.length],
                 backgroundColor: palette[i % palette.length], tension: 0.1 };
      });
      new Chart(canvas, { type: "line", data: { labels: data.labels, datasets: datasets },
        options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } } });
      canvas.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
