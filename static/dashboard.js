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

  /* 2. A refresh of the participant table never clobbers a row that is mid-action:
        a request in flight, a picker open, or the keyboard focus inside it.
        Such rows are marked hx-preserve in the incoming HTML, so htmx keeps the live row. */
  function isBusy(row) {
    var active = document.activeElement;
    return row.classList.contains("htmx-request") ||
      row.querySelector(".htmx-request, details[open]") !== null ||
      (active !== null && active !== document.body && row.contains(active));
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "roster" || !event.detail.shouldSwap) return;
    var busy = Array.prototype.filter.call(target.querySelectorAll(ROW_SELECTOR), isBusy);
    if (busy.length === 0) return;
    var template = document.createElement("template");
    template.innerHTML = event.detail.serverResponse;
    var tbody = template.content.querySelector("#participant-rows");
    if (!tbody) return;
    busy.forEach(function (row) {
      var incoming = template.content.getElementById(row.id);
      if (!incoming) {
        // The participant left meanwhile: keep the row until the supervisor is done with it.
        incoming = document.createElement("tr");
        incoming.id = row.id;
        tbody.insertBefore(incoming, tbody.querySelector(".empty-row"));
      }
      incoming.setAttribute("hx-preserve", "true");
    });
    event.detail.serverResponse = template.innerHTML;
  });

  /* 3. Keep the keyboard where it was: after a row is re-rendered, focus the same control group
        (e.g. Mute becomes Unmute); after a row is removed, focus the table heading. */
  var pendingFocus = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var row = elt.closest && elt.closest(ROW_SELECTOR);
    var group = elt.closest && elt.closest("[data-focus-group]");
    pendingFocus = row && group ? { row: row.id, group: group.getAttribute("data-focus-group") } : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!pendingFocus) return;
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
