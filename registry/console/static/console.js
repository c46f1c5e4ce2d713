// Charter console: the search box, loading a candidate schema from a file, the live lag
// table and the charts (inline SVG drawn from the console's charts.json, with their figures
// also in a table). Everything written into the page goes through textContent (data is
// untrusted).
"use strict";

function filterTable(input) {
  const table = document.getElementById(input.dataset.filter);
  if (!table) return;
  const wanted = input.value.trim().toLowerCase();
  for (const row of table.tBodies[0].rows) {
    const name = row.dataset.name;
    if (name !== undefined) row.hidden = wanted !== "" && !name.includes(wanted);
  }
}

function loadInto(input) {
  const target = document.getElementById(input.dataset.into);
  const file = input.files && input.files[0];
  if (!target || !file) return;
  if (file.size > 512 * 1024) { target.value = ""; alert("The file is larger than 512 KiB."); return; }
  file.text().then((text) => { target.value = text; });
}

function renderLag(table, rows) {
  const body = table.tBodies[0];
  const fresh = document.createElement("tbody");
  if (rows.length === 0) {
    const cell = fresh.insertRow().insertCell();
    cell.colSpan = 5;
    cell.textContent = "No group reads this topic.";
  }
  for (const r of rows) {
    const tr = fresh.insertRow();
    for (const v of [r.group, r.partition, r.committed === null ? "none" : r.committed, r.end, r.lag]) {
      tr.insertCell().textContent = String(v);
    }
    if (r.lag > 0) tr.cells[4].className = "lagging";
  }
  table.replaceChild(fresh, body);
  const note = document.getElementById("lag-updated");
  if (note) note.textContent = "Updated " + new Date().toLocaleTimeString() + "; refreshed every 2 seconds.";
}

function pollLag(table) {
  const tick = () => {
    if (document.hidden) return;
    fetch(table.dataset.lagUrl, { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
      .then((rows) => renderLag(table, rows))
      .catch(() => {});
  };
  setInterval(tick, 2000);
}

const SVG_NS = "http://www.w3.org/2000/svg";
const COLOURS = ["#0a58ca", "#a40e26", "#116329", "#953800", "#8250df", "#1b7c83",
  "#bf3989", "#57606a", "#6639ba", "#0550ae", "#7d4e00", "#cf222e"];

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function figure(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
}

function niceMax(value) {
  if (value <= 1) return 1;
  const step = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

function drawChart(fig, series, unit, intervalS) {
  const plot = fig.querySelector(".plot");
  // drawn at the box's own width, so the labels keep their size on a phone and a wide screen
  const W = Math.max(280, Math.round(plot.clientWidth || 640)), H = 180, L = 52, R = 10, T = 10,
    B = 24;
  const points = series.flatMap((s) => s.points);
  fig.dataset.points = String(points.length);
  const lines = series.filter((s) => s.points.length > 0).map((s) => {
    const values = s.points.map((p) => p[1]);
    return s.name + ": now " + figure(values[values.length - 1]) + " " + unit + ", highest " +
      figure(Math.max(...values)) + ", over " + values.length + " samples";
  });
  const summary = fig.querySelector("figcaption").textContent + ". " +
    (lines.length ? lines.join("; ") + "." : "No samples yet.");
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary,
    class: "plot-svg" });
  chart.appendChild(svg("title", {}, summary));
  const tMax = points.length ? Math.max(...points.map((p) => p[0])) : Date.now();
  const tFirst = points.length ? Math.min(...points.map((p) => p[0])) : tMax;
  const tMin = Math.min(tFirst, tMax - 10 * 1000 * intervalS);  // ten samples at least
  const yMax = niceMax(points.length ? Math.max(...points.map((p) => p[1])) : 1);
  const x = (t) => L + ((t - tMin) / Math.max(1, tMax - tMin)) * (W - L - R);
  const y = (v) => T + (1 - v / yMax) * (H - T - B);
  for (const v of [0, yMax / 2, yMax]) {
    chart.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }));
    chart.appendChild(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" },
      figure(v)));
  }
  const spanS = Math.round((tMax - tMin) / 1000);
  const ago = spanS < 120 ? spanS + " s ago" : Math.round(spanS / 60) + " min ago";
  chart.appendChild(svg("text", { x: L, y: H - 6, class: "axis" }, ago));
  chart.appendChild(svg("text", { x: W - R, y: H - 6, "text-anchor": "end", class: "axis" },
    new Date(tMax).toLocaleTimeString()));
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    if (s.points.length === 1) {
      const [t, v] = s.points[0];
      chart.appendChild(svg("circle", { cx: x(t), cy: y(v), r: 3, fill: colour }));
    } else if (s.points.length > 1) {
      const coords = s.points.map(([t, v]) => x(t).toFixed(1) + "," + y(v).toFixed(1));
      chart.appendChild(svg("polyline", { points: coords.join(" "), fill: "none",
        stroke: colour, "stroke-width": 2, "vector-effect": "non-scaling-stroke",
        "data-name": s.name }));
    }
  });
  const legend = document.createElement("ul");
  legend.className = "legend";
  series.forEach((s, i) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = COLOURS[i % COLOURS.length];
    swatch.setAttribute("aria-hidden", "true");
    item.append(swatch, document.createTextNode(s.name));
    legend.appendChild(item);
  });
  const details = document.createElement("details");
  const label = document.createElement("summary");
  label.textContent = "Figures as a table";
  const table = document.createElement("table");
  table.className = "figures";
  const head = table.createTHead().insertRow();
  for (const h of ["Series", "Now (" + unit + ")", "Highest", "Lowest", "Samples"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const s of series) {
    const values = s.points.map((p) => p[1]);
    const row = body.insertRow();
    const cells = values.length
      ? [s.name, figure(values[values.length - 1]), figure(Math.max(...values)),
        figure(Math.min(...values)), values.length]
      : [s.name, "no samples yet", "", "", 0];
    for (const c of cells) row.insertCell().textContent = String(c);
  }
  if (series.length === 0) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = 5;
    cell.textContent = "Nothing to chart yet.";
  }
  details.append(label, table);
  const was = plot.querySelector("details");
  details.open = Boolean(was && was.open);  // a redraw keeps the table open if it was
  plot.replaceChildren(chart, legend, details);
}

function pollCharts(box) {
  let every = 5000;
  const tick = () => {
    if (document.hidden) return;
    fetch(box.dataset.chartsUrl, { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
      .then((data) => {
        for (const fig of box.querySelectorAll("figure[data-series]")) {
          drawChart(fig, data[fig.dataset.series] || [], fig.dataset.unit, data.interval_s);
        }
        const note = document.getElementById("charts-updated");
        if (note) {
          note.textContent = "Updated " + new Date().toLocaleTimeString() + "; a sample every " +
            data.interval_s + " s, kept for " + Math.round(data.window_s / 60) + " min.";
        }
        const wanted = Math.max(1000, data.interval_s * 1000);
        if (wanted !== every) { every = wanted; clearInterval(timer); timer = setInterval(tick, every); }
      })
      .catch(() => {});
  };
  let timer = setInterval(tick, every);
  tick();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-filter]")) {
    input.addEventListener("input", () => filterTable(input));
    filterTable(input);
  }
  for (const input of document.querySelectorAll("input[data-into]")) {
    input.addEventListener("change", () => loadInto(input));
  }
  const lag = document.getElementById("lag-table");
  if (lag) pollLag(lag);
  for (const box of document.querySelectorAll("[data-charts-url]")) pollCharts(box);
});
