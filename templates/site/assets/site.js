/* grantdigest: filters and search on the calls page. Progressive enhancement: without it every call is listed.
   The search index (assets/search-index.js) sets window.GRANTDIGEST_INDEX = {fold: {...}, docs: {uid: "words"}};
   text is folded as calls/folding.py folds it (й → j, NFKD, lower case, marks dropped, then the table), and every query word must start some word of the call. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var list = document.getElementById("results");
  if (!form || !list) { return; }
  var index = window.GRANTDIGEST_INDEX || { fold: {}, docs: {} };
  var items = Array.prototype.slice.call(list.querySelectorAll("li.call"));
  var count = document.getElementById("result-count");
  var none = document.getElementById("no-results");
  var keys = ["region", "programme", "funder", "theme", "applicant", "deadline"];
  var multi = { region: true, theme: true, applicant: true };
  var DAY = 86400000;

  function fold(text) {
    var s = String(text).replace(/[\u0439\u0419]/g, "j").normalize("NFKD").toLowerCase().replace(/\p{Mn}/gu, "");
    var out = "";
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      out += Object.prototype.hasOwnProperty.call(index.fold, c) ? index.fold[c] : c;
    }
    return out;
  }
  function words(text) { return fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean); }

  function control(key) { return document.getElementById("filter-" + key); }
  var search = document.getElementById("search");

  function matches(item, wanted, query, now) {
    for (var k = 0; k < keys.length; k++) {
      var key = keys[k], value = wanted[key];
      if (!value) { continue; }
      var data = item.getAttribute("data-" + key) || "";
      if (key === "deadline") {
        var at = Date.parse(data);
        if (isNaN(at) || at < now || at > now + Number(value) * DAY) { return false; }
      } else if (multi[key] ? data.split(" ").indexOf(value) < 0 : data !== value) {
        return false;
      }
    }
    if (query.length) {
      var doc = " " + (index.docs[item.getAttribute("data-uid")] || "");
      for (var q = 0; q < query.length; q++) {
        if (doc.indexOf(" " + query[q]) < 0) { return false; }
      }
    }
    return true;
  }

  function apply() {
    var wanted = {};
    keys.forEach(function (key) { wanted[key] = control(key) ? control(key).value : ""; });
    var query = words(search ? search.value : "");
    var now = Date.now(), shown = 0;
    items.forEach(function (item) {
      var ok = matches(item, wanted, query, now);
      item.hidden = !ok;
      if (ok) { shown++; }
    });
    if (count) {
      count.textContent = (count.getAttribute("data-template") || "{shown}/{total}")
        .replace("{shown}", shown).replace("{total}", items.length);
    }
    if (none) { none.hidden = shown > 0; }
  }

  function preset() {
    var params = new URLSearchParams(window.location.search);
    keys.forEach(function (key) {
      var el = control(key), value = params.get(key);
      if (el && value !== null && Array.prototype.some.call(el.options, function (o) { return o.value === value; })) {
        el.value = value;
      }
    });
    if (search && params.get("q") !== null) { search.value = params.get("q"); }
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  preset();
  apply();
}());
