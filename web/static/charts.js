// What the chart scripts share (scorecard.js, outcome_chart.js, programme_chart.js): the page's colours,
// numbers written with their unit, the JSON a page hands its charts (a <script type="application/json">, no
// inline script: CSP), a plugin that marks moments with labelled vertical lines, and the axes' styling.
// Loaded after the vendored Chart.js and before the page's own chart script.
(function () {
  "use strict";

  var styles = getComputedStyle(document.documentElement);

  function colour(name, fallback) {
    return styles.getPropertyValue(name).trim() || fallback;
  }

  var colours = {
    ink: colour("--ink", "#1c2430"),
    muted: colour("--muted", "#5a6472"),
    accent: colour("--accent", "#1f5fbf"),
    line: colour("--line", "#d9dee5"),
    strong: colour("--strong", "#1d6b3a"),
    weak: colour("--weak", "#b3261e"),
  };

  // "72%", "5.6 : 1", "0.97 hand-offs"; `empty` when there is no value.
  function numberText(value, unit, empty, digits) {
    if (value === null || value === undefined) {
      return empty;
    }
    var text = Number(value).toLocaleString("en", { maximumFractionDigits: digits === undefined ? 2 : digits });
    if (unit === "%") {
      return text + "%";
    }
    if (unit === "ratio") {
      return text + " : 1";
    }
    return text + " " + unit;
  }

  // The JSON of <script type="application/json" id="...">, or null when the page has none (or no Chart.js).
  function data(id) {
    var source = document.getElementById(id);
    if (!source || typeof window.Chart === "undefined") {
      return null;
    }
    return JSON.parse(source.textContent || "{}");
  }

  // Draws a dashed vertical line with a short text at each of `options.marks` ({label, text, colour}),
  // where `label` is one of the chart's x labels; the texts stack downwards, one line each.
  var marksPlugin = {
    id: "marks",
    afterDatasetsDraw: function (chart, args, options) {
      var x = chart.scales.x;
      var area = chart.chartArea;
      var context = chart.ctx;
      var row = 0;
      (options.marks || []).forEach(function (mark) {
        var index = mark.label ? chart.data.labels.indexOf(mark.label) : -1;
        if (index < 0) {
          return;
        }
        row += 1; // each mark's text on its own line, so that neighbouring marks never overlap
        var left = x.getPixelForValue(index);
        context.save();
        context.strokeStyle = mark.colour || colours.ink;
        context.setLineDash([3, 3]);
        context.beginPath();
        context.moveTo(left, area.top);
        context.lineTo(left, area.bottom);
        context.stroke();
        context.fillStyle = mark.colour || colours.ink;
        context.font = "12px system-ui, sans-serif";
        var text = mark.text.length > 28 ? mark.text.slice(0, 27) + "\u2026" : mark.text;
        var width = context.measureText(text).width;
        // keep the text inside the chart: to the left of the line near the right edge
        var at = left + 4 + width > area.right ? left - 4 - width : left + 4;
        context.fillText(text, Math.max(area.left, at), area.top + 14 * row);
        context.restore();
      });
    },
  };

  // The x and y axes of a detailed chart, the y one titled with the unit.
  function axes(unit) {
    return {
      x: { grid: { color: colours.line }, ticks: { color: colours.muted, maxRotation: 0, autoSkipPadding: 12 } },
      y: { grid: { color: colours.line }, ticks: { color: colours.muted }, title: { display: true, text: unit, color: colours.muted } },
    };
  }

  function legend(display) {
    return { display: display, labels: { color: colours.ink, usePointStyle: true, pointStyle: "line" } };
  }

  window.OcmfCharts = {
    colours: colours,
    numberText: numberText,
    data: data,
    marksPlugin: marksPlugin,
    axes: axes,
    legend: legend,
  };
})();
