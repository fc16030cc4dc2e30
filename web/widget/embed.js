/* winnow comment widget. Embed with:
 *   <div id="winnow-thread" data-site="blog" data-thread="/post"></div>
 *   <script src="https://comments.example/embed.js" async></script>
 * Optional: data-title, data-url, data-lang (en, de, fr, es, pt, it, nl, pl, ru, ja, zh,
 * ar, he; default: the page's <html lang>, else the browser's), data-theme (light|dark|auto;
 * default: the host page's own light or dark background),
 * data-sort (oldest|newest). Renders into a shadow root: the page's CSS cannot reach
 * it and its CSS cannot reach the page. Only body_html (sanitized by the server) is
 * parsed as HTML; every other value is inserted as text. */
(function () {
  "use strict";
  var CSS = "__WINNOW_CSS__"; // the server puts embed.css here
  var EDIT_WINDOW = 15 * 60 * 1000;
  var MAX_DEPTH = 4;
  var KEEP_PENDING = 7 * 24 * 3600 * 1000;
  // EN is the English catalog (web/i18n/en.json), built in so the first paint never
  // waits; LANGS names every language's catalog by its immutable URL, loaded when a
  // page asks for that language. Both are put here when the server starts.
  var EN = "__WINNOW_EN__";
  var LANGS = "__WINNOW_LANGS__";

  var script = document.currentScript;
  var BASE = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  // VERSION is this build of the widget (its files' content hash), set when served.
  var VERSION = "__WINNOW_VERSION__";

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) continue;
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function fmt(s, v) { return s.replace(/\{(\w+)\}/g, function (_, k) { return v[k]; }); }
  // pickLang is the first of the page's data-lang, its <html lang> and the browser's
  // languages that winnow speaks (pt-BR: pt), or English.
  function pickLang(d) {
    var want = [d.lang, document.documentElement.lang].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < want.length; i++) {
      var l = String(want[i] || "").toLowerCase();
      if (LANGS[l] || LANGS[l = l.split("-")[0]]) return l;
    }
    return "en";
  }
  // catalog gets a language's messages (English, if they cannot be loaded; a message
  // missing from them is said in English) and calls then(messages, language).
  function catalog(lang, then) {
    if (lang === "en") return then(EN, lang);
    fetch(BASE + LANGS[lang], { credentials: "omit" }).then(function (r) { if (!r.ok) throw r.status; return r.json(); })
      .then(function (t) { for (var k in EN) if (!(k in t)) t[k] = EN[k]; then(t, lang); }, function () { then(EN, "en"); });
  }
  // withScheme completes a typed website as the server does (comment.WebsiteURL):
  // "janes-blog.example" is https://janes-blog.example; what has a scheme, or no
  // dotted host, is left for the checks to judge.
  function withScheme(v) {
    if (!v || v.indexOf("://") >= 0) return v;
    if (v.slice(0, 2) === "//") return "https:" + v;
    if (/^[a-z][a-z0-9+.-]*:(?![0-9])/i.test(v)) return v;
    var host = v.split(/[/?#]/)[0].replace(/:[0-9]*$/, "");
    return host.indexOf(".") > 0 && !/[\s@\\]/.test(host) ? "https://" + v : v;
  }
  function webURL(u) {
    try { var p = new URL(u); return (p.protocol === "http:" || p.protocol === "https:") && p.host && !p.username ? p.href : null; } catch (e) { return null; }
  }
  // pageURL is this page's address without its fragment and without the tracking
  // parameters a shared link picks up; other parameters stay (WordPress's ?p=123).
  function pageURL() {
    var u = new URL(location.href);
    u.hash = "";
    Array.from(u.searchParams.keys()).forEach(function (k) {
      if (/^(utm_\w+|fbclid|gclid|msclkid|mc_eid|_ga)$/i.test(k)) u.searchParams.delete(k);
    });
    return u.href.replace(/\?$/, "");
  }
  function store(key, val) {
    try { if (val === undefined) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(val)); } catch (e) { /* private mode */ }
  }
  function load(key) { try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; } }
  function newKey() {
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  // safeHTML parses server-sanitized HTML inertly and drops anything that could run, in
  // case the server's policy ever fails: on* attributes, scripts, non-web URLs.
  function safeHTML(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    var all = t.content.querySelectorAll("*");
    for (var i = 0; i < all.length; i++) {
      var n = all[i], tag = n.localName;
      if (/^(script|style|iframe|object|embed|link|meta|base|form|svg|math|template)$/.test(tag)) { n.remove(); continue; }
      for (var j = n.attributes.length - 1; j >= 0; j--) {
        var a = n.attributes[j], name = a.name.toLowerCase();
        if (name.slice(0, 2) === "on" || name === "style" || name === "srcset" ||
            (/^(href|src|action|formaction|xlink:href|background|poster)$/.test(name) && !/^(https?:|mailto:|#|\/[^\/])/i.test(a.value.trim())))
          n.removeAttribute(a.name);
      }
    }
    return t.content;
  }
  function len(s) { return Array.from(s).length; }
  function hasControl(s, multi) {
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if ((c === 10 || c === 9) && multi) continue;
      if (c < 32 || (c >= 127 && c < 160)) return true;
    }
    return false;
  }

  // pageIsDark reports whether the page shows host on a dark background: the first
  // element from host outwards with a mostly opaque background colour decides (none:
  // the canvas, white). Relative luminance below 0.2 is dark (#777 is about 0.18).
  function pageIsDark(host) {
    for (var n = host; n && n.nodeType === 1; n = n.parentElement) {
      var c = getComputedStyle(n).backgroundColor, m = /^rgba?\(/.test(c) && c.match(/[\d.]+/g);
      if (m && (m.length < 4 || +m[3] > 0.5)) {
        var lin = function (v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * lin(+m[0]) + 0.7152 * lin(+m[1]) + 0.0722 * lin(+m[2]) < 0.2;
      }
    }
    return false;
  }

  // followPage gives the widget the host page's light or dark look (the default theme),
  // and follows the page when it switches: a class or style on <html> or <body>, or the
  // system's scheme for a page that follows that.
  function followPage(host, root) {
    var set = function () { var dark = pageIsDark(host); root.classList.toggle("wn-dark", dark); root.classList.toggle("wn-light", !dark); };
    set();
    var mq = window.matchMedia && matchMedia("(prefers-color-scheme: dark)");
    if (mq && mq.addEventListener) mq.addEventListener("change", set);
    if (window.MutationObserver) {
      var mo = new MutationObserver(set), opts = { attributes: true, attributeFilter: ["class", "style", "data-theme"] };
      mo.observe(document.documentElement, opts);
      if (document.body) mo.observe(document.body, opts);
    }
  }

  function Widget(host) {
    var d = host.dataset, w = this;
    w.site = d.site; w.thread = d.thread;
    w.title = d.title || document.title;
    w.url = webURL(d.url || pageURL());
    w.sort = d.sort === "newest" ? "newest" : "oldest";
    w.api = BASE + "/api/v1/sites/" + encodeURIComponent(w.site);
    w.pendingKey = "winnow:own:" + w.site;
    w.seen = {}; w.nodes = {}; w.busy = false; w.attempt = null; w.parent = 0;
    var root = host.attachShadow({ mode: "open" });
    try { var sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); root.adoptedStyleSheets = [sheet]; }
    catch (e) { root.appendChild(el("style", { text: CSS })); }
    // The thread is asked for while another language's messages load.
    w.first = w.getThread(null);
    w.first.catch(function () { /* fetchThread reports it */ });
    catalog(pickLang(d), function (t, lang) {
      w.t = t; w.lang = lang; w.plural = new Intl.PluralRules(lang);
      w.root = el("section", { cls: "wn", lang: lang, dir: t.dir, "aria-label": t.comment });
      root.appendChild(w.root);
      if (/^(light|dark|auto)$/.test(d.theme)) w.root.classList.add("wn-" + d.theme);
      else followPage(host, w.root);
      w.build();
      w.fetchThread(null);
    });
  }

  // n says a counted message for n in the plural form the language's CLDR rules give
  // it (Intl.PluralRules); "=0" is for exactly none.
  Widget.prototype.n = function (key, n) {
    var m = this.t[key], s = typeof m === "string" ? m : m["=" + n] || m[this.plural.select(n)] || m.other;
    return fmt(s, { n: n });
  };

  Widget.prototype.build = function () {
    var w = this, t = w.t;
    w.heading = el("h2", { cls: "wn-count", text: t.loading });
    w.sortOld = el("button", { type: "button", cls: "wn-sort", onclick: function () { w.setSort("oldest"); } }, [t.oldest]);
    w.sortNew = el("button", { type: "button", cls: "wn-sort", onclick: function () { w.setSort("newest"); } }, [t.newest]);
    w.status = el("p", { cls: "wn-status", role: "status", "aria-live": "polite" });
    w.list = el("ol", { cls: "wn-list" });
    w.more = el("button", { type: "button", cls: "wn-more", hidden: true, onclick: function () { w.fetchThread(w.cursor); } }, [t.more]);
    w.root.append(w.heading, el("div", { cls: "wn-bar", role: "group", "aria-label": t.sort }, [w.sortOld, w.sortNew]),
      w.list, w.more, w.buildForm(), w.status);
    w.markSort();
  };

  Widget.prototype.field = function (name, label, input, required, hint) {
    var id = "wn-" + name, err = el("span", { cls: "wn-error", id: id + "-error" });
    input.id = id; input.name = name;
    input.setAttribute("aria-describedby", (hint ? id + "-hint " : "") + id + "-error");
    if (required) input.setAttribute("aria-required", "true");
    this.inputs[name] = input; this.errors[name] = err;
    return el("p", { cls: "wn-field wn-f-" + name }, [
      el("label", { "for": id }, [label, required ? el("span", { cls: "wn-req", "aria-hidden": "true", text: " *" }) : null]),
      input, hint ? el("span", { cls: "wn-hint", id: id + "-hint", text: hint }) : null, err]);
  };

  Widget.prototype.buildForm = function () {
    var w = this, t = w.t;
    w.inputs = {}; w.errors = {};
    var saved = load("winnow:author") || {};
    w.formTitle = el("h3", { cls: "wn-form-title", id: "wn-form-title", text: t.leave });
    w.cancelReply = el("button", { type: "button", cls: "wn-link", hidden: true, onclick: function () { w.setParent(0); } }, [t.cancel]);
    w.save = el("input", { type: "checkbox", id: "wn-save", checked: !!saved.name });
    // Shown once the server says it sends mail (the form token's answer).
    w.notify = el("input", { type: "checkbox", id: "wn-notify" });
    w.notifyRow = el("p", { cls: "wn-field wn-check", hidden: true }, [w.notify, el("label", { "for": "wn-notify", text: t.notify })]);
    w.submitBtn = el("button", { type: "submit", cls: "wn-submit" }, [t.post]);
    // The decoy is named "website" like a real field; people never see it, bots fill it.
    var trap = el("p", { cls: "wn-hp", "aria-hidden": "true" }, [el("label", { "for": "wn-website", text: "Website" }),
      el("input", { type: "text", id: "wn-website", name: "website", tabindex: "-1", autocomplete: "off" })]);
    w.form = el("form", { cls: "wn-form", novalidate: true, "aria-labelledby": "wn-form-title", onsubmit: function (e) { e.preventDefault(); w.submit(); } }, [
      w.formTitle, w.cancelReply,
      el("p", { cls: "wn-note", text: t.note }),
      w.field("body", t.comment, el("textarea", { rows: "6", maxlength: "10000", required: true }), true, t.format),
      w.field("author_name", t.name, el("input", { type: "text", autocomplete: "name", maxlength: "100", required: true, value: saved.name || "" }), true),
      w.field("author_email", t.email, el("input", { type: "email", autocomplete: "email", maxlength: "254", required: true, value: saved.email || "" }), true),
      w.field("author_url", t.website, el("input", { type: "text", inputmode: "url", autocomplete: "url", spellcheck: "false", maxlength: "2048", value: saved.url || "" }), false),
      trap,
      el("p", { cls: "wn-field wn-check" }, [w.save, el("label", { "for": "wn-save", text: t.save })]),
      w.notifyRow,
      el("p", {}, [w.submitBtn])]);
    w.formHome = el("div", { cls: "wn-form-home" }, [w.form]);
    return w.formHome;
  };

  Widget.prototype.say = function (msg) { this.status.textContent = ""; this.status.textContent = msg; };

  Widget.prototype.setSort = function (s) {
    if (s === this.sort) return;
    this.sort = s; this.markSort(); this.list.textContent = ""; this.nodes = {}; this.seen = {};
    this.fetchThread(null);
  };
  Widget.prototype.markSort = function () {
    this.sortOld.setAttribute("aria-pressed", this.sort === "oldest");
    this.sortNew.setAttribute("aria-pressed", this.sort === "newest");
  };

  Widget.prototype.getThread = function (cursor) {
    var q = "?thread=" + encodeURIComponent(this.thread) + "&sort=" + this.sort + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    // no-cache: the browser asks every time, with its ETag (a 304 when nothing
    // changed), rather than showing a copy the answer's stale-while-revalidate (meant
    // for CDNs) would let it show once more: a reader who reloads sees the thread now.
    // (The browser adds Cache-Control: max-age=0, which CDNs commonly ignore.)
    return fetch(this.api + "/comments" + q, { credentials: "omit", cache: "no-cache" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  };

  Widget.prototype.fetchThread = function (cursor) {
    var w = this, first = !cursor && w.first;
    w.first = null;
    w.more.disabled = true;
    (first || w.getThread(cursor)).then(function (page) {
      w.count = page.thread.count;
      w.showCount();
      page.comments.forEach(function (c) { w.addComment(c, w.list, 1, false); });
      w.cursor = page.next_cursor || null;
      w.more.hidden = !w.cursor; w.more.disabled = false;
      w.showOwn(!w.cursor);
      if (cursor) w.say(w.n("loaded", page.comments.length));
      if (!w.token) w.fetchToken();
      // The dashboard's snippet names this example key: left as it is, every page
      // would share one thread.
      if (!cursor) w.report(w.thread === "/path/of/the/page" ? "data-thread is still the snippet's example /path/of/the/page: give each page its own key" : "");
    }).catch(function (e) {
      w.heading.textContent = w.t.loadFailed; w.more.disabled = false;
      w.report("thread did not load: " + (e && e.message || e));
    });
  };

  // report tells winnow that the widget runs on this page (its address without query,
  // this build, an error if it met one), at most once a day per browser (an error once
  // an hour), for the installation panel of the site's owner. Nothing about the reader.
  // sendBeacon with a text body needs no preflight and never delays the page.
  Widget.prototype.report = function (error) {
    var key = "winnow:report:" + this.site + (error ? ":error" : ""), now = Date.now();
    try {
      if (+localStorage.getItem(key) > now - (error ? 36e5 : 864e5)) return;
      localStorage.setItem(key, String(now));
    } catch (e) { /* no storage: report this load anyway */ }
    var body = JSON.stringify({ page: location.origin + location.pathname, version: VERSION, error: String(error).slice(0, 200) });
    try { if (navigator.sendBeacon) navigator.sendBeacon(this.api + "/widget-reports", body); } catch (e) { /* best effort */ }
  };

  Widget.prototype.fetchToken = function () {
    var w = this;
    w.token = "…";
    fetch(w.api + "/form?thread=" + encodeURIComponent(w.thread), { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (f) { w.token = f.form_token || ""; if (f.notify_replies) w.notifyRow.hidden = false; }, function () { w.token = ""; });
  };

  Widget.prototype.showCount = function () {
    this.heading.textContent = this.n("comments", this.count);
  };

  Widget.prototype.when = function (iso) {
    var d = new Date(iso), s = (d.getTime() - Date.now()) / 1000, rtf = new Intl.RelativeTimeFormat(this.lang, { numeric: "auto" });
    var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
    var txt = rtf.format(Math.round(s), "second");
    for (var i = 0; i < units.length; i++) if (Math.abs(s) >= units[i][1]) { txt = rtf.format(Math.trunc(s / units[i][1]), units[i][0]); break; }
    return el("time", { datetime: d.toISOString(), title: d.toLocaleString(this.lang), text: txt });
  };

  // addComment renders c (and its replies) into list at depth; own marks the author's view.
  Widget.prototype.addComment = function (c, list, depth, first) {
    var w = this, t = w.t;
    if (w.nodes[c.id]) return w.nodes[c.id];
    w.seen[c.id] = true;
    var url = webURL(c.author_url || ""), avatar = webURL(c.avatar_url || "");
    // dir=auto: a name or a comment reads in its own direction whatever the widget's.
    var name = url ? el("a", { href: url, rel: "nofollow ugc noopener", cls: "wn-author", dir: "auto", text: c.author_name })
      : el("span", { cls: "wn-author", dir: "auto", text: c.author_name });
    var body = el("div", { cls: "wn-body", dir: "auto" });
    body.appendChild(safeHTML(c.body_html || ""));
    var actions = el("p", { cls: "wn-actions" }, [el("button", { type: "button", cls: "wn-link wn-reply", onclick: function () { w.setParent(c.id, c.author_name, li); } }, [t.reply])]);
    var art = el("article", { cls: "wn-comment", id: "winnow-comment-" + c.id, tabindex: "-1" }, [
      el("header", {}, [avatar ? el("img", { src: avatar, alt: "", width: "40", height: "40", cls: "wn-avatar", loading: "lazy" }) : null,
        name, " ", w.when(c.published_at || c.created_at)]), body, actions]);
    var li = el("li", { cls: "wn-item", "data-id": c.id }, [art]);
    li.wnBody = body; li.wnActions = actions; li.wnDepth = depth;
    li.wnReplies = depth < MAX_DEPTH ? el("ol", { cls: "wn-list wn-replies" }) : list;
    if (depth < MAX_DEPTH) li.appendChild(li.wnReplies);
    if (first) list.insertBefore(li, list.firstChild); else list.appendChild(li);
    w.nodes[c.id] = li;
    (c.replies || []).forEach(function (r) { w.addComment(r, li.wnReplies, depth + 1, false); });
    w.ownControls(c.id);
    return li;
  };

  // own: the author's submissions in this browser, with edit tokens, by comment id.
  Widget.prototype.own = function () {
    var all = load(this.pendingKey) || {}, now = Date.now(), changed = false;
    for (var id in all) {
      if (now - all[id].at > KEEP_PENDING || (all[id].published && now - all[id].at > EDIT_WINDOW)) { delete all[id]; changed = true; }
      // A held comment stays to be shown to its author; its edit token is useless
      // once the window has closed, so it is not kept.
      else if (all[id].token && now - all[id].at > EDIT_WINDOW) { delete all[id].token; changed = true; }
    }
    if (changed) store(this.pendingKey, all);
    return all;
  };

  // showOwn shows the author's held comments that the thread does not list; a comment
  // the thread lists is published. done says the whole thread has been read.
  Widget.prototype.showOwn = function (done) {
    var w = this, all = w.own();
    for (var id in all) {
      var o = all[id];
      if (o.thread !== w.thread) continue;
      if (w.seen[id]) { o.published = true; continue; }
      if (!done) continue;
      var parent = w.nodes[o.comment.parent_id];
      var li = w.addComment(o.comment, parent ? parent.wnReplies : w.list, parent ? parent.wnDepth + 1 : 1, !parent && w.sort === "newest");
      w.seen[id] = false; w.markPending(li);
    }
    store(w.pendingKey, all);
  };

  Widget.prototype.markPending = function (li) {
    li.classList.add("wn-pending");
    if (!li.querySelector(".wn-awaiting")) li.firstChild.insertBefore(el("p", { cls: "wn-awaiting", text: this.t.awaiting }), li.wnBody);
    var r = li.querySelector(".wn-reply"); if (r) r.remove();
  };

  Widget.prototype.ownControls = function (id) {
    var w = this, o = w.own()[id], li = w.nodes[id];
    if (!o || !li || Date.now() - o.at > EDIT_WINDOW || li.querySelector(".wn-edit")) return;
    var del = el("button", { type: "button", cls: "wn-link wn-delete", onclick: function () {
      if (!del.wnArmed) { del.wnArmed = true; del.textContent = w.t.reallyDel; return; }
      w.remove(id);
    } }, [w.t.del]);
    li.wnActions.append(el("button", { type: "button", cls: "wn-link wn-edit", onclick: function () { w.edit(id); } }, [w.t.edit]), del);
  };

  Widget.prototype.request = function (method, url, headers, body) {
    return fetch(url, { method: method, headers: headers, body: body, credentials: "omit" }).then(function (r) {
      if (r.status === 204) return { status: 204, data: {} };
      return r.json().then(function (data) { return { status: r.status, data: data, retry: r.headers.get("Retry-After") }; },
        function () { return { status: r.status, data: {} }; });
    });
  };

  Widget.prototype.edit = function (id) {
    var w = this, li = w.nodes[id], all = w.own(), o = all[id];
    if (!o || li.querySelector(".wn-editor")) return;
    var ta = el("textarea", { rows: "5", "aria-label": w.t.comment, cls: "wn-editor-text", "aria-describedby": "wn-edit-hint-" + id });
    ta.value = o.body || "";
    var err = el("span", { cls: "wn-error", role: "alert" });
    var hint = el("span", { cls: "wn-hint", id: "wn-edit-hint-" + id, text: w.t.format });
    var box = el("div", { cls: "wn-editor" }, [ta, hint, err, el("p", {}, [
      el("button", { type: "button", cls: "wn-save-edit", onclick: save }, [w.t.saveEdit]), " ",
      el("button", { type: "button", cls: "wn-link", onclick: close }, [w.t.cancelEdit])])]);
    li.wnBody.hidden = true;
    li.firstChild.insertBefore(box, li.wnActions);
    ta.focus();
    function close() { box.remove(); li.wnBody.hidden = false; li.querySelector(".wn-edit").focus(); }
    function save() {
      var v = ta.value.trim();
      if (!v) { err.textContent = w.t.required; ta.focus(); return; }
      w.request("PATCH", BASE + "/api/v1/comments/" + id, { "Content-Type": "application/json", "X-Edit-Token": o.token }, JSON.stringify({ body: v }))
        .then(function (r) {
          if (r.status === 200) {
            li.wnBody.textContent = ""; li.wnBody.appendChild(safeHTML(r.data.comment.body_html));
            all = w.own(); if (all[id]) { all[id].body = v; all[id].comment.body_html = r.data.comment.body_html; }
            if (r.data.status !== "approved") { w.markPending(li); if (all[id]) all[id].published = false; }
            store(w.pendingKey, all); close(); w.say(w.t.edited);
          } else if (r.status === 403) { err.textContent = w.t.closed; li.querySelectorAll(".wn-edit,.wn-delete").forEach(function (b) { b.remove(); }); }
          else err.textContent = w.errorText(r);
        }, function () { err.textContent = w.t.failed; });
    }
  };

  Widget.prototype.remove = function (id) {
    var w = this, o = w.own()[id];
    w.request("DELETE", BASE + "/api/v1/comments/" + id, { "X-Edit-Token": o.token }).then(function (r) {
      if (r.status === 204 || r.status === 404) {
        var all = w.own(); delete all[id]; store(w.pendingKey, all);
        var li = w.nodes[id]; delete w.nodes[id];
        if (li) li.remove();
        if (w.seen[id]) { w.count--; w.showCount(); }
        w.say(w.t.deleted); w.heading.setAttribute("tabindex", "-1"); w.heading.focus();
      } else w.say(r.status === 403 ? w.t.closed : w.errorText(r));
    }, function () { w.say(w.t.failed); });
  };

  // setParent moves the form under the comment being answered, or home.
  Widget.prototype.setParent = function (id, name, li) {
    var w = this, was = w.parent;
    w.parent = id;
    w.cancelReply.hidden = !id;
    w.formTitle.textContent = id ? fmt(w.t.replyTo, { name: name }) : w.t.leave;
    if (id) { li.firstChild.appendChild(w.form); w.inputs.body.focus(); }
    else {
      w.formHome.appendChild(w.form);
      var back = w.nodes[was] && w.nodes[was].querySelector(".wn-reply");
      if (back) back.focus();
    }
  };

  Widget.prototype.values = function () {
    var v = {};
    for (var k in this.inputs) v[k] = this.inputs[k].value.trim();
    if (v.author_url) v.author_url = withScheme(v.author_url);
    return v;
  };

  // check mirrors the server's validation (comment.Submission.Validate).
  Widget.prototype.check = function (v) {
    var w = this, t = w.t, e = {};
    [["author_name", 100, 1], ["author_email", 254, 1], ["author_url", 2048, 0], ["body", 10000, 1]].forEach(function (f) {
      var s = v[f[0]];
      if (!s) { if (f[2]) e[f[0]] = t.required; }
      else if (len(s) > f[1]) e[f[0]] = w.n("tooLong", f[1]);
      else if (hasControl(s, f[0] === "body")) e[f[0]] = t.control;
    });
    if (!e.author_email && !/^[^\s@<>()\[\],;:\\"]+@[^\s@<>()\[\],;:\\"]+\.[^\s@<>()\[\],;:\\".]+$/.test(v.author_email)) e.author_email = t.badEmail;
    if (!e.author_url && v.author_url && !webURL(v.author_url)) e.author_url = t.badURL;
    return e;
  };

  Widget.prototype.showErrors = function (errs) {
    var first = null;
    for (var k in this.inputs) {
      var bad = errs[k];
      this.errors[k].textContent = bad || "";
      if (bad) { this.inputs[k].setAttribute("aria-invalid", "true"); first = first || this.inputs[k]; }
      else this.inputs[k].removeAttribute("aria-invalid");
    }
    return first;
  };

  // fieldText says a server's field error (comment.Submission.Validate's words, in
  // English and terse) as the form's own messages do, in the reader's language; a
  // message it does not know is shown as the server wrote it.
  Widget.prototype.fieldText = function (msg) {
    var t = this.t, m = /^at most (\d+) characters$/.exec(msg);
    if (m) return this.n("tooLong", +m[1]);
    if (/^must not contain text direction controls/.test(msg)) return t.bidi;
    return { "required": t.required, "must contain a visible character": t.invisible,
      "contains control characters": t.control, "must be valid UTF-8": t.control,
      "not a valid email address": t.badEmail, "must be an http or https URL": t.badURL }[msg] || msg;
  };

  Widget.prototype.errorText = function (r) {
    var t = this.t, labels = { body: t.comment, author_name: t.name, author_email: t.email, author_url: t.website };
    var wait = Math.max(1, Math.ceil(+r.retry || 60));
    if (r.status === 429) return wait < 120 ? this.n("rate", wait) : this.n("rateMinutes", Math.ceil(wait / 60));
    if (r.status === 409) return t.dup;
    if (r.data && r.data.error && r.data.error.fields) {
      var f = r.data.error.fields, out = [];
      for (var k in f) out.push((labels[k] || k) + ": " + this.fieldText(f[k]));
      return out.join(" ");
    }
    return t.failed;
  };

  Widget.prototype.submit = function () {
    var w = this, t = w.t;
    if (w.busy) return;
    var v = w.values(), first = w.showErrors(w.check(v));
    if (first) { w.say(t.fix); first.focus(); return; }
    var sub = { thread: w.thread, thread_title: w.title, author_name: v.author_name, author_email: v.author_email,
      author_url: v.author_url, body: v.body, parent_id: w.parent || 0, website: w.form.elements.website.value };
    if (w.url) sub.thread_url = w.url;
    if (!w.notifyRow.hidden && w.notify.checked) sub.notify_replies = true;
    var sig = JSON.stringify(sub);
    // The same submission retried keeps its key, so the server stores it once.
    if (!w.attempt || w.attempt.sig !== sig) w.attempt = { sig: sig, key: newKey() };
    sub.form_token = w.token && w.token !== "…" ? w.token : "";
    w.busy = true; w.submitBtn.disabled = true; w.submitBtn.textContent = t.posting; w.form.setAttribute("aria-busy", "true");
    w.say(t.posting);
    w.request("POST", w.api + "/comments", { "Content-Type": "application/json", "Idempotency-Key": w.attempt.key }, JSON.stringify(sub))
      .then(function (r) { w.done(r, v); }, function () { w.say(t.failed); })
      .then(function () { w.busy = false; w.submitBtn.disabled = false; w.submitBtn.textContent = t.post; w.form.removeAttribute("aria-busy"); });
  };

  Widget.prototype.done = function (r, v) {
    var w = this, t = w.t;
    if (r.status !== 201 && r.status !== 202) {
      var f = r.status === 422 && r.data.error && r.data.error.fields || {}, mine = {}, other = false;
      for (var k in f) if (w.inputs[k]) mine[k] = w.fieldText(f[k]); else other = true;
      var first = w.showErrors(mine);
      w.say(first && !other ? t.fix : w.errorText(r));
      if (first) first.focus();
      if (r.status < 500 && r.status !== 429) w.attempt = null;
      return;
    }
    w.attempt = null; w.token = null; w.fetchToken();
    var c = r.data.comment, all = w.own();
    if (w.save.checked) store("winnow:author", { name: v.author_name, email: v.author_email, url: v.author_url });
    else store("winnow:author");
    all[c.id] = { thread: w.thread, token: r.data.edit_token, at: Date.now(), body: v.body, comment: c, published: r.status === 201 };
    store(w.pendingKey, all);
    var parent = w.nodes[w.parent];
    w.setParent(0);
    var li = w.addComment(c, parent ? parent.wnReplies : w.list, parent ? parent.wnDepth + 1 : 1, !parent && w.sort === "newest");
    if (r.status === 201) { w.count++; w.showCount(); w.say(t.published); }
    else { w.seen[c.id] = false; w.markPending(li); w.say(t.held); }
    w.inputs.body.value = "";
    li.firstChild.focus();
  };

  function start() {
    var host = document.getElementById("winnow-thread");
    if (host && host.dataset.site && host.dataset.thread && !host.shadowRoot) new Widget(host);
    else if (host && !host.shadowRoot) console.warn("winnow: #winnow-thread needs data-site and data-thread (the page's key), as the site's page in the dashboard shows");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
