// The back office's only script of its own: charts from the figures the server put in
// data-chart (Chart.js), and a "Loading…" status while a page or form is on its way.
(function () {
  "use strict";

  function drawCharts(root) {
    root.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(function (canvas) {
      var status = canvas.parentElement.querySelector(".chart-status");
      try {
        if (typeof Chart === "undefined") { throw new Error("the chart library did not load"); }
        var spec = JSON.parse(canvas.getAttribute("data-chart"));
        new Chart(canvas, {
          type: spec.type,
          data: { labels: spec.labels, datasets: spec.datasets.map(function (d) {
            return { label: d.label, data: d.data, spanGaps: true, tension: 0.2, pointRadius: spec.labels.length > 40 ? 0 : 2 };
          }) },
          options: {
            animation: false, responsive: true, maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            plugins: { legend: { position: "bottom" } },
            scales: { y: { beginAtZero: true, title: { display: !!spec.y_title, text: spec.y_title } } }
          }
        });
        canvas.setAttribute("data-drawn", "true");
        if (status) { status.hidden = true; }
      } catch (err) {
        canvas.setAttribute("data-drawn", "error");
        if (status) { status.textContent = "The chart could not be drawn (" + err.message + "); the figures are in the table below."; }
      }
    });
  }

  function showLoading() {
    var el = document.getElementById("loading");
    if (el) { el.hidden = false; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    document.addEventListener("submit", function (e) { if (!e.defaultPrevented) { showLoading(); } });
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("a[href]");
      if (!a || e.ctrlKey || e.metaKey || e.shiftKey || a.target || a.getAttribute("href").charAt(0) === "#"
          || a.getAttribute("href").indexOf("javascript:") === 0) { return; }
      showLoading();
    });
  });
  window.addEventListener("pageshow", function () {
    var el = document.getElementById("loading");
    if (el) { el.hidden = true; }
  });
  document.addEventListener("htmx:afterSwap", function (e) { drawCharts(e.target); });
})();
