// Simpul's own script: small enhancements on top of pages that work without it.
"use strict";

// An error summary (web/templates/_error_summary.html) takes the focus when a page shows it, so
// a screen reader announces it and a phone scrolls to it.
function focusSummary(root) {
  const summary = root.querySelector?.("[data-error-summary]");
  if (summary) summary.focus();
  return Boolean(summary);
}
document.addEventListener("DOMContentLoaded", () => focusSummary(document));
document.addEventListener("htmx:afterSwap", (event) => focusSummary(event.target));

// The application form (applications/form.html): nothing typed is lost.
// - Its upload and remove buttons send the whole form by fetch instead of leaving the page;
//   the server keeps the answers as the draft, stores the file and answers with the
//   requirement's part of the form, which replaces the old one.
// - Answers are saved as a draft as they change (debounced), and the time is shown.
// Without this script the same buttons submit the same form and the server does the same.
const FETCH_HEADER = { "X-Simpul-Fetch": "1" };
const DRAFT_DELAY_MS = 800;

function setSaved(form, text) {
  const status = form.querySelector("#draf-status");
  if (status && text) status.textContent = text;
}

async function sendUpload(form, button) {
  const item = button.closest("[data-upload-item]");
  const data = new FormData(form);
  // Only this requirement's file travels; files chosen for other requirements wait.
  const own = item?.querySelector("input[type=file]")?.name;
  for (const [name] of [...data.entries()]) {
    if (name.startsWith("file.") && name !== own) data.delete(name);
  }
  if (button.name) data.set(button.name, button.value);
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(button.formAction, {
      method: "POST",
      body: data,
      headers: FETCH_HEADER,
      credentials: "same-origin",
    });
    const html = await response.text();
    if (!response.headers.get("content-type")?.includes("text/html")) throw new Error("answer");
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const part = holder.querySelector("[data-upload-item]");
    if (part && item) {
      item.replaceWith(part);
      if (part.dataset.saved) setSaved(form, part.dataset.saved);
      if (!focusSummary(part)) part.querySelector("input[type=file], button")?.focus();
      return;
    }
    // Anything else (the whole form with a problem): show it as a page would.
    document.open();
    document.write(html);
    document.close();
  } catch {
    // The network or the answer failed: submit the ordinary way, which keeps the answers too.
    button.disabled = false;
    form.requestSubmit(button);
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

function answersOf(form) {
  const data = new FormData(form);
  for (const [name] of [...data.entries()]) {
    if (name.startsWith("file.")) data.delete(name);
  }
  return data;
}

function watchDraft(form) {
  let timer = null;
  let sending = false;
  const save = async () => {
    timer = null;
    if (sending) {
      timer = setTimeout(save, DRAFT_DELAY_MS);
      return;
    }
    sending = true;
    const data = answersOf(form);
    try {
      const response = await fetch(form.dataset.draftUrl, {
        method: "POST",
        body: data,
        headers: FETCH_HEADER,
        credentials: "same-origin",
      });
      const answer = await response.json();
      setSaved(form, answer.message);
    } catch {
      // Saving again on the next change, or with the buttons, is enough.
    } finally {
      sending = false;
    }
  };
  const changed = (event) => {
    if (event.target.type === "file" || !event.target.name?.startsWith("f.")) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, DRAFT_DELAY_MS);
  };
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  // Leaving (or reloading) before the pause is over: the last answers still go.
  window.addEventListener("pagehide", () => {
    if (!timer) return;
    clearTimeout(timer);
    timer = null;
    navigator.sendBeacon?.(form.dataset.draftUrl, answersOf(form));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-draft-url]");
  if (!form || !window.fetch) return;
  watchDraft(form);
  form.addEventListener("click", (event) => {
    const button = event.target.closest?.("button[data-upload-button]");
    if (!button) return;
    event.preventDefault();
    sendUpload(form, button);
  });
});
