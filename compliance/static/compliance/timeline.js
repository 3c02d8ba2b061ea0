// The account's activity around an alert: one row of points per kind, time along the x axis (UTC).
(function () {
  const timeline = cdxCharts.data("timeline-data");
  const kinds = Object.keys(timeline.series);
  const datasets = kinds.map((kind, row) => ({
    label: kind,
    data: timeline.series[kind].map((point) => ({x: point.x, y: row, id: point.id})),
    backgroundColor: cdxCharts.colour(kind, row),
    pointRadius: kind === "alert" ? 7 : 4,
    pointStyle: kind === "alert" ? "triangle" : "circle",
  }));
  const alertLine = {
    id: "alertLine",
    afterDatasetsDraw(chart) {
      if (!timeline.alert) return;
      const x = chart.scales.x.getPixelForValue(timeline.alert.x);
      const {top, bottom} = chart.chartArea;
      chart.ctx.save();
      chart.ctx.strokeStyle = "#ba2121";
      chart.ctx.setLineDash([4, 4]);
      chart.ctx.beginPath();
      chart.ctx.moveTo(x, top);
      chart.ctx.lineTo(x, bottom);
      chart.ctx.stroke();
      chart.ctx.restore();
    },
  };
  window.timelineChart = new Chart(document.getElementById("timeline-chart"), {
    type: "scatter",
    data: {datasets},
    plugins: [alertLine],
    options: {
      scales: {
        x: {type: "linear", min: timeline.start, max: timeline.end, ticks: {callback: (ms) => cdxCharts.utc(ms).slice(11, 16)}},
        y: {
          min: -0.5, max: kinds.length - 0.5, reverse: true,
          afterBuildTicks: (scale) => { scale.ticks = kinds.map((_, row) => ({value: row})); },
          ticks: {callback: (row) => kinds[row]},
        },
      },
      plugins: {
        tooltip: {callbacks: {label: (item) => `${item.raw.id} at ${cdxCharts.utc(item.raw.x)} UTC`}},
        legend: {display: false},
      },
    },
  });
})();
