/* Supervision: keyboard shortcuts for the participant table, and the supervision panel's
   refresh guard. No inline handlers, no eval: works under script-src 'self'. */
(function () {
  "use strict";

  var dashboard = window.dashboard;  // static/dashboard.js: the row selector and the focus mechanism
  var selectedId = null;

  function currentRow() {
    var row = dashboard.rowOf(document.activeElement);
    return row || (selectedId ? document.getElementById(selectedId) : null);
  }

  function markSelected() {
    dashboard.rows().forEach(function (row) { row.classList.toggle("row--selected", row.id === selectedId); });
  }

  function select(row) {
    selectedId = row.id;
    markSelected();
    row.setAttribute("tabindex", "-1");
    row.focus();
  }

  function move(step) {
    var all = dashboard.rows();
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

  /* The first control found in the selected row is clicked: a button acts (and focus comes back
     to it once the row answers: dashboard.js), a <summary> opens its picker. */
  function press(selectors) {
    var row = currentRow();
    if (!row) return false;
    for (var i = 0; i < selectors.length; i++) {
      var control = row.querySelector(selectors[i]);
      if (control) {
        if (!control.disabled) control.click();
        return true;
      }
    }
    return false;
  }

  var KEYS = {
    m: ["fieldset > button[value='mute']", "fieldset > button[value='unmute']"],
    h: ["details[data-picker='hold'] > summary", "fieldset > button[value='hold']", "fieldset > button[value='resume']"],
    c: ["details[data-picker='coach'] > summary"],
    a: ["details[data-picker='announce'] > summary"],
    x: ["details[data-picker='kick'] > summary"]
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
      if (!dashboard.rows().length) return;
      event.preventDefault();
      move(key === "j" ? 1 : -1);
      return;
    }
    if (KEYS[key] && press(KEYS[key])) event.preventDefault();
  });

  /* The selection follows keyboard focus (Tab into a row selects it), so that while a row is
     being re-rendered, and focus is briefly nowhere, shortcuts still act on the same row. */
  document.addEventListener("focusin", function (event) {
    var row = dashboard.rowOf(event.target);
    if (row && row.id !== selectedId && dashboard.rows().indexOf(row) !== -1) { selectedId = row.id; markSelected(); }
  });

  /* A re-rendered row (action answer, refresh) keeps its selection mark. */
  document.addEventListener("htmx:afterSettle", function () { if (selectedId) markSelected(); });

  /* The supervision panel refreshes itself, but never while the supervisor is using it (a
     picker open, or typing in a field). Focus resting on it comes back after a refresh through
     the page's one focus mechanism (dashboard.js). */
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.id !== "supervision-panel") return;
    if (inUse(elt)) event.preventDefault();
  });
  /* A refresh already on its way when a picker opened is dropped too (the next one comes); the
     panel's own actions, which answer with the panel, are swapped in as always. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig, elt = config && config.elt;
    if (elt && elt.id === "supervision-panel" && elt.isConnected && inUse(elt)) event.detail.shouldSwap = false;
  });
  function inUse(panel) {
    return panel.querySelector("details[open]") || panel.contains(document.activeElement) && isTyping(document.activeElement);
  }
})();
