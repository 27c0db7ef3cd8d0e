// Outcome charts: the scoped group against its comparison, week by week, with the step's start and end
// marked; progressive enhancement drawn with the vendored Chart.js and the shared helpers of charts.js. The
// data comes from <script type="application/json" id="outcome-charts"> (written with Jinja's tojson); the
// verdict and its interval are on the page as text, and the recommendation's page lists every week's figures.
(function () {
  "use strict";

  var shared = window.OcmfCharts;
  var charts = shared ? shared.data("outcome-charts") : null;
  if (!charts) {
    return;
  }
  var colours = shared.colours;

  function numberText(value, unit) {
    return shared.numberText(value, unit, "too few records to show", 2);
  }

  function draw(canvas, chart) {
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: chart.labels,
        datasets: [
          {
            label: chart.groupLabel,
            data: chart.group,
            borderColor: colours.accent,
            backgroundColor: colours.accent,
            borderWidth: 2,
            pointRadius: 2,
            spanGaps: true,
          },
          {
            label: chart.comparisonLabel,
            data: chart.comparison,
            borderColor: colours.muted,
            backgroundColor: colours.muted,
            borderDash: [6, 4],
            borderWidth: 1.5,
            pointRadius: 0,
            spanGaps: true,
          },
        ],
      },
      plugins: [shared.marksPlugin],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: shared.axes(chart.unit),
        plugins: {
          legend: shared.legend(true),
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
          marks: {
            marks: [
              { label: chart.start, text: "start" },
              { label: chart.end, text: "end" },
            ],
          },
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
