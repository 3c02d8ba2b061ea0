// Chart.js (vendored, compliance/static/compliance/vendor) set up once for the compliance pages.
window.cdxCharts = (function () {
  const palette = ["#0e5f88", "#f2b705", "#ba2121", "#2a7d2a", "#7a4fb3", "#d9661f", "#4a4a4a"];
  const severityColours = {low: "#7f9fb3", medium: "#f2b705", high: "#d9661f", critical: "#ba2121"};
  Chart.defaults.animation = false;  // drawn at once: screenshots and tests see the final chart
  Chart.defaults.maintainAspectRatio = false;

  function data(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function colour(name, index) {
    return severityColours[name] || palette[index % palette.length];
  }

  function utc(ms) {
    return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
  }

  return {data, colour, utc};
})();
