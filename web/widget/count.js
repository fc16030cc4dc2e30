/* winnow comment counts for listing pages:
 *   <a href="/post" data-winnow-count="/post" data-winnow-site="blog"></a>
 *   <script src="https://comments.example/count.js" data-winnow-site="blog" async></script>
 * One request per site fills every element's text with "N comments", in the language
 * of the element's (or the page's) lang, with that language's plural forms. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var defSite = script && script.getAttribute("data-winnow-site");
  // WORDS are the catalogs' "comments" messages by language, put here by the server.
  var WORDS = "__WINNOW_COUNTS__";
  function say(n, lang) {
    lang = String(lang).toLowerCase();
    if (!WORDS[lang]) lang = lang.split("-")[0];
    if (!WORDS[lang]) lang = "en";
    var m = WORDS[lang], s = m[new Intl.PluralRules(lang).select(n)] || m.other;
    return s.replace("{n}", n);
  }
  function run() {
    var bySite = {};
    document.querySelectorAll("[data-winnow-count]").forEach(function (e) {
      var site = e.getAttribute("data-winnow-site") || defSite;
      if (!site) return;
      (bySite[site] = bySite[site] || []).push(e);
    });
    Object.keys(bySite).forEach(function (site) {
      var els = bySite[site], keys = [];
      els.forEach(function (e) { var k = e.getAttribute("data-winnow-count"); if (keys.indexOf(k) < 0) keys.push(k); });
      for (var i = 0; i < keys.length; i += 100) {
        var q = keys.slice(i, i + 100).map(function (k) { return "thread=" + encodeURIComponent(k); }).join("&");
        fetch(base + "/api/v1/sites/" + encodeURIComponent(site) + "/counts?" + q, { credentials: "omit" })
          .then(function (r) { return r.ok ? r.json() : { counts: {} }; })
          .then(function (d) {
            els.forEach(function (e) {
              var n = d.counts[e.getAttribute("data-winnow-count")];
              if (n === undefined) return;
              var lang = (e.closest("[lang]") || document.documentElement).getAttribute("lang") || "en";
              e.textContent = say(n, lang);
            });
          }, function () {});
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run); else run();
})();
