/* Draws every <figure class="chart" data-chart="{...}"> with uPlot (served by the portal itself).
   After drawing, each figure gets data-drawn = the number of data points drawn, which the
   browser tests read. */
(function () {
  "use strict";
  var COLOURS = ["#2563eb", "#a16207", "#15803d", "#b91c1c"];
  var BAND_FILL = { pilot: "rgba(37,99,235,0.12)", evaluation: "rgba(161,98,7,0.15)", rollout: "rgba(21,128,61,0.12)" };

  function count(values) { return values.filter(function (v) { return v !== null && v !== undefined; }).length; }
  function widthOf(el) { return Math.max(260, Math.min(el.clientWidth || 600, 900)); }
  function round(v) { return v === null || v === undefined ? "—" : (Math.abs(v) >= 100 ? v.toFixed(0) : +v.toPrecision(3)); }

  function bandsPlugin(bands) {
    return { hooks: { drawClear: [function (u) {
      var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
      bands.forEach(function (band) {
        var x0 = u.valToPos(band.from, "x", true), x1 = u.valToPos(band.to, "x", true);
        var left = Math.max(x0, u.bbox.left), right = Math.min(x1, u.bbox.left + u.bbox.width);
        if (right > left) { ctx.fillStyle = BAND_FILL[band.phase] || "rgba(0,0,0,0.05)"; ctx.fillRect(left, top, right - left, height); }
      });
    }] } };
  }

  function markDrawn(fig, n) { return { hooks: { draw: [function () { fig.dataset.drawn = String(n); }] } }; }

  function kpiChart(fig, d) {
    var dashed = [6, 4];
    var opts = {
      width: widthOf(fig), height: 220,
      scales: { x: { time: true } },
      series: [
        { value: function (u, v, i, idx) { return idx == null ? "" : d.weeks[idx]; } },
        { label: "value", stroke: COLOURS[0], width: 2, points: { show: true, size: 6, fill: COLOURS[0] }, value: function (u, v) { return round(v); } },
        { label: "baseline", stroke: "#98a2b3", dash: dashed, points: { show: false }, value: function (u, v) { return round(v); } },
        { label: "target", stroke: "#15803d", dash: dashed, points: { show: false }, value: function (u, v) { return round(v); } },
        { label: "n", show: false, value: function (u, v) { return v === null ? "—" : v; } }
      ],
      axes: [{}, { size: 50 }],
      plugins: [bandsPlugin(d.bands || []), markDrawn(fig, count(d.value))]
    };
    return new uPlot(opts, [d.x, d.value, d.baseline, d.target, d.sample], fig.querySelector(".chart-canvas"));
  }

  function barChart(fig, d) {
    var xs = d.labels.map(function (_, i) { return i; });
    var series = [{ value: function (u, v) { return v == null ? "" : d.labels[v]; } }];
    var data = [xs], n = 0, many = d.series.length > 1;
    d.series.forEach(function (s, i) {
      var align = many ? (i === 0 ? -1 : 1) : 0;
      series.push({ label: s.label, stroke: COLOURS[i], fill: COLOURS[i] + "bb", width: 1, scale: s.axis === "right" ? "right" : "y",
                    paths: uPlot.paths.bars({ size: [many ? 0.38 : 0.6, 60], align: align }), points: { show: false } });
      data.push(s.values); n += count(s.values);
    });
    var longest = Math.max.apply(null, d.labels.map(function (l) { return l.length; }));
    var slanted = longest * d.labels.length > widthOf(fig) / 7;
    var axes = [{ values: function (u, splits) { return splits.map(function (v) { return Number.isInteger(v) && d.labels[v] !== undefined ? d.labels[v] : ""; }); },
                  rotate: slanted ? -30 : 0, size: slanted ? Math.min(110, 14 + longest * 5) : 40, gap: 4 }, { size: 46 }];
    if (d.series.some(function (s) { return s.axis === "right"; })) axes.push({ scale: "right", side: 1, size: 56, grid: { show: false } });
    var opts = {
      width: widthOf(fig), height: 240,
      scales: { x: { time: false, range: [-0.5, xs.length - 0.5] }, y: { range: function (u, min, max) { return [0, Math.max(max, 1) * 1.1]; } },
                right: { range: function (u, min, max) { return [0, Math.max(max, 1) * 1.1]; } } },
      series: series, axes: axes, plugins: [markDrawn(fig, n)]
    };
    return new uPlot(opts, data, fig.querySelector(".chart-canvas"));
  }

  function funnelChart(fig, d) {
    var neg = function (a) { return a.map(function (v) { return v === null ? null : -v; }); };
    var opts = {
      width: widthOf(fig), height: 280,
      scales: { x: { time: false, range: function (u, min, max) { return [0, max * 1.06]; } } },
      series: [
        { label: "volume", value: function (u, v, i, idx) { return idx == null ? "" : v + (d.names[idx] ? " · " + d.names[idx] : ""); } },
        { label: "clinic change %", stroke: COLOURS[0], fill: COLOURS[0], paths: function () { return null; }, points: { show: true, size: 9, fill: COLOURS[0] } },
        { label: "95 % high", stroke: "#98a2b3", dash: [6, 4], points: { show: false } },
        { label: "95 % low", stroke: "#98a2b3", dash: [6, 4], points: { show: false } },
        { label: "99.8 % high", stroke: "#b91c1c", dash: [2, 3], points: { show: false } },
        { label: "99.8 % low", stroke: "#b91c1c", dash: [2, 3], points: { show: false } }
      ],
      axes: [{ label: "weekly volume (n)" }, { label: "change vs baseline %", size: 56 }],
      plugins: [markDrawn(fig, count(d.change))]
    };
    return new uPlot(opts, [d.x, d.change, d.limit95, neg(d.limit95), d.limit998, neg(d.limit998)], fig.querySelector(".chart-canvas"));
  }

  var charts = [];
  function draw() {
    document.querySelectorAll("figure.chart").forEach(function (fig) {
      var d = JSON.parse(fig.dataset.chart);
      var chart = d.kind === "kpi" ? kpiChart(fig, d) : d.kind === "funnel" ? funnelChart(fig, d) : barChart(fig, d);
      charts.push([fig, chart]);
    });
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (pair) { pair[1].setSize({ width: widthOf(pair[0]), height: pair[1].height }); });
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();

/* A link or key shown once (input.copy) is selected whole when it takes focus, ready to copy
   (here, not in an onfocus attribute: the Content-Security-Policy runs no inline script). */
document.addEventListener("focusin", function (event) {
  if (event.target instanceof HTMLInputElement && event.target.classList.contains("copy")) event.target.select();
});
