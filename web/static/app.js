/* nianbao: the site's only script, and a small one.
 *
 * Everything works without it except stepping between matches:
 * - the sort select applies itself on change (the 应用 button does it without JS);
 * - the passage named in the URL fragment is focused and centred (CSS :target
 *   already highlights it; the .is-target class does the same for JS moves);
 * - on a report opened with ?q=…, the 上一处/下一处 buttons and the n / p keys
 *   step through every match (<mark class="match" data-m="k">, numbered by the
 *   server in document order; a match split across elements shares its k).
 */
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

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

  // A passage or match is centred; a whole section starts at the top.
  function place(el) {
    var small = el.classList.contains("passage") || el.tagName === "MARK";
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
