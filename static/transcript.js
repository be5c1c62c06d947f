/* Conference Admin: the live transcript panel. Lines come as `transcript` events on the page's
   event stream (push.js) or, while the stream is not live, from the panel's own poll. Each
   fragment holds the lines written since the page's cursor: a line the panel shows is replaced
   in place (a partial result by the final one), a new one goes at the bottom. The panel follows
   the newest line unless the supervisor has scrolled up. */
(function () {
  "use strict";

  var panel = document.getElementById("transcript-panel");
  if (!panel) return;
  var list = document.getElementById("transcript-lines");
  var pollUrl = panel.getAttribute("data-poll");
  var seconds = parseFloat(panel.getAttribute("data-poll-seconds") || "3");
  var following = true;

  function atBottom() {
    return panel.scrollHeight - panel.scrollTop - panel.clientHeight < 24;
  }
  panel.addEventListener("scroll", function () { following = atBottom(); });

  function apply(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var batch = holder.querySelector("[data-transcript-cursor]");
    if (!batch) return;
    var cursor = parseInt(batch.getAttribute("data-transcript-cursor"), 10);
    var known = parseInt(panel.getAttribute("data-cursor") || "0", 10);
    if (!(cursor > known)) return;  // nothing newer than what is shown
    Array.prototype.slice.call(batch.children).forEach(function (line) {
      var shown = document.getElementById(line.id);
      if (shown) shown.replaceWith(line); else list.appendChild(line);
    });
    panel.setAttribute("data-cursor", String(cursor));
    var empty = document.getElementById("transcript-empty");
    if (empty && list.children.length) empty.hidden = true;
    if (following) panel.scrollTop = panel.scrollHeight;
  }
  window.transcript = { apply: apply, cursor: function () { return panel.getAttribute("data-cursor") || "0"; } };

  function pushed() {
    var state = document.getElementById("push-state");
    return state && state.getAttribute("data-mode") === "push";
  }

  // The rights the page was drawn under: a poll after a role change is told to reload instead.
  var poller = document.getElementById("roster-poller");
  var pageRights = poller ? poller.getAttribute("data-rights") || "" : "";

  function poll() {
    if (!pushed() && pollUrl) {
      var query = "?cursor=" + encodeURIComponent(window.transcript.cursor()) +
        (pageRights ? "&rights=" + encodeURIComponent(pageRights) : "");
      fetch(pollUrl + query, {
        headers: { "HX-Request": "true" }, credentials: "same-origin"
      }).then(function (response) {
        // Rights changed, or the session ended (the answer is the login page): the page reloads
        // and shows what the user may see now, or the login page saying the session ended.
        if (response.headers.get("HX-Refresh") === "true" || response.redirected) {
          window.location.reload();
          return "";
        }
        return response.status === 200 ? response.text() : "";
      }).then(function (html) { if (html) apply(html); }).catch(function () {});
    }
    window.setTimeout(poll, seconds * 1000);
  }
  panel.scrollTop = panel.scrollHeight;
  window.setTimeout(poll, seconds * 1000);
})();
