// The data page, enhanced: while a job runs, poll its progress and move the bar; reload when it ends.
// Without JavaScript the page refreshes itself (a <noscript> meta refresh) until the job has finished.
(function () {
  "use strict";
  const section = document.querySelector("[data-job-id]");
  if (!section) return;
  const state = section.getAttribute("data-job-state");
  if (state !== "queued" && state !== "running") return;
  const id = section.getAttribute("data-job-id");
  const bar = document.getElementById("job-progress");
  const status = document.getElementById("job-status");
  const badge = section.querySelector("[data-job-field=state]");
  const labels = { queued: "Waiting", running: "Running", done: "Done", failed: "Failed" };
  let lastText = status ? status.textContent : "";
  let failures = 0;

  function show(job) {
    if (bar) {
      if (job.total > 0) {
        bar.max = job.total;
        bar.value = job.done;
      } else if (job.state === "done" || job.state === "failed") {
        bar.max = 1;
        bar.value = 1;
      } else {
        bar.removeAttribute("value");  // indeterminate: the stage cannot say how far it is
      }
    }
    let text = job.stage;
    if ((job.state === "running" || job.state === "queued") && job.total > 0) {
      text += ": " + job.done.toLocaleString() + " of " + job.total.toLocaleString() + " passages";
    }
    // Only a changed text is written, so screen readers announce progress without repeating it.
    if (status && text !== lastText) {
      status.textContent = text;
      lastText = text;
    }
    if (badge) {
      badge.textContent = labels[job.state] || job.state;
      badge.className = "state state-" + job.state;
    }
    section.setAttribute("data-job-state", job.state);
  }

  async function poll() {
    try {
      const response = await fetch("/api/jobs/" + encodeURIComponent(id), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const job = await response.json();
      failures = 0;
      show(job);
      if (job.state === "done" || job.state === "failed") {
        // The finished job's counts and rejects are rendered by the server.
        window.setTimeout(function () {
          const target = "/data?job=" + encodeURIComponent(id);
          // Only the fragment would change on the same address, which loads nothing: reload then.
          if (window.location.pathname + window.location.search === target) {
            window.location.reload();
          } else {
            window.location.replace(target + "#job");
          }
        }, 600);
        return;
      }
    } catch (error) {
      failures += 1;
      if (failures >= 5) {
        if (status) status.textContent = "Lost touch with the server; reload the page to see how the job ended.";
        return;
      }
    }
    window.setTimeout(poll, 700);
  }

  window.setTimeout(poll, 300);
})();
