// Pushgateway web UI: remembers open panels, expands/collapses them, and
// sends the delete and wipe requests. Served as a static file so the page
// can forbid inline scripts (Content-Security-Policy: script-src 'self').
"use strict";

(() => {
  const KEY = "pushgateway.openPanels";

  function loadOpen() {
    try {
      const list = JSON.parse(sessionStorage.getItem(KEY) || "[]");
      return new Set(Array.isArray(list) ? list : []);
    } catch {
      return new Set();
    }
  }

  function saveOpen(set) {
    try {
      sessionStorage.setItem(KEY, JSON.stringify([...set]));
    } catch {
      // Storage may be full or disabled; remembering panels is optional.
    }
  }

  function restoreOpen() {
    const open = loadOpen();
    if (open.size === 0) return;
    for (const el of document.querySelectorAll("details[data-id]")) {
      if (open.has(el.dataset.id)) el.open = true;
    }
  }

  // "toggle" does not bubble: listen in the capture phase.
  document.addEventListener("toggle", (event) => {
    const el = event.target;
    if (!(el instanceof HTMLDetailsElement) || !el.dataset.id) return;
    const open = loadOpen();
    if (el.open) open.add(el.dataset.id);
    else open.delete(el.dataset.id);
    saveOpen(open);
  }, true);

  async function send(method, url, what, button) {
    button.disabled = true;
    try {
      const res = await fetch(url, { method, credentials: "same-origin" });
      const text = (await res.text()).trim();
      if (!res.ok) {
        throw new Error(`${res.status} ${res.statusText}${text ? ": " + text : ""}`);
      }
      return true;
    } catch (err) {
      alert(`${what} failed: ${err.message}`);
      button.disabled = false;
      return false;
    }
  }

  async function deleteGroup(button) {
    const group = button.dataset.group;
    if (!confirm(`Do you really want to delete all metrics of group ${group}?`)) return;
    if (!(await send("DELETE", button.dataset.delete, "Deleting metric group", button))) return;
    const panel = button.closest("details.group");
    if (panel) {
      panel.classList.add("deleted");
      panel.removeAttribute("open");
      const note = document.createElement("span");
      note.className = "pill deleted-note";
      note.textContent = "Deleted";
      button.replaceWith(note);
    }
    const open = loadOpen();
    for (const id of [...open]) {
      if (id === button.dataset.delete || id.startsWith(button.dataset.delete + "#")) {
        open.delete(id);
      }
    }
    saveOpen(open);
    setTimeout(() => location.reload(), 400);
  }

  async function wipe(button) {
    const n = button.dataset.count;
    if (!confirm(`Do you really want to delete all ${n} groups?`)) return;
    if (!(await send("PUT", button.dataset.wipe, "Deleting all groups", button))) return;
    saveOpen(new Set());
    location.reload();
  }

  function setAll(open) {
    for (const el of document.querySelectorAll("details.group")) el.open = open;
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const del = target.closest("button[data-delete]");
    if (del) {
      // The button sits in a <summary>: keep the click from toggling the panel.
      event.preventDefault();
      event.stopPropagation();
      deleteGroup(del);
      return;
    }
    const all = target.closest("button[data-wipe]");
    if (all) {
      wipe(all);
      return;
    }
    const expand = target.closest("button[data-expand]");
    if (expand) setAll(expand.dataset.expand === "open");
  });

  restoreOpen();
})();
