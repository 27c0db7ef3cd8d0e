// Outcome charts: the scoped group against its comparison, week by week, with the step's start and end
// marked; progressive enhancement drawn with the vendored Chart.js. The data comes from
// <script type="application/json" id="outcome-charts"> (written with Jinja's tojson); the verdict and its
// interval are on the page as text, and the recommendation's page lists every week's figures.
(function () {
  "use strict";

  var source = document.getElementById("outcome-charts");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent || "{}");
  var styles = getComputedStyle(document.documentElement);

  function colour(name, fallback) {
    return styles.getPropertyValue(name).trim() || fallback;
  }

  var ink = colour("--ink", "#1c2430");
  var muted = colour("--muted", "#5a6472");
  var accent = colour("--accent", "#1f5fbf");
  var line = colour("--line", "#d9dee5");

  function numberText(value, unit) {
    if (value === null || value === undefined) {
      return "too few records to show";
    }
    var text = Number(value).toLocaleString("en", { maximumFractionDigits: 2 });
    return unit === "%" ? text + "%" : text + " " + unit;
  }

  // Draws a labelled vertical line at the weeks the step started and ended.
  var stepMarks = {
    id: "stepMarks",
    afterDatasetsDraw: function (chart, args, options) {
      var x = chart.scales.x;
      var area = chart.chartArea;
      var context = chart.ctx;
      [
        { week: options.start, text: "start" },
        { week: options.end, text: "end" },
      ].forEach(function (mark) {
        var index = mark.week ? chart.data.labels.indexOf(mark.week) : -1;
        if (index < 0) {
          return;
        }
        var left = x.getPixelForValue(index);
        context.save();
        context.strokeStyle = ink;
        context.setLineDash([3, 3]);
        context.beginPath();
        context.moveTo(left, area.top);
        context.lineTo(left, area.bottom);
        context.stroke();
        context.fillStyle = ink;
        context.font = "12px system-ui, sans-serif";
        context.fillText(mark.text, left + 4, area.top + 12);
        context.restore();
      });
    },
  };

  function draw(canvas, chart) {
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: chart.labels,
        datasets: [
          {
            label: chart.groupLabel,
            data: chart.group,
            borderColor: accent,
            backgroundColor: accent,
            borderWidth: 2,
            pointRadius: 2,
            spanGaps: true,
          },
          {
            label: chart.comparisonLabel,
            data: chart.comparison,
            borderColor: muted,
            backgroundColor: muted,
            borderDash: [6, 4],
            borderWidth: 1.5,
            pointRadius: 0,
            spanGaps: true,
          },
        ],
      },
      plugins: [stepMarks],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { color: line }, ticks: { color: muted, maxRotation: 0, autoSkipPadding: 12 } },
          y: { grid: { color: line }, ticks: { color: muted }, title: { display: true, text: chart.unit, color: muted } },
        },
        plugins: {
          legend: { labels: { color: ink, usePointStyle: true, pointStyle: "line" } },
          tooltip: {
            callbacks: {
              title: function (items) {
                return "week of " + items[0].label;
              },
              label: function (item) {
                return item.dataset.label + ": " + numberText(item.raw, chart.unit);
              },
            },
          },
          stepMarks: { start: chart.start, end: chart.end },
        },
      },
    });
  }

  document.querySelectorAll("canvas[data-outcome]").forEach(function (canvas) {
    var chart = charts[canvas.getAttribute("data-outcome")];
    if (chart && !window.Chart.getChart(canvas)) {
      draw(canvas, chart);
    }
  });
})();
