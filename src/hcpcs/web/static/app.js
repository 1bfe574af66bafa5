// Search as you type: results while typing, arrow keys to move, Enter to open. No libraries.
(function () {
  "use strict";
  var box = document.getElementById("q");
  var list = document.getElementById("results");
  var status = document.getElementById("status");
  if (!box || !list) return;
  var timer = null, active = -1, asked = 0;

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function mark(text, terms) {
    var safe = escapeHtml(text);
    var words = terms.filter(function (t) { return t.length > 1; })
      .map(function (t) { return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    if (!words.length) return safe;
    return safe.replace(new RegExp("\\b(" + words.join("|") + ")\\w*", "gi"), "<mark>$&</mark>");
  }
  function select(index) {
    var items = list.querySelectorAll("li");
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
    box.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }
  function open(index) {
    var items = list.querySelectorAll("li");
    if (items[index]) window.location.href = items[index].dataset.href;
  }
  function show(data) {
    active = -1;
    box.removeAttribute("aria-activedescendant");
    list.innerHTML = data.hits.map(function (hit, i) {
      return '<li role="option" id="hit-' + i + '" aria-selected="false" data-href="/codes/' +
        encodeURIComponent(hit.code) + '"><a href="/codes/' + encodeURIComponent(hit.code) + '" tabindex="-1">' +
        '<span class="code">' + escapeHtml(hit.code) + "</span></a>" + mark(hit.long_description, data.terms) +
        (hit.status === "Terminated" ? ' <span class="status-Terminated">(terminated)</span>' : "") +
        why(hit) + "</li>";
    }).join("");
    box.setAttribute("aria-expanded", data.hits.length ? "true" : "false");
    status.textContent = data.total + " codes found in release " + data.release +
      (data.did_you_mean ? "; did you mean " + data.did_you_mean + "?" : "");
  }
  // why a code matched: the query words read otherwise than as themselves ("inj: injection")
  function why(hit) {
    var told = (hit.why || []).filter(function (w) {
      return w.how !== "word" || w.words.join(" ") !== w.query;
    }).map(function (w) {
      var other = w.words.filter(function (x) { return x !== w.query; });
      return escapeHtml(w.query) + (other.length ? ": " + escapeHtml(other.join(", ")) : "") + " (" + escapeHtml(w.how) + ")";
    });
    return told.length ? ' <span class="why">' + told.join("; ") + "</span>" : "";
  }
  function search() {
    // a trailing space says the last word is finished (not read as a prefix)
    var q = box.value.replace(/^\s+/, "");
    if (!q.trim()) { list.innerHTML = ""; status.textContent = ""; return; }
    var mine = ++asked;
    fetch("/api/search?limit=15&q=" + encodeURIComponent(q))
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === asked && data.hits) show(data); })
      .catch(function () { status.textContent = "Search failed; try again."; });
  }
  box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 80); });
  box.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); select(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); select(active - 1); }
    else if (e.key === "Enter") { e.preventDefault(); open(active < 0 ? 0 : active); }
    else if (e.key === "Escape") { list.innerHTML = ""; box.setAttribute("aria-expanded", "false"); }
  });
  list.addEventListener("click", function (e) {
    var item = e.target.closest("li");
    if (item) window.location.href = item.dataset.href;
  });
  if (box.value) search();
})();
