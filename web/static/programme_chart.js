// The programme's timelines: each targeted metric per month (or week) for the whole organisation, its target
// or baseline dashed, and a labelled mark where each step started and ended; drawn with the vendored Chart.js
// and the shared helpers of charts.js. The data comes from <script type="application/json"
// id="timeline-charts">; every figure and mark is also on the page as text.
(function () {
  "use strict";

  var shared = window.OcmfCharts;
  var timelines = shared ? shared.data("timeline-charts") : null;
  if (!timelines) {
    return;
  }
  var colours = shared.colours;

  function numberText(value, unit) {
    return shared.numberText(value, unit, "not shown (too few records)", 2);
  }

  function draw(canvas, timeline) {
    var datasets = [
      {
        label: timeline.name,
        data: timeline.values,
        borderColor: colours.accent,
        backgroundColor: colours.accent,
        borderWidth: 2,
        pointRadius: 2,
        spanGaps: true,
      },
    ];
    if (timeline.reference) {
      datasets.push({
        label: timeline.reference.label + " " + numberText(timeline.reference.value, timeline.unit),
        data: timeline.values.map(function () { return timeline.reference.value; }),
        borderColor: colours.muted,
        borderDash: [6, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        pointHoverRadius: 0,
      });
    }
    var marks = timeline.marks.map(function (mark) {
      // an end takes its outcome's colour: better green, worse red, anything else the ink
      var colour = { better: colours.strong, worse: colours.weak }[mark.verdict] || colours.ink;
      return { label: mark.label, text: mark.text, colour: colour };
    });
    return new window.Chart(canvas, {
      type: "line",
      data: { labels: timeline.labels, datasets: datasets },
      plugins: [shared.marksPlugin],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: shared.axes(timeline.unit),
        plugins: {
          legend: shared.legend(Boolean(timeline.reference)),
          tooltip: {
            callbacks: {
              label: function (item) {
                if (item.datasetIndex > 0) {
                  return item.dataset.label;
                }
                return numberText(item.raw, timeline.unit) + " (n = " + timeline.n[item.dataIndex] + ")";
              },
            },
          },
          marks: { marks: marks },
        },
      },
    });
  }

  document.querySelectorAll("canvas[data-timeline]").forEach(function (canvas) {
    var timeline = timelines[canvas.getAttribute("data-timeline")];
    if (timeline && !window.Chart.getChart(canvas)) {
      draw(canvas, timeline);
    }
  });
})();
