// Follow a report export: poll its job and update the live region until it is done or failed.
// Without this script the page offers a "Check progress" link instead.
(function () {
  "use strict";
  var panel = document.getElementById("progress");
  if (!panel || !window.fetch) { return; }
  var url = panel.getAttribute("data-job-url");
  var status = panel.getAttribute("data-job-status");
  if (!url || (status !== "queued" && status !== "running")) { return; }

  var region = document.getElementById("job-status");
  var check = panel.querySelector(".report-job__check");
  var words = {
    queued: "Waiting to start.",
    running: "Rendering the report. A long report can take a minute or two.",
    done: "The report is ready.",
    failed: "The export did not work."
  };
  var delay = 1500;
  var lastStatus = status;

  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function paragraph(text, className) {
    var p = document.createElement("p");
    if (className) { p.className = className; }
    p.textContent = text;
    return p;
  }

  function show(job) {
    panel.className = "report-job report-job--" + job.status;
    // Only rewrite the region when something changed, so screen readers announce changes once.
    if (job.status === lastStatus && job.status !== "done") { return; }
    lastStatus = job.status;
    region.textContent = "";
    var head = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = words[job.status] || job.status;
    head.appendChild(strong);
    region.appendChild(head);
    if (job.status === "failed" && job.error) {
      region.appendChild(paragraph(job.error.charAt(0).toUpperCase() + job.error.slice(1) + ".", "report-job__error"));
    }
    if (job.status === "done" && job.render) {
      var p = document.createElement("p");
      var link = document.createElement("a");
      link.className = "button";
      link.href = job.render.download_url;
      link.setAttribute("download", "");
      link.textContent = "Download the report";
      p.appendChild(link);
      var details = job.render.pages ? ", " + job.render.pages + " pages" : "";
      var note = document.createElement("span");
      note.className = "muted";
      note.textContent = " " + size(job.render.size) + details;
      p.appendChild(note);
      region.appendChild(p);
    }
    if (check && job.status !== "queued" && job.status !== "running") {
      check.parentNode.removeChild(check);
      check = null;
    }
    if (job.status === "done") { refreshRenders(); }
  }

  // The new file also belongs in "Previous exports": take that list from a fresh copy of this page.
  function refreshRenders() {
    var list = document.getElementById("renders");
    if (!list || !window.DOMParser) { return; }
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("renders");
        if (fresh) { list.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* the list is only a convenience; the download link is already shown */ });
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.status === "queued" || job.status === "running") {
          delay = Math.min(delay * 1.3, 8000);
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        // A dropped connection on hospital Wi-Fi: keep trying, more slowly; the link still works.
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
