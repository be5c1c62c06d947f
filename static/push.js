/* Conference Admin: live push. An open conference page receives its changes as they happen,
   over one Server-Sent Events stream (the server: conference_admin/push/views.py).

   Each `roster` event carries the poll's own answer (changed rows and status line as
   out-of-band swaps) and, as its id, the version it brings the page to; it is applied through
   the poll's code path (window.dashboard.applyRosterChanges). While the stream is open the
   page's poll is suspended and the page says "live"; when the stream cannot be opened or
   breaks, the page polls as before and says "live (polling)", and returns to push as soon as
   the stream is back (the browser reconnects with Last-Event-ID: exactly what was missed). */
(function () {
  "use strict";

  var poller = document.getElementById("roster-poller");
  var url = poller && poller.getAttribute("data-push");
  if (!url || !window.EventSource || !window.dashboard || !window.dashboard.applyRosterChanges) return;

  var RETRY_MIN = 2000, RETRY_MAX = 60000;
  var retry = RETRY_MIN;
  var source = null;
  var pushed = false;

  var state = document.createElement("span");
  state.id = "push-state";
  state.className = "push-state muted";
  var statusLine = document.getElementById("roster-status-line");
  if (statusLine) statusLine.insertAdjacentElement("afterend", state);

  function show(mode, text) {
    state.setAttribute("data-mode", mode);
    state.textContent = text;
  }

  function stop() {
    pushed = false;
    if (source) source.close();
    source = null;
  }

  function open() {
    var version = poller.getAttribute("data-version") || "";
    var query = "?version=" + encodeURIComponent(version);
    if (window.transcript) query += "&transcript=" + encodeURIComponent(window.transcript.cursor());
    source = new EventSource(url + query);
    source.addEventListener("open", function () {
      pushed = true;
      retry = RETRY_MIN;
      show("push", "live");
    });
    source.addEventListener("roster", function (event) {
      window.dashboard.applyRosterChanges(event.data, event.lastEventId);
    });
    source.addEventListener("transcript", function (event) {  // lines for the transcript panel
      if (window.transcript) window.transcript.apply(event.data);
    });
    source.addEventListener("ended", function () {
      stop();
      show("ended", "");
      htmx.trigger(document.body, "conference-ended");  // one last poll answers 286: polling stops too
    });
    source.addEventListener("reload", function () {  // other rights now: the page shows only what they allow
      stop();
      window.location.reload();
    });
    source.addEventListener("closed", function () {  // signed out, or no longer allowed to view
      stop();
      show("closed", "not live (signed out)");
    });
    source.addEventListener("error", function () {
      pushed = false;
      show("polling", "live (polling)");
      if (source && source.readyState === EventSource.CLOSED) {
        // Refused (not served here, too many streams, an error): try again later, less often.
        source = null;
        window.setTimeout(open, retry);
        retry = Math.min(retry * 2, RETRY_MAX);
      }  // otherwise the browser is reconnecting on its own
    });
  }

  // The poll waits while changes are pushed.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (pushed && event.detail.elt === poller) event.preventDefault();
  });
  window.addEventListener("pagehide", stop);

  show("polling", "live (polling)");
  open();
})();
