// Shared by the admin and the compliance pages (loaded deferred by admin/base_site.html).

// Change lists cut long cells to one line (admin.css): the full text becomes the cell's tooltip.
document.querySelectorAll("#result_list td").forEach((cell) => {
  if (cell.scrollWidth > cell.clientWidth && !cell.title) cell.title = cell.textContent.trim();
});

// <time class="relative" datetime="ISO"> reads "5 minutes ago", with the exact UTC time on hover; kept current.
window.cdxTimes = (function () {
  const words = new Intl.RelativeTimeFormat("en", {numeric: "auto", style: "short"});
  const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

  function relative(date, now) {
    const seconds = Math.round((date - now) / 1000);
    const [unit, size] = units.find(([, size]) => Math.abs(seconds) >= size) || units[units.length - 1];
    return words.format(Math.round(seconds / size), unit);
  }

  function refresh(root = document) {
    const now = Date.now();
    root.querySelectorAll("time.relative[datetime]").forEach((element) => {
      const date = new Date(element.getAttribute("datetime"));
      element.textContent = relative(date, now);
      element.title = date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
    });
  }

  refresh();
  setInterval(refresh, 30000);
  return {refresh};
})();
