// The knowledge page: while a search loads, say so (the first search after a start can take a few seconds).
"use strict";
(function () {
  const form = document.querySelector(".search-form");
  const status = document.getElementById("search-status");
  if (!form || !status) return;
  function searching() {
    status.textContent = "Searching…";
    form.setAttribute("aria-busy", "true");
  }
  form.addEventListener("submit", function () {
    if (!form.querySelector("#q").value.trim()) return;
    searching();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true; // one search at a time; the page that answers enables it again
  });
  document.querySelectorAll(".examples a").forEach(function (link) {
    link.addEventListener("click", searching);
  });
  // Coming back to this page through the history shows it as it was left: clear the indicator.
  window.addEventListener("pageshow", function () {
    status.textContent = "";
    form.removeAttribute("aria-busy");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = false;
  });
})();
