/* Big rooms: find, order and group a conference's participants in the browser, without a
   request. No inline handlers, no eval: works under script-src 'self'.

   - Find as you type (`/` focuses the field): every word typed must appear in the row's text
     (name, number, "held", "muted", "ringing", "speaking", ...) or its role; digits also match a
     number written with spaces or dashes. A count says how many rows the filter hides. A row the
     supervisor acts on stays shown (with its answer) until the filter is typed again.
   - Order: by how much a row needs a supervisor (ParticipantRow.rank, rendered as data-rank), time
     in call, time on hold, or name; rows needing attention can stay on top whatever the order.
   - Group by role (data-role, from the one classifier in live/alerts.py), collapsible, with counts.
   The choices are remembered per user in this browser (localStorage); the filter text is not.

   Rows are replaced by live refreshes and by actions' answers (htmx, and static/dashboard.js for
   rows it kept while busy): a MutationObserver on the table sees every such change, whichever path
   made it, and re-applies filter, order and grouping before the browser paints. Keyboard focus
   stays where it was when a row moves. j/k (static/shortcuts.js) walks dashboard.rows(), which
   leaves out rows hidden here. */
(function () {
  "use strict";

  var tools = document.getElementById("roster-tools");
  var table = document.querySelector("table.participants");
  var dashboard = window.dashboard;
  if (!tools || !table || !dashboard) return;

  var filterInput = document.getElementById("roster-filter");
  var sortSelect = document.getElementById("roster-sort");
  var pinBox = document.getElementById("roster-pin");
  var groupBox = document.getElementById("roster-group");
  var countLine = document.getElementById("roster-filter-count");
  var attentionBelow = parseInt(tools.getAttribute("data-attention-below"), 10);
  var storageKey = "conference-admin:roster-view:" + tools.getAttribute("data-viewer");
  var ROW = dashboard.ROW;
  var SKIP = ".actions, .sid, [data-since]";

  /* --- the supervisor's choices, remembered per user ----------------------------------------- */
  var view = { sort: "status", pin: true, group: false, collapsed: {} };
  try {
    var saved = JSON.parse(window.localStorage.getItem(storageKey) || "null");
    if (saved && typeof saved === "object") {
      if (sortSelect.querySelector("option[value='" + saved.sort + "']")) view.sort = saved.sort;
      view.pin = saved.pin !== false;
      view.group = saved.group === true;
      view.collapsed = saved.collapsed && typeof saved.collapsed === "object" ? saved.collapsed : {};
    }
  } catch (error) { /* storage unavailable or unreadable: the defaults */ }

  function remember() {
    try { window.localStorage.setItem(storageKey, JSON.stringify(view)); } catch (error) { /* private mode */ }
  }

  /* --- what each row says, read once per row element (a changed row is a new element) -------- */
  var facts = new WeakMap();
  var arrival = {};  // row id -> order first seen: the server lists rows in join order
  var arrivals = 0;

  function since(element) {
    var moment = element && dashboard.since(element);
    return moment || moment === 0 ? moment : NaN;
  }

  function factsOf(row) {
    var known = facts.get(row);
    if (known) return known;
    // The words on the row, but not its buttons, its call SID nor its ticking timers.
    var text = [row.getAttribute("data-role") || ""];
    var walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement.closest(SKIP)) text.push(node.data);
    }
    var key = text.join(" ").toLowerCase().replace(/\s+/g, " ");
    var name = row.querySelector(".name");
    var rank = parseInt(row.getAttribute("data-rank"), 10);
    known = {
      key: key,
      digits: key.replace(/[^0-9]/g, ""),
      role: row.getAttribute("data-role") || "",
      rank: isNaN(rank) ? 99 : rank,  // a row saying "left" goes last
      joined: since(row.querySelector("td.num > [data-since]")),
      held: since(row.querySelector(".chip--held [data-since]")),
      name: name ? name.textContent.toLowerCase() : ""
    };
    facts.set(row, known);
    if (!(row.id in arrival)) arrival[row.id] = arrivals++;
    return known;
  }

  /* --- find ----------------------------------------------------------------------------------- */
  var words = [];

  var acted = {};  // row id -> true: a row the supervisor acted on stays shown until the filter changes

  function matches(row) {
    if (!words.length || acted[row.id]) return true;
    var f = factsOf(row);
    for (var i = 0; i < words.length; i++) {
      var word = words[i];
      if (f.key.indexOf(word.text) !== -1) continue;
      if (word.digits && f.digits.indexOf(word.digits) !== -1) continue;
      return false;
    }
    return true;
  }

  function readFilter() {
    acted = {};
    words = filterInput.value.toLowerCase().split(/\s+/).filter(Boolean).map(function (text) {
      var digits = /^[+\d().-]+$/.test(text) ? text.replace(/[^0-9]/g, "") : "";
      return { text: text, digits: digits.length >= 3 ? digits : "" };
    });
  }

  /* --- order ---------------------------------------------------------------------------------- */
  function byNumber(a, b) {  // unknown (NaN) last
    if (isNaN(a)) return isNaN(b) ? 0 : 1;
    if (isNaN(b)) return -1;
    return a - b;
  }

  var ORDERS = {
    "status": function (a, b) { return a.rank - b.rank; },
    "in-call": function (a, b) { return byNumber(a.joined, b.joined); },
    "on-hold": function (a, b) { return byNumber(a.held, b.held); },
    "name": function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; }
  };

  function compare(rowA, rowB) {
    var a = factsOf(rowA), b = factsOf(rowB);
    if (view.pin) {
      var pinned = (b.rank < attentionBelow) - (a.rank < attentionBelow);
      if (pinned) return pinned;
    }
    return ORDERS[view.sort](a, b) || arrival[rowA.id] - arrival[rowB.id];
  }

  /* --- group heads (templates/conferences/detail.html#roster-group-heads) --------------------- */
  var heads = {};  // role -> <tr class="group-row">
  var roles = [];
  var template = document.getElementById("roster-group-heads");
  Array.prototype.forEach.call(template.content.querySelectorAll("tr[data-group]"), function (head) {
    var role = head.getAttribute("data-group");
    head = document.importNode(head, true);
    roles.push(role);
    heads[role] = head;
  });

  function columns() {
    var header = table.tHead && table.tHead.rows[0];
    return header ? header.cells.length : 6;
  }

  /* --- applying it all ------------------------------------------------------------------------ */
  function tbody() { return document.getElementById("participant-rows"); }

  function allRows(body) {
    return Array.prototype.filter.call(body.children, function (row) {
      return row.matches(ROW) && !row.hasAttribute("data-gone");
    });
  }

  /* Puts rows (and group heads) in order, moving only what is out of place; focus stays put. */
  function arrange() {
    var body = tbody();
    if (!body) return;
    var rows = allRows(body);
    rows.forEach(factsOf);  // a row seen for the first time takes its place in arrival order
    rows.sort(compare);
    var wanted = rows;
    if (view.group) {
      var byRole = {};
      roles.forEach(function (role) { byRole[role] = []; });
      var others = [];
      rows.forEach(function (row) { (byRole[factsOf(row).role] || others).push(row); });
      wanted = [];
      roles.forEach(function (role) {
        if (byRole[role].length) wanted.push(heads[role]);
        Array.prototype.push.apply(wanted, byRole[role]);
      });
      Array.prototype.push.apply(wanted, others);
    }
    var active = document.activeElement;
    var cursor = body.firstElementChild;
    wanted.forEach(function (element) {
      if (element === cursor) cursor = cursor.nextElementSibling;
      else body.insertBefore(element, cursor);
    });
    roles.forEach(function (role) {
      if (wanted.indexOf(heads[role]) === -1 && heads[role].parentNode) heads[role].remove();
    });
    if (active && active !== document.activeElement && document.contains(active)) active.focus({ preventScroll: true });
  }

  /* Shows the rows that match and are not in a collapsed group; counts what is hidden. */
  function show() {
    var body = tbody();
    if (!body) return;
    var total = 0, hidden = 0, span = columns();
    var counts = {};
    roles.forEach(function (role) { counts[role] = { total: 0, shown: 0 }; });
    allRows(body).forEach(function (row) {
      var found = matches(row);
      var role = factsOf(row).role;
      var count = counts[role];
      total++;
      if (!found) hidden++;
      if (count) { count.total++; if (found) count.shown++; }
      var visible = found && !(view.group && count && view.collapsed[role]);
      if (row.hidden === visible) row.hidden = !visible;
    });
    roles.forEach(function (role) {
      var head = heads[role], count = counts[role], open = !view.collapsed[role];
      if (head.cells[0].colSpan !== span) head.cells[0].colSpan = span;
      var label = head.querySelector(".count");
      var text = count.shown === count.total ? String(count.total) : count.shown + " of " + count.total;
      if (label.textContent !== text) label.textContent = text;
      var toggle = head.querySelector("button");
      if (toggle.getAttribute("aria-expanded") !== String(open)) toggle.setAttribute("aria-expanded", String(open));
    });
    var summary = "";
    if (words.length) {
      summary = hidden === total ? "No participant matches." : (total - hidden) + " of " + total + " shown · " + hidden + " hidden by the filter";
    }
    if (countLine.textContent !== summary) countLine.textContent = summary;
  }

  var observer = new MutationObserver(function (records) {
    var rowsChanged = records.some(function (record) {
      return record.target === table || record.target.id === "participant-rows";
    });
    if (!rowsChanged) return;  // a timer ticking, a picker loading: nothing to reorder
    arrange();
    show();
    observer.takeRecords();  // our own moves
  });

  function refresh() {
    arrange();
    show();
    observer.takeRecords();
  }

  /* --- controls ------------------------------------------------------------------------------- */
  sortSelect.value = view.sort;
  pinBox.checked = view.pin;
  groupBox.checked = view.group;

  filterInput.addEventListener("input", function () {
    readFilter();
    show();
  });
  filterInput.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !filterInput.value) return;
    event.preventDefault();
    filterInput.value = "";
    readFilter();
    show();
  });
  sortSelect.addEventListener("change", function () { view.sort = sortSelect.value; remember(); refresh(); });
  pinBox.addEventListener("change", function () { view.pin = pinBox.checked; remember(); refresh(); });
  groupBox.addEventListener("change", function () { view.group = groupBox.checked; remember(); refresh(); });
  table.addEventListener("submit", function (event) {
    var row = dashboard.rowOf(event.target);
    if (row) acted[row.id] = true;
  }, true);
  table.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".group-toggle");
    if (!toggle) return;
    var role = toggle.closest("tr").getAttribute("data-group");
    view.collapsed[role] = !view.collapsed[role];
    remember();
    show();
  });

  /* `/` focuses the filter, unless the supervisor is typing somewhere or a dialog is open. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && target.closest && (target.isContentEditable || target.closest("input, select, textarea, [contenteditable]:not([contenteditable='false'])"))) return;
    if (document.querySelector("dialog[open]")) return;
    event.preventDefault();
    filterInput.focus();
    filterInput.select();
  });

  /* The header row stays just under the sticky bar, whatever its height at this width. */
  var bar = tools.closest(".roster-bar");
  var roster = document.getElementById("roster");
  if (bar && roster && window.ResizeObserver) {
    new ResizeObserver(function () {
      roster.style.setProperty("--roster-bar-height", bar.offsetHeight + "px");
    }).observe(bar);
  }

  tools.hidden = false;
  readFilter();
  observer.observe(table, { childList: true, subtree: true });
  refresh();
})();
