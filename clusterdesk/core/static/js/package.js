/* Electronic package page: every job still queued or running asks for its status every
   2 seconds and updates its progress bar; when done it shows the download link, when failed
   the reason. Plain JS, served locally. */
(function () {
  "use strict";
  var INTERVAL = 2000;
  var LABELS = { queued: "排队中", running: "生成中", done: "已完成", failed: "失败" };

  function sizeText(bytes) {
    if (bytes < 1024 * 1024) { return Math.max(1, Math.round(bytes / 1024)) + " KB"; }
    if (bytes < 1024 * 1024 * 1024) { return (bytes / (1024 * 1024)).toFixed(1) + " MB"; }
    return (bytes / (1024 * 1024 * 1024)).toFixed(2) + " GB";
  }

  function part(row, role) { return row.querySelector('[data-role="' + role + '"]'); }

  function show(row, job) {
    row.setAttribute("data-status", job.status);
    var bar = row.querySelector("progress");
    if (bar) { bar.value = job.progress; bar.textContent = job.progress + "%"; bar.hidden = job.status === "failed"; }
    var active = job.status === "queued" || job.status === "running";
    part(row, "label").textContent = (job.status_label || LABELS[job.status] || job.status) + (active ? " " + job.progress + "%" : "");
    var error = part(row, "error");
    error.textContent = job.error || "";
    error.hidden = !job.error;
    if (job.status === "done") {
      part(row, "files").textContent = job.file_count;
      part(row, "size").textContent = sizeText(job.size);
      var cell = part(row, "download");
      if (job.download_url && !cell.querySelector("a")) {
        var link = document.createElement("a");
        link.href = job.download_url;
        link.textContent = "下载材料包";
        link.setAttribute("data-testid", "package-download");
        cell.textContent = "";
        cell.appendChild(link);
      }
    }
    return active;
  }

  function poll(row) {
    var url = row.getAttribute("data-status-url");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (job) {
        if (show(row, job)) { setTimeout(function () { poll(row); }, INTERVAL); return; }
        var start = document.querySelector('[data-testid="package-start"]');
        if (start) { start.textContent = "生成材料包"; }  // nothing is running any more
      })
      .catch(function () {
        part(row, "label").textContent = "无法获取进度，稍后重试…";
        setTimeout(function () { poll(row); }, INTERVAL * 2);
      });
  }

  document.querySelectorAll("[data-package-job]").forEach(function (row) {
    var status = row.getAttribute("data-status");
    if (status === "queued" || status === "running") { setTimeout(function () { poll(row); }, INTERVAL); }
  });
})();
