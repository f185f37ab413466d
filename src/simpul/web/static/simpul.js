// Simpul's own script: small enhancements on top of pages that work without it.
"use strict";

// An error summary (web/templates/_error_summary.html) takes the focus when a page shows it, so
// a screen reader announces it and a phone scrolls to it.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
});
document.addEventListener("htmx:afterSwap", (event) => {
  const summary = event.target.querySelector?.("[data-error-summary]");
  if (summary) summary.focus();
});
