/* Conference Admin: the little behaviour htmx does not give us. No inline handlers, no eval. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  /* The one definition of a participant row, shared with shortcuts.js (window.dashboard). */
  var ROW = "tr[id^='participant-']";

  function rowOf(element) {
    return element && element.closest ? element.closest(ROW) : null;
  }

  /* The rows a supervisor can act on, in table order (not the ones that left, nor the ones a
     filter or a collapsed group hides: static/bigroom.js). */
  function rows() {
    return Array.prototype.filter.call(document.querySelectorAll("#participant-rows " + ROW), function (row) {
      return !row.classList.contains("row--gone") && !row.hasAttribute("data-gone") && !row.hidden;
    });
  }

  /* A busy row is never overwritten by a refresh: a request in flight, a picker open, focus inside. */
  function isBusy(row) {
    var active = document.activeElement;
    return row.classList.contains("htmx-request") ||
      row.querySelector(".htmx-request, details[open]") !== null ||
      (active !== null && active !== document.body && row.contains(active));
  }

  function version(row) {
    return parseInt(row && row.getAttribute("data-row-version"), 10);
  }

  /* A refresh rendered before an action's answer can arrive after it: never go back in time. */
  function isOlder(incoming, existing) {
    var a = version(incoming), b = version(existing);
    return !isNaN(a) && !isNaN(b) && a < b;
  }

  /* The moment a ticking timer counts from: a row's timers say it in Unix seconds (a few bytes
     fewer per row), the others as an ISO date. */
  function since(element) {
    var value = element.getAttribute("data-since") || "";
    return /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  }

  window.dashboard = { ROW: ROW, rowOf: rowOf, rows: rows, isBusy: isBusy, since: since };

  /* 1. Polite announcements: views send HX-Trigger {"dashboard:announce": {"message": ...}}. */
  document.addEventListener("dashboard:announce", function (event) {
    var region = document.getElementById("live-region");
    var message = event.detail && event.detail.message;
    if (!region || !message) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 30);
  });

  /* 2. Cheap live refresh. The hidden #roster-poller asks "what changed since version V?" and
        gets 204 (nothing), or out-of-band swaps of just the changed rows.

        Contract with the server (participant_table): the page sends ?version=V, the version of the
        last answer it applied, and always moves to the version the answer carries (X-Roster-Version).
        A row that is busy when its update arrives is not touched: the update is kept here
        (`kept`, by row id; a later update replaces it) and applied as soon as the row is idle
        again, unless the row meanwhile shows something newer (its own action's answer). So the
        server never has to send a row twice, and an unchanged poll stays a 204 even while a
        supervisor's focus rests in a row. */
  var kept = {};  // row id -> the newest row received while it was busy, or "gone"

  function keep(id, incoming) {
    var previous = kept[id];
    if (incoming !== "gone" && previous && previous !== "gone" && isOlder(incoming, previous)) return;
    kept[id] = incoming === "gone" ? "gone" : incoming.cloneNode(true);
  }

  function applyKept() {
    Object.keys(kept).forEach(function (id) {
      var row = document.getElementById(id);
      var incoming = kept[id];
      if (!row) { delete kept[id]; return; }
      if (isBusy(row)) return;
      delete kept[id];
      if (incoming === "gone") row.remove();
      else if (version(incoming) > version(row)) {  // never over a newer row, nor over one saying "left"
        incoming.removeAttribute("hx-swap-oob");
        row.replaceWith(incoming);
        htmx.process(incoming);
      }
    });
  }
  function applyKeptSoon() { if (Object.keys(kept).length) window.setTimeout(applyKept, 0); }
  ["focusout", "htmx:afterRequest", "htmx:afterSettle"].forEach(function (name) {
    document.addEventListener(name, applyKeptSoon);
  });
  document.addEventListener("toggle", applyKeptSoon, true);

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "roster-poller") {
      event.detail.parameters.version = elt.getAttribute("data-version");
      event.detail.parameters.rights = elt.getAttribute("data-rights");  // other rights now: the page reloads
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.id !== "roster-poller") return;
    var answered = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Roster-Version");
    if (answered !== null && answered !== undefined) elt.setAttribute("data-version", answered);
  });

  /* The same changes arriving another way (pushed by the server, static/push.js): the poll's
     answer `html` for version `answered`, applied exactly as a poll's answer is. */
  window.dashboard.applyRosterChanges = function (html, answered) {
    var poller = document.getElementById("roster-poller");
    if (!poller) return;
    htmx.swap(poller, html, { swapStyle: "none", swapDelay: 0, settleDelay: 0 });
    if (answered) poller.setAttribute("data-version", answered);
    htmx.trigger(document.body, "roster-changed");
  };

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    if (!target || !fragment) return;
    if (target.matches(ROW)) {
      var incomingRow = fragment.querySelector(ROW);
      var deleting = !incomingRow && target.id;  // hx-swap-oob="delete": the participant left
      if (isBusy(target)) {
        event.detail.shouldSwap = false;
        keep(target.id, deleting ? "gone" : incomingRow);
      } else if (incomingRow && isOlder(incomingRow, target)) event.detail.shouldSwap = false;
      else delete kept[target.id];
      return;
    }
    if (target.id !== "participant-rows") return;
    var incomingBody = fragment.querySelector("#participant-rows");
    if (incomingBody) {
      // Whole table resent: busy rows stay exactly as they are on screen; their new state is kept.
      // An idle row that already shows something newer (its own action's answer, which can land
      // while this table was on its way) stays too: the table was rendered before that answer.
      Array.prototype.forEach.call(target.querySelectorAll(ROW), function (row) {
        var incoming = incomingBody.querySelector("#" + CSS.escape(row.id));
        if (!isBusy(row)) {
          if (incoming && isOlder(incoming, row)) incoming.setAttribute("hx-preserve", "true");
          return;
        }
        keep(row.id, incoming || "gone");
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
    Array.prototype.forEach.call(fragment.querySelectorAll(ROW), function (incoming) {
      var existing = document.getElementById(incoming.id);
      var gone = incoming.hasAttribute("data-gone");
      if (existing && isBusy(existing)) keep(existing.id, gone ? "gone" : incoming);
      else if (existing && gone) existing.remove();
      else if (existing && !isOlder(incoming, existing)) existing.replaceWith(incoming.cloneNode(true));
      if (existing || gone) incoming.remove();
    });
  });

  /* A row can arrive twice: a refresh that lists a participant the page has just dialled may land
     before the dial's own answer, which appends the row again. One row per participant: the newer
     stays (the one on screen when both are as new). */
  document.addEventListener("htmx:afterSwap", function () {
    var seen = {};
    Array.prototype.forEach.call(document.querySelectorAll("#participant-rows > " + ROW), function (row) {
      var first = seen[row.id];
      if (!first) { seen[row.id] = row; return; }
      if (version(row) > version(first)) { first.replaceWith(row); seen[row.id] = row; } else row.remove();
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
      var moment = since(el);
      if (!isNaN(moment)) el.textContent = formatClock(Math.max(0, Math.floor((now - moment) / 1000)));
    });
  }, 1000);

  /* 3. Keep the keyboard where it was: the one focus mechanism of the page.
        A spot is noted when a form is submitted (a click, Enter, or a shortcut's click: the
        control used) and when a swap is about to replace the element that has focus (a panel
        refreshing under a resting focus). Once that request has answered, and only if focus is
        nowhere (a supervisor who moved on keeps their focus), focus goes back to the spot:
        - in a participant row: the control at the same position among the row's controls (Mute
          and Unmute share one, so do Coach… and Stop coaching), in the row looked up afresh (a
          refresh may have swapped rows meanwhile); the row itself if there is none; the table
          heading if the participant left;
        - elsewhere: the element with the same id; else the first heading of the swapped region. */
  var pendingFocus = null;  // {spot, request}: where focus goes back once `request` has answered

  function controls(row) {
    var set = row && row.querySelector("fieldset.btns");
    return set ? Array.prototype.slice.call(set.children) : [];
  }

  function focusNowhere() {
    var active = document.activeElement;
    return !active || active === document.body || !document.body.contains(active);
  }

  function spotOf(element, region) {
    var row = rowOf(element);
    if (row) return { row: row.id, slot: controls(row).findIndex(function (c) { return c.contains(element); }) };
    var named = element.closest("[id]");
    return named ? { id: named.id, region: region && region.id } : null;
  }

  function elementAt(spot) {
    if (spot.row) {
      var row = document.getElementById(spot.row);
      // A row with no controls says the participant left (it goes at the next refresh). Not read
      // from its class: htmx keeps the old class on a swapped element until it has settled.
      if (!row || !controls(row).length) return document.getElementById("participants-heading");
      var control = controls(row)[spot.slot];
      if (control && control.tagName === "DETAILS") control = control.querySelector("summary");
      if (control && !control.disabled) return control;
      row.setAttribute("tabindex", "-1");
      return row;
    }
    var region = spot.region && document.getElementById(spot.region);
    return document.getElementById(spot.id) || (region && region.querySelector("[tabindex='-1']"));
  }

  function restoreFocus() {
    var wanted = pendingFocus;
    pendingFocus = null;
    if (!wanted || !focusNowhere()) return;
    var target = elementAt(wanted.spot);
    if (target) target.focus();
  }

  document.addEventListener("submit", function (event) {
    var spot = spotOf(event.submitter || document.activeElement || event.target);
    if (spot) pendingFocus = { spot: spot, request: event.target };
  }, true);

  document.addEventListener("htmx:beforeSwap", function (event) {
    var region = event.detail.target;
    var active = document.activeElement;
    if (focusNowhere() || !region || !region.contains(active)) return;
    var spot = spotOf(active, region);
    if (spot) pendingFocus = { spot: spot, request: event.detail.requestConfig && event.detail.requestConfig.elt };
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // The element may have been swapped out: htmx then tells an ancestor still in the page.
    var config = event.detail.requestConfig;
    if (pendingFocus && config && config.elt === pendingFocus.request) window.setTimeout(restoreFocus, 0);
  });

  /* 4. Pickers (<details class="pop">, and the <details> of a row's form): one open at a time;
        Escape or a click elsewhere closes and returns focus to its summary; the first field gets
        focus on open. A row's picker (data-picker="coach") loads its fields when opened
        (GET <row form's action>?picker=coach) and drops them when closed, so the row's one form
        only ever carries the fields of the picker that is open. */
  var PICKER = "details.pop, fieldset.btns > details";

  function panelOf(details) {
    return details.querySelector(":scope > :not(summary)");
  }

  function focusFirst(details) {
    var panel = panelOf(details);
    var first = panel && panel.querySelector("select, input:not([type=hidden]), button");
    if (first) first.focus();
  }

  function load(details) {
    var form = details.closest("form");
    var panel = panelOf(details);
    if (!form) return;
    if (!panel) panel = details.appendChild(document.createElement("div"));
    var url = form.getAttribute("action") + "?picker=" + encodeURIComponent(details.getAttribute("data-picker"));
    htmx.ajax("GET", url, { target: panel }).then(function () {
      // Unless the supervisor has moved on to another row or field meanwhile.
      if (details.open && (focusNowhere() || form.contains(document.activeElement))) focusFirst(details);
    });
  }

  function emptied(details) {
    var panel = details.hasAttribute("data-picker") && panelOf(details);
    if (panel) panel.replaceChildren();
  }

  function close(details) {
    details.open = false;
    emptied(details);
  }

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.matches(PICKER)) return;
    if (!details.open) { emptied(details); return; }
    document.querySelectorAll("details[open]").forEach(function (other) {
      if (other !== details && other.matches(PICKER) && !other.contains(details)) close(other);
    });
    if (details.hasAttribute("data-picker")) load(details);
    else focusFirst(details);
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var details = event.target.closest && event.target.closest("details[open]");
    if (!details || !details.matches(PICKER)) return;
    close(details);
    var summary = details.querySelector("summary");
    if (summary) summary.focus();
  });

  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[open]").forEach(function (details) {
      if (details.matches(PICKER) && !details.contains(event.target)) close(details);
    });
  });

  /* 5. A row's form says `hx-post` without a URL: it posts to its action (one URL per row, not
        two). A button with its own formaction (the safe hold) keeps it. */
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.tagName !== "FORM" || form.getAttribute("hx-post") !== "") return;
    var submitter = event.detail.triggeringEvent && event.detail.triggeringEvent.submitter;
    if (!(submitter && submitter.hasAttribute("formaction"))) event.detail.path = form.getAttribute("action");
  });
})();
