// Charter console: the search box, loading a candidate schema from a file, and the live lag
// table. Everything written into the page goes through textContent (data is untrusted).
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
});
