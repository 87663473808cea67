/* nianbao: the site's only script, and a small one.
 *
 * Everything works without it except stepping between matches:
 * - on a phone the filters wait behind the 筛选 button (without the script
 *   they are shown above the results); the skip link 跳到筛选 opens them;
 * - after a filter, a sort or a page is chosen, the new page puts the focus
 *   back on that control (remembered for one page load in sessionStorage);
 * - the sort select applies itself when picked with the mouse or confirmed
 *   with Enter, never while arrow keys move through it (the 应用 button
 *   does it without JS);
 * - a report's number tables, and each facet's list of values, are one tab
 *   stop each: arrow keys, Home and End move between the links inside (a
 *   "roving" tabindex);
 * - following a failed check's link fills every cell of that check;
 * - the passage named in the URL fragment is focused and centred (CSS :target
 *   already highlights it; the .is-target class does the same for JS moves);
 * - on a report opened with ?q=…, the 上一处/下一处 buttons and the n / p keys
 *   step through every match (<mark class="match" data-m="k">, numbered by the
 *   server in document order; a match split across elements shares its k).
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // ---------------------------------------------------------------- filters on phones

  var panel = document.getElementById("filters");
  var toggle = document.querySelector(".filters-toggle");
  function openFilters(open) {
    if (!panel || !toggle) return;
    panel.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
  }
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = !panel.classList.contains("open");
      openFilters(open);
      if (open) firstControl(panel).focus();
    });
  }
  function firstControl(root) {
    return root.querySelector("a.fv[tabindex=\"0\"]") || root.querySelector("a.fv, input:not([type=hidden])") || root;
  }
  document.querySelectorAll('a[href="#filters"]').forEach(function (a) {
    a.addEventListener("click", function (e) {
      if (!panel) return;
      e.preventDefault();
      openFilters(true);
      firstControl(panel).focus();
    });
  });

  // ---------------------------------------------------------------- focus stays on the control used

  var KEY = "nianbao.focus";
  function remember(selector) {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ s: selector, open: !!(panel && panel.classList.contains("open")) }));
    } catch (err) { /* storage off: the page still works, focus starts at the top */ }
  }
  function facetSelector(el) {
    return 'a.fv[data-facet="' + CSS.escape(el.getAttribute("data-facet")) + '"][data-value="' + CSS.escape(el.getAttribute("data-value")) + '"]';
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.fv, a.chip[data-facet], .pager a, a.clear-all");
    if (!a) return;
    if (a.classList.contains("fv") || a.classList.contains("chip")) remember(facetSelector(a));
    else if (a.classList.contains("clear-all")) remember("#filters");
    else remember("#total");
  });
  document.querySelectorAll("form.within").forEach(function (form) {
    form.addEventListener("submit", function () { remember("#" + CSS.escape(form.querySelector("input[type=search]").id)); });
  });
  (function restore() {
    var saved;
    try {
      saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
      sessionStorage.removeItem(KEY);
    } catch (err) { return; }
    if (!saved) return;
    if (saved.open) openFilters(true);
    var el = document.querySelector(saved.s);
    if (!el && saved.open) el = panel;  // the value went away (e.g. deselected and no longer counted)
    if (!el) return;
    if (!el.hasAttribute("tabindex") && !el.matches("a[href], input, select, button")) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "center" });
  })();

  // ---------------------------------------------------------------- the sort menu

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var byKeys = false;  // a change made with arrow keys waits for Enter
    function apply() { remember("#" + select.id); select.form.submit(); }
    select.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); apply(); }
      else byKeys = true;
    });
    select.addEventListener("pointerdown", function () { byKeys = false; });
    select.addEventListener("change", function () { if (!byKeys) apply(); });
  });

  // ---------------------------------------------------------------- one tab stop per table and per facet

  // Among ``links``, the focus moves with the keys (``nearest`` picks the link
  // an arrow key leads to); Tab leaves the group.  The selected or first link
  // is the group's tab stop.
  function roving(container, links, nearest) {
    if (!links.length) return;
    var stop = links.filter(function (a) { return a.classList.contains("on"); })[0] || links[0];
    links.forEach(function (a) { a.tabIndex = a === stop ? 0 : -1; });
    container.addEventListener("focusin", function (e) {
      if (links.indexOf(e.target) >= 0) links.forEach(function (a) { a.tabIndex = a === e.target ? 0 : -1; });
    });
    container.addEventListener("keydown", function (e) {
      if (links.indexOf(e.target) < 0 || e.altKey || e.ctrlKey || e.metaKey) return;
      var to = e.key === "Home" ? links[0] : e.key === "End" ? links[links.length - 1] : nearest(e.target, e.key);
      if (to) { e.preventDefault(); to.focus(); }
    });
  }

  document.querySelectorAll("table[data-grid]").forEach(function (table) {
    var links = Array.prototype.slice.call(table.querySelectorAll("td a[href]"));
    function at(a) { var td = a.closest("td"); return { row: td.parentElement.rowIndex, col: td.cellIndex }; }
    roving(table, links, function (from, key) {
      var here = at(from), best = null;
      links.forEach(function (a) {
        var p = at(a), d = null;
        if (key === "ArrowRight" && p.row === here.row && p.col > here.col) d = p.col - here.col;
        else if (key === "ArrowLeft" && p.row === here.row && p.col < here.col) d = here.col - p.col;
        else if (key === "ArrowDown" && p.row > here.row) d = (p.row - here.row) * 100 + Math.abs(p.col - here.col);
        else if (key === "ArrowUp" && p.row < here.row) d = (here.row - p.row) * 100 + Math.abs(p.col - here.col);
        if (d !== null && (!best || d < best.d)) best = { a: a, d: d };
      });
      return best && best.a;
    });
  });

  document.querySelectorAll(".facet ul").forEach(function (ul) {
    var links = Array.prototype.slice.call(ul.querySelectorAll("a.fv"));
    roving(ul, links, function (from, key) {
      var i = links.indexOf(from);
      if (key === "ArrowDown" || key === "ArrowRight") return links[i + 1];
      if (key === "ArrowUp" || key === "ArrowLeft") return links[i - 1];
      return null;
    });
  });

  // ---------------------------------------------------------------- a failed check's cells

  function showCheck() {
    var m = /^#check-(\d+)$/.exec(location.hash);
    document.querySelectorAll("td.check-on").forEach(function (td) { td.classList.remove("check-on"); });
    if (!m) return;
    document.querySelectorAll('td[data-checks~="' + m[1] + '"]').forEach(function (td) { td.classList.add("check-on"); });
  }
  showCheck();
  window.addEventListener("hashchange", showCheck);

  function focusTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) return null;
    document.querySelectorAll(".is-target").forEach(function (e) { e.classList.remove("is-target"); });
    el.classList.add("is-target");
    if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
    place(el);
    return el;
  }

  // A passage, a table row or cell, or a match is centred; a whole section starts at the top.
  function place(el) {
    var small = el.classList.contains("passage") || /^(MARK|TR|TD)$/.test(el.tagName);
    el.scrollIntoView({ block: small ? "center" : "start" });
  }
  var target = focusTarget();
  window.addEventListener("hashchange", focusTarget);
  // The browser's own jump to the fragment can land after ours (and under the
  // sticky match bar): centre the target again once the page has loaded.
  window.addEventListener("load", function () {
    if (target) place(target);
  });

  var bar = document.getElementById("matchbar");
  var total = bar ? parseInt(bar.getAttribute("data-total"), 10) || 0 : 0;
  if (!total) return;
  var marks = Array.prototype.slice.call(document.querySelectorAll("mark.match[data-m]"));
  var counter = document.getElementById("match-counter");
  var prev = document.getElementById("prev-match");
  var next = document.getElementById("next-match");
  prev.hidden = next.hidden = false;
  var current = 0;

  function show(k, scroll) {
    current = k;
    var first = null;
    marks.forEach(function (m) {
      var on = m.getAttribute("data-m") === String(k);
      m.classList.toggle("current", on);
      if (on && !first) first = m;
    });
    counter.textContent = "第 " + k + " / " + total + " 处匹配";
    if (scroll && first) first.scrollIntoView({ block: "center" });
  }

  function step(delta) {
    var k = current + delta;
    if (k < 1) k = total;
    if (k > total) k = 1;
    show(k, true);
  }

  // Opened at a passage (from a search hit): counting starts at its first match.
  var inside = target && target.querySelector("mark.match[data-m]");
  if (inside) show(parseInt(inside.getAttribute("data-m"), 10), false);

  next.addEventListener("click", function () { step(1); });
  prev.addEventListener("click", function () { step(-1); });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (e.target.closest && e.target.closest("input, textarea, select, [contenteditable]")) return;
    if (e.key === "n") { step(1); e.preventDefault(); }
    else if (e.key === "p") { step(-1); e.preventDefault(); }
  });
})();
