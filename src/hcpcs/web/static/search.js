// Search as you type over the server's own result markup: the form's URL is fetched, its results swapped in
// and the address bar kept in step. Arrow keys move between the results; Enter opens one. Without this
// file the form submits as usual. No libraries.
(function () {
  "use strict";
  var form = document.getElementById("search");
  var box = document.getElementById("q");
  var found = document.getElementById("found");
  if (!form || !box || !found) return;
  var timer = null, asked = 0;

  function address() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (String(value).trim()) params.append(name, value); });
    var query = params.toString();
    return query ? "/?" + query : "/";
  }
  function refresh() {
    var url = address(), mine = ++asked;
    if (!box.value.trim()) {
      found.innerHTML = "";
      history.replaceState(null, "", url);
      return;
    }
    fetch(url, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        if (mine !== asked) return;
        var page = new DOMParser().parseFromString(text, "text/html");
        var fresh = page.getElementById("found");
        if (!fresh) return;
        found.innerHTML = fresh.innerHTML;
        document.title = page.title;
        history.replaceState(null, "", url);
      })
      .catch(function () { found.textContent = "Search failed; press Enter to try again."; });
  }
  function later() { clearTimeout(timer); timer = setTimeout(refresh, 120); }
  function links() { return Array.prototype.slice.call(found.querySelectorAll("#results a")); }

  box.addEventListener("input", later);
  form.addEventListener("change", function (event) { if (event.target !== box) later(); });
  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); refresh(); });
  box.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && links().length) { event.preventDefault(); links()[0].focus(); }
  });
  found.addEventListener("keydown", function (event) {
    var all = links(), at = all.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowDown" && at + 1 < all.length) { event.preventDefault(); all[at + 1].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? all[at - 1] : box).focus(); }
    else if (event.key === "Escape") { event.preventDefault(); box.focus(); }
  });
})();
