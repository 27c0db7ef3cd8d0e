// Scorecard trend charts: progressive enhancement over the tables, drawn with the vendored Chart.js and the
// shared helpers of charts.js. The data comes from <script type="application/json" id="scorecard-trends">
// (written with Jinja's tojson); every number a chart shows is also on the page as text.
(function () {
  "use strict";

  var shared = window.OcmfCharts;
  var trends = shared ? shared.data("scorecard-trends") : null;
  if (!trends) {
    return;
  }
  var muted = shared.colours.muted;
  var accent = shared.colours.accent;
  var periodWash = "rgba(31, 95, 191, 0.09)";

  function numberText(value, unit) {
    return shared.numberText(value, unit, "no data", unit === "ratio" ? 2 : 1);
  }

  // Shades the months of the scorecard's period (from `periodFrom` to the last month) behind the lines.
  var periodShade = {
    id: "periodShade",
    beforeDatasetsDraw: function (chart, args, options) {
      var index = options.months ? options.months.indexOf(options.from) : -1;
      if (index < 0) {
        return;
      }
      var x = chart.scales.x;
      var area = chart.chartArea;
      var step = options.months.length > 1 ? (x.getPixelForValue(1) - x.getPixelForValue(0)) / 2 : 0;
      var left = Math.max(area.left, x.getPixelForValue(index) - step);
      var context = chart.ctx;
      context.save();
      context.fillStyle = periodWash;
      context.fillRect(left, area.top, area.right - left, area.bottom - area.top);
      context.restore();
    },
  };

  function datasets(trend, detail) {
    var sets = [
      {
        label: trend.name,
        data: trend.values,
        borderColor: accent,
        backgroundColor: accent,
        borderWidth: detail ? 2.5 : 2,
        cubicInterpolationMode: "monotone",
        // Months hidden for too few records are bridged with a dashed segment, never invented.
        spanGaps: true,
        segment: { borderDash: function (context) { return context.p0.skip || context.p1.skip ? [4, 4] : undefined; } },
        pointRadius: detail ? 3 : trend.values.map(function (_, i) { return i === trend.values.length - 1 ? 2.5 : 0; }),
        pointHoverRadius: 4,
        clip: 6,
      },
    ];
    if (detail && trend.reference) {
      sets.push({
        label: trend.reference.label,
        data: trend.values.map(function () { return trend.reference.value; }),
        borderColor: muted,
        borderDash: [6, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        pointHoverRadius: 0,
        fill: false,
      });
    }
    return sets;
  }

  function tooltip(trend) {
    return {
      callbacks: {
        label: function (item) {
          if (item.datasetIndex > 0) {
            return item.dataset.label + ": " + numberText(item.raw, trend.unit);
          }
          return numberText(item.raw, trend.unit) + " (n = " + trend.n[item.dataIndex] + ")";
        },
      },
    };
  }

  function sparkline(canvas, trend) {
    return new window.Chart(canvas, {
      type: "line",
      data: { labels: trend.labels, datasets: datasets(trend, false) },
      plugins: [periodShade],
      options: {
        responsive: false,
        animation: false,
        events: ["mousemove", "mouseout"],
        interaction: { mode: "index", intersect: false },
        layout: { padding: 3 },
        scales: { x: { display: false }, y: { display: false, grace: "10%" } },
        plugins: {
          legend: { display: false },
          tooltip: tooltip(trend),
          periodShade: { months: trend.months, from: trend.periodFrom },
        },
      },
    });
  }

  function detailChart(canvas, trend) {
    return new window.Chart(canvas, {
      type: "line",
      data: { labels: trend.labels, datasets: datasets(trend, true) },
      plugins: [periodShade],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: shared.axes(trend.unit),
        plugins: {
          legend: shared.legend(Boolean(trend.reference)),
          tooltip: tooltip(trend),
          periodShade: { months: trend.months, from: trend.periodFrom },
        },
      },
    });
  }

  document.querySelectorAll("canvas[data-trend]").forEach(function (canvas) {
    var trend = trends[canvas.getAttribute("data-trend")];
    if (!trend || window.Chart.getChart(canvas)) {
      return;
    }
    if (canvas.getAttribute("data-chart") === "detail") {
      detailChart(canvas, trend);
    } else {
      sparkline(canvas, trend);
    }
  });
})();
