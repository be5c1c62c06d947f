/* Conference Admin: one answer for every htmx request that fails (5xx, no network, no answer in
   time): a banner saying what failed and that the page is retrying, removed by the next request
   that succeeds. A request whose session ended is sent to the login page by the server
   (HX-Redirect), which htmx follows on its own. No inline handlers, no eval. */
(function () {
  "use strict";

  var BANNER = "connection-banner";
  /* A poll or refresh that hangs ends here and counts as a failure; actions are never cut off. */
  var READ_TIMEOUT_MS = 15000;

  function what(detail) {
    var verb = ((detail.requestConfig && detail.requestConfig.verb) || "get").toLowerCase();
    return verb === "get" ? "Updating this page failed" : "Your last action got no answer";
  }

  function reason(event) {
    var detail = event.detail;
    if (event.type === "htmx:timeout") return "the dashboard did not answer in time.";
    if (event.type === "htmx:sendError") return "the dashboard could not be reached (network error).";
    var xhr = detail.xhr;
    var type = (xhr.getResponseHeader("Content-Type") || "").toLowerCase();
    var text = type.indexOf("text/plain") === 0 ? (xhr.responseText || "").trim() : "";
    var said = text && text.length <= 200 ? " " + text : "";
    return "the dashboard answered " + xhr.status + (xhr.statusText ? " " + xhr.statusText : "") + "." + said;
  }

  function show(event) {
    var detail = event.detail || {};
    var banner = document.getElementById(BANNER);
    if (banner === null) {
      banner = document.createElement("div");
      banner.id = BANNER;
      banner.className = "note note--error connection-banner";
      banner.setAttribute("role", "alert");
      var main = document.getElementById("main");
      (main || document.body).insertBefore(banner, (main || document.body).firstChild);
    }
    var action = what(detail) !== "Updating this page failed";
    banner.textContent = what(detail) + ": " + reason(event) + " " +
      (action ? "Its outcome is unknown until the row updates. " : "") + "Retrying…";
  }

  function clear(event) {
    if (!event.detail || !event.detail.successful) return;
    var banner = document.getElementById(BANNER);
    if (banner !== null) banner.remove();
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb === "get" && !event.detail.timeout) event.detail.timeout = READ_TIMEOUT_MS;
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status >= 500) show(event);
  });
  document.addEventListener("htmx:sendError", show);
  document.addEventListener("htmx:timeout", show);
  document.addEventListener("htmx:afterRequest", clear);
})();
