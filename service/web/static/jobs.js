// Follow a retrain job: ask its status every few seconds until it has finished.
(function () {
  "use strict";
  var line = document.querySelector("[data-job-url]");
  if (!line || !window.fetch) { return; }
  var status = line.querySelector(".job-status");
  var message = line.querySelector(".job-message");
  var labels = JSON.parse(document.getElementById("job-labels").textContent);
  var finished = { succeeded: true, failed: true };

  function show(job) {
    status.textContent = labels[job.status] || job.status;
    status.setAttribute("data-status", job.status);
    message.textContent = job.message || "";
  }

  function poll() {
    if (finished[status.getAttribute("data-status")]) { return; }
    fetch(line.getAttribute("data-job-url"), { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (job) { if (job) { show(job); } window.setTimeout(poll, 3000); })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 2000);
})();
