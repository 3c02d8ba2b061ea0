// The dashboard's charts, from compliance.metrics.dashboard_read (the page's "dashboard-data").
(function () {
  const metrics = cdxCharts.data("dashboard-data");
  const day = (iso) => iso.slice(5);  // "11-30"
  const stacked = {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}};

  function bars(canvasId, labels, series, options = {}) {
    const datasets = Object.entries(series).map(([name, values], index) => ({
      label: name, data: values, backgroundColor: cdxCharts.colour(name, index),
    }));
    return new Chart(document.getElementById(canvasId), {type: "bar", data: {labels, datasets}, options: {scales: stacked, ...options}});
  }

  window.dashboardCharts = {
    perType: bars("chart-per-type", metrics.alerts_per_day.days.map(day), metrics.alerts_per_day.by_type),
    perSeverity: bars("chart-per-severity", metrics.alerts_per_day.days.map(day), metrics.alerts_per_day.by_severity),
    openAge: bars("chart-open-age", metrics.open_by_age.buckets, metrics.open_by_age.by_severity),
    sla: bars("chart-sla", metrics.sla_breaches.days.map(day), metrics.sla_breaches.by_severity),
    close: new Chart(document.getElementById("chart-close"), {
      type: "line",
      data: {
        labels: metrics.time_to_close.days.map(day),
        datasets: [{label: "median hours", data: metrics.time_to_close.median_hours, borderColor: "#0e5f88",
                    backgroundColor: "#0e5f88", spanGaps: true}],
      },
      options: {scales: {y: {beginAtZero: true}}, plugins: {legend: {display: false}}},
    }),
  };
})();
