/* Supervision: keyboard shortcuts for the participant table, and the supervision panel's
   refresh guard. No inline handlers, no eval: works under script-src 'self'. */
(function () {
  "use strict";

  var ROW_SELECTOR = "#participant-rows tr[id^='participant-']:not(.row--gone):not([data-gone])";
  var selectedId = null;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(ROW_SELECTOR)); }

  function currentRow() {
    var active = document.activeElement;
    var row = active && active.closest ? active.closest(ROW_SELECTOR) : null;
    return row || (selectedId ? document.getElementById(selectedId) : null);
  }

  function markSelected() {
    rows().forEach(function (row) { row.classList.toggle("row--selected", row.id === selectedId); });
  }

  function select(row) {
    selectedId = row.id;
    markSelected();
    row.setAttribute("tabindex", "-1");
    row.focus();
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(currentRow());
    if (index === -1) index = step > 0 ? 0 : all.length - 1;
    else index = Math.min(all.length - 1, Math.max(0, index + step));
    select(all[index]);
  }

  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    return target.closest("input, select, textarea, [contenteditable]:not([contenteditable='false'])") !== null;
  }

  /* The first control found in the selected row is clicked: a button acts, a <summary> opens its picker. */
  var restore = null;  // {row, group, until}: where focus goes back after the action re-renders the row

  function press(selectors) {
    var row = currentRow();
    if (!row) return false;
    for (var i = 0; i < selectors.length; i++) {
      var control = row.querySelector(selectors[i]);
      if (control) {
        var group = control.closest("[data-focus-group]");
        restore = { row: row.id, group: group && group.getAttribute("data-focus-group"), until: Date.now() + 15000 };
        if (!control.disabled) control.click();
        return true;
      }
    }
    return false;
  }

  /* After a shortcut's action re-renders its row, focus returns to the same control group
     (Mute becomes Unmute), even if a refresh started meanwhile; only when focus is nowhere. */
  document.addEventListener("htmx:afterSettle", function () {
    if (!restore) return;
    if (Date.now() > restore.until) { restore = null; return; }
    var active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) return;
    var row = document.getElementById(restore.row);
    // Still in flight (its buttons disabled, which drops focus): wait for the row's own answer.
    if (!row || row.classList.contains("htmx-request") || row.querySelector(".htmx-request")) return;
    var control = restore.group && row.querySelector("[data-focus-group='" + restore.group + "'] button:not([disabled]), [data-focus-group='" + restore.group + "'] summary");
    restore = null;
    if (control) control.focus();
    else { row.setAttribute("tabindex", "-1"); row.focus(); }
  });

  var KEYS = {
    m: ["[data-focus-group='mute'] button"],
    h: ["details[data-focus-group='hold'] > summary", "form[data-focus-group='hold'] button"],
    c: ["details[data-focus-group='coach'] > summary"],
    a: ["details[data-focus-group='announce'] > summary"],
    x: ["details[data-focus-group='kick'] > summary"]
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || document.querySelector("dialog[open]")) return;
    var key = event.key;
    if (key === "?") {
      var dialog = document.getElementById("shortcuts-dialog");
      if (dialog && dialog.showModal) { event.preventDefault(); dialog.showModal(); }
      return;
    }
    if (event.shiftKey) return;
    if (key === "j" || key === "k") {
      if (!rows().length) return;
      event.preventDefault();
      move(key === "j" ? 1 : -1);
      return;
    }
    if (KEYS[key] && press(KEYS[key])) event.preventDefault();
  });

  /* The selection follows keyboard focus (Tab into a row selects it), so that while a row is
     being re-rendered, and focus is briefly nowhere, shortcuts still act on the same row. */
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest ? event.target.closest(ROW_SELECTOR) : null;
    if (row && row.id !== selectedId) { selectedId = row.id; markSelected(); }
  });

  /* A re-rendered row (action answer, refresh) keeps its selection mark. */
  document.addEventListener("htmx:afterSettle", function () { if (selectedId) markSelected(); });

  /* The supervision panel refreshes itself, but never while the supervisor is using it (a
     picker open, or typing in a field); a control that had focus gets it back after a swap. */
  var panelFocusId = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.id !== "supervision-panel") return;
    if (elt.querySelector("details[open]") || elt.contains(document.activeElement) && isTyping(document.activeElement)) event.preventDefault();
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "supervision-panel" || !target.contains(document.activeElement)) return;
    panelFocusId = document.activeElement.id || "your-line-heading";
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!panelFocusId) return;
    var wanted = document.getElementById(panelFocusId) || document.getElementById("your-line-heading");
    panelFocusId = null;
    var active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) return;
    if (wanted) wanted.focus();
  });
})();
