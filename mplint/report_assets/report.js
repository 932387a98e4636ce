// mplint report: filter and sort, in plain JavaScript, nothing fetched.
"use strict";
(() => {
  const query = document.getElementById("filter");
  const rule = document.getElementById("rule-filter");
  const shownCount = document.getElementById("shown-count");

  function applyFilter() {
    const words = query.value.trim().toLowerCase();
    const code = rule.value;
    let shown = 0;
    for (const finding of document.querySelectorAll(".finding")) {
      const text = (finding.dataset.repo + " " + finding.textContent).toLowerCase();
      finding.hidden = (code && finding.dataset.code !== code) || (words && !text.includes(words));
      if (!finding.hidden) shown += 1;
    }
    for (const section of document.querySelectorAll(".repository")) {
      const findings = Array.from(section.querySelectorAll(".finding"));
      const named = !words || section.dataset.repo.toLowerCase().includes(words);
      section.hidden = findings.length ? findings.every((f) => f.hidden) : !(named && !code);
    }
    for (const row of document.querySelectorAll("#matrix tbody tr")) {
      row.hidden = document.getElementById(row.dataset.target).hidden;
    }
    for (const bar of document.querySelectorAll(".chart .bar")) {
      bar.classList.toggle("dim", Boolean(code) && bar.dataset.code !== code);
    }
    shownCount.textContent = String(shown);
  }

  function sortBy(table, header, column) {
    const numeric = header.classList.contains("num");
    const first = numeric ? "descending" : "ascending";
    const order = header.getAttribute("aria-sort") === first
      ? (first === "ascending" ? "descending" : "ascending")
      : first;
    for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
    header.setAttribute("aria-sort", order);
    const key = (row) => numeric
      ? Number(row.cells[column].dataset.value || 0)
      : row.cells[column].textContent.trim().toLowerCase();
    const rows = Array.from(table.tBodies[0].rows);
    rows.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      const compared = numeric ? x - y : String(x).localeCompare(String(y));
      return order === "ascending" ? compared : -compared;
    });
    table.tBodies[0].append(...rows);
  }

  for (const table of document.querySelectorAll("table.sortable")) {
    Array.from(table.tHead.rows[0].cells).forEach((header, column) => {
      header.tabIndex = 0;
      header.addEventListener("click", () => sortBy(table, header, column));
      header.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, header, column);
        }
      });
    });
  }

  // A rule's page is a closed <details>: open it when a link leads there.
  function openTarget() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS" && !target.open) {
      target.open = true;
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openTarget);

  // Printed, the rules' pages are read in full.
  const rules = () => document.querySelectorAll("details.rule");
  window.addEventListener("beforeprint", () => {
    for (const page of rules()) {
      page.dataset.wasOpen = page.open ? "yes" : "";
      page.open = true;
    }
  });
  window.addEventListener("afterprint", () => {
    for (const page of rules()) page.open = page.dataset.wasOpen === "yes";
  });

  // report.html?q=alice&rule=MP201 opens with that filter set.
  const wanted = new URLSearchParams(location.search);
  query.value = wanted.get("q") || "";
  if (wanted.get("rule")) rule.value = wanted.get("rule");
  query.addEventListener("input", applyFilter);
  rule.addEventListener("change", applyFilter);
  applyFilter();
  openTarget();
  document.documentElement.dataset.ready = "yes";
})();
