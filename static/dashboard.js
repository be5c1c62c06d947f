/* Conference Admin: the little behaviour htmx does not give us. No inline handlers, no eval. */
(function () {
  "use strict";

  var ROW_SELECTOR = "tr[id^='participant-']";

  /* 1. Polite announcements: views send HX-Trigger {"dashboard:announce": {"message": ...}}. */
  document.addEventListener("dashboard:announce", function (event) {
    var region = document.getElementById("live-region");
    var message = event.detail && event.detail.message;
    if (!region || !message) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 30);
  });

  /* 2. Cheap live refresh. The hidden #roster-poller asks "what changed since version V?"
        and gets 204 (nothing), or out-of-band swaps of just the changed rows. A row that is
        mid-action (request in flight, picker open, focus inside) is never overwritten: its
        update is skipped and the version is not advanced, so the next poll sends it again. */
  function isBusy(row) {
    var active = document.activeElement;
    return row.classList.contains("htmx-request") ||
      row.querySelector(".htmx-request, details[open]") !== null ||
      (active !== null && active !== document.body && row.contains(active));
  }

  var skippedBusyRow = false;

  /* A refresh rendered before an action's answer can arrive after it: never go back in time. */
  function isOlder(incoming, existing) {
    if (!incoming || !existing) return false;
    var a = parseInt(incoming.getAttribute("data-row-version"), 10);
    var b = parseInt(existing.getAttribute("data-row-version"), 10);
    return !isNaN(a) && !isNaN(b) && a < b;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "roster-poller") event.detail.parameters.version = elt.getAttribute("data-version");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.id !== "roster-poller") return;
    var version = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Roster-Version");
    if (version !== null && version !== undefined && !skippedBusyRow) elt.setAttribute("data-version", version);
    skippedBusyRow = false;
  });

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    if (!target || !fragment) return;
    if (target.matches(ROW_SELECTOR)) {
      if (isBusy(target)) { event.detail.shouldSwap = false; skippedBusyRow = true; }
      else if (isOlder(fragment.querySelector(ROW_SELECTOR), target)) event.detail.shouldSwap = false;
      return;
    }
    if (target.id !== "participant-rows") return;
    var incomingBody = fragment.querySelector("#participant-rows");
    if (incomingBody) {
      // Whole table resent: keep busy rows exactly as they are on screen.
      Array.prototype.forEach.call(target.querySelectorAll(ROW_SELECTOR), function (row) {
        if (!isBusy(row)) return;
        var incoming = fragment.querySelector("#" + CSS.escape(row.id));
        if (!incoming) {
          incoming = document.createElement("tr");
          incoming.id = row.id;
          incomingBody.insertBefore(incoming, incomingBody.querySelector(".empty-row"));
        }
        incoming.setAttribute("hx-preserve", "true");
      });
      return;
    }
    // New rows: one this page already shows (e.g. it dialled them itself) is replaced in place.
    // A row marked data-gone left again: remove it if this page shows it.
    Array.prototype.forEach.call(fragment.querySelectorAll(ROW_SELECTOR), function (incoming) {
      var existing = document.getElementById(incoming.id);
      var gone = incoming.hasAttribute("data-gone");
      if (existing && isBusy(existing)) skippedBusyRow = true;
      else if (existing && gone) existing.remove();
      else if (existing && !isOlder(incoming, existing)) existing.replaceWith(incoming.cloneNode(true));
      if (existing || gone) incoming.remove();
    });
  });

  /* 2b. Timers ("ringing for 0:40", "on hold for 3:12") tick between refreshes. The
         server's render time corrects for a client clock that is off. */
  var roster = document.getElementById("roster");
  var clockOffset = 0;
  if (roster && roster.getAttribute("data-rendered-at")) {
    clockOffset = Date.parse(roster.getAttribute("data-rendered-at")) - Date.now();
  }
  function formatClock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var ss = (s < 10 ? "0" : "") + s;
    if (h) return h + ":" + (m < 10 ? "0" : "") + m + ":" + ss;
    return m + ":" + ss;
  }
  window.setInterval(function () {
    var now = Date.now() + clockOffset;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = formatClock(Math.max(0, Math.floor((now - since) / 1000)));
    });
  }, 1000);

  /* 3. Keep the keyboard where it was: after a row is re-rendered, focus the same control group
        (e.g. Mute becomes Unmute); after a row is removed, focus the table heading. */
  var pendingFocus = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var row = elt.closest && elt.closest(ROW_SELECTOR);
    var group = elt.closest && elt.closest("[data-focus-group]");
    // Only a row's own action sets the target: a background poll must not forget it.
    if (row && group) pendingFocus = { row: row.id, group: group.getAttribute("data-focus-group") };
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!pendingFocus) return;
    var settled = event.detail && event.detail.target;
    if (!settled || settled.id !== pendingFocus.row) return;
    var wanted = pendingFocus;
    pendingFocus = null;
    var active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) return;
    var row = document.getElementById(wanted.row);
    var control = row && row.querySelector("[data-focus-group='" + wanted.group + "'] summary, [data-focus-group='" + wanted.group + "'] button");
    if (!control && row) control = row.querySelector("summary, button");
    if (!control) control = document.getElementById("participants-heading");
    if (control) control.focus();
  });

  /* 4. Pickers (<details class="pop">): one open at a time, focus the first field on open,
        Escape or a click elsewhere closes and returns focus to its summary. */
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.classList.contains("pop") || !details.open) return;
    document.querySelectorAll("details.pop[open]").forEach(function (other) {
      if (other !== details && !other.contains(details)) other.open = false;
    });
    var first = details.querySelector(".pop-panel select, .pop-panel input:not([type=hidden]), .pop-panel button");
    if (first) first.focus();
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var details = event.target.closest && event.target.closest("details.pop[open]");
    if (!details) return;
    details.open = false;
    var summary = details.querySelector("summary");
    if (summary) summary.focus();
  });

  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.pop[open]").forEach(function (details) {
      if (!details.contains(event.target)) details.open = false;
    });
  });
})();
