// winnow's moderator dashboard: sign-in, the queue's actions, keyboard and polling, and
// the forms of the sites' settings, webhooks, accounts and the audit log.
// The pages are rendered by the server; this file only talks to the JSON API with the
// session cookie and the CSRF token, and reloads the list from the server.
(() => {
  "use strict";
  const $ = (sel, root = document) => root.querySelector(sel);
  // signInAgain goes to the sign-in page when the session has ended, which brings the
  // browser back to this page afterwards.
  const signInAgain = () => location.assign("/admin/login?next=" + encodeURIComponent(location.pathname + location.search));

  // after says when the server's Retry-After lets the next sign-in through.
  const after = (res, otherwise) => {
    const s = parseInt(res.headers.get("Retry-After"), 10);
    if (!(s > 0)) return otherwise;
    if (s <= 90) return "in " + s + (s === 1 ? " second" : " seconds");
    return "in " + Math.ceil(s / 60) + " minutes";
  };

  function loginPage() {
    const form = $("#login"), err = $("#error");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      err.hidden = true;
      const button = $("button", form);
      button.disabled = true;
      try {
        const res = await fetch("/api/v1/auth/login", {
          method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email: form.elements.email.value, password: form.elements.password.value }),
        });
        if (res.ok) {
          // The server checked data-next is a dashboard path.
          location.assign(document.body.dataset.next || "/admin/");
          return;
        }
        err.textContent = res.status === 401 ? "Wrong email or password."
          : res.status === 429 ? "Too many sign-in attempts. Try again " + after(res, "in a minute") + "."
          : res.status === 503 ? "winnow is busy checking passwords. Try again " + after(res, "in a few seconds") + "."
          : res.status === 422 ? "Enter your email and password." : "Sign-in failed (" + res.status + ").";
      } catch (_) {
        err.textContent = "winnow cannot be reached. Try again.";
      } finally {
        button.disabled = false;
      }
      err.hidden = false;
    });
  }

  function queuePage() {
    const csrf = $('meta[name="csrf-token"]').content;
    const filter = document.body.dataset.status || "pending";
    const list = $("#queue"), statusLine = $("#status"), help = $("#help");
    const selected = new Set();
    let currentID = null, inFlight = 0, generation = 0, lastAction = null;
    const undoButton = $("#undo");

    const say = (msg, bad) => { statusLine.textContent = msg; statusLine.classList.toggle("bad", !!bad); };
    const rows = () => Array.from(list.querySelectorAll("li.comment"));
    const row = (id) => document.getElementById("c" + id);
    const current = () => (currentID && row(currentID)) || null;

    async function api(method, path, body) {
      const init = { method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      const res = await fetch(path, init);
      if (res.status === 401) {
        signInAgain();
        throw new Error("Signed out.");
      }
      let data = null;
      try { data = await res.json(); } catch (_) { /* 204 */ }
      if (!res.ok) {
        const err = (data && data.error) || {}, fields = Object.entries(err.fields || {});
        // A refused field says what was wrong with it ("The text: must contain a
        // visible character"), not only that some field was.
        if (fields.length) throw new Error(fields.map(([k, v]) => (k === "body" ? "The text" : k) + ": " + v).join("; "));
        throw new Error(err.message || "Failed (" + res.status + ").");
      }
      return data;
    }

    // setCurrent marks li as the comment the keys act on, scrolled into view unless
    // quiet (the first mark on load leaves the filters in sight).
    function setCurrent(li, quiet) {
      for (const r of list.querySelectorAll("li.current")) r.classList.remove("current");
      currentID = li ? li.dataset.id : null;
      if (li) {
        li.classList.add("current");
        if (!quiet) li.scrollIntoView({ block: "nearest" });
      }
    }

    // move goes d rows down (up when negative) among the rows no action is pending on.
    function move(d) {
      const rs = rows().filter((r) => !r.classList.contains("busy"));
      if (rs.length === 0) return setCurrent(null);
      const i = rs.indexOf(current());
      setCurrent(rs[i < 0 ? 0 : Math.max(0, Math.min(rs.length - 1, i + d))]);
    }

    function syncSelection() {
      const rs = rows();
      for (const r of rs) {
        const on = selected.has(r.dataset.id);
        $("input.select", r).checked = on;
        r.classList.toggle("selected", on);
      }
      const count = $("#selected-count");
      count.textContent = (count.dataset.template || "{n} selected").replace("{n}", selected.size);
      $("#select-all").checked = rs.length > 0 && rs.every((r) => selected.has(r.dataset.id));
    }

    function toggle(id, on) {
      if (on === undefined ? !selected.has(id) : on) selected.add(id); else selected.delete(id);
      syncSelection();
    }

    // show puts a comment's new status on its row, or takes the row away when it no
    // longer belongs to the list being shown.
    function show(c) {
      const li = row(c.id);
      if (!li) return;
      li.classList.remove("busy");
      if (filter !== "all" && c.status !== filter) {
        selected.delete(String(c.id));
        li.remove();
        return;
      }
      li.dataset.status = c.status;
      const badge = $(".badge", li);
      // The status filter's options say each status in the page's language.
      const opt = document.querySelector('select[name="status"] option[value="' + c.status + '"]');
      badge.textContent = opt ? opt.textContent : c.status;
      badge.className = "badge status-" + c.status;
    }

    const done = { approve: "Approved", reject: "Rejected", spam: "Marked as spam", "not-spam": "Marked as not spam", delete: "Deleted" };

    async function act(ids, action) {
      ids = ids.filter((id) => row(id) && !row(id).classList.contains("busy"));
      if (ids.length === 0) return;
      generation++;
      inFlight++;
      const lis = ids.map(row);
      if (filter !== "all" && lis.includes(current())) {
        // The cursor moves on at once, so the next key acts on the next comment.
        const rs = rows().filter((r) => !r.classList.contains("busy") && !lis.includes(r));
        const after = rows().slice(rows().indexOf(current()) + 1).find((r) => rs.includes(r));
        setCurrent(after || rs[rs.length - 1] || null);
      }
      for (const li of lis) li.classList.add("busy");
      try {
        let data;
        if (ids.length > 1) {
          data = await api("POST", "/api/v1/admin/comments/bulk", { ids: ids.map(Number), action });
        } else if (action === "delete") {
          data = await api("DELETE", "/api/v1/admin/comments/" + ids[0]);
        } else {
          data = await api("POST", "/api/v1/admin/comments/" + ids[0] + "/" + action);
        }
        for (const c of data.comments) show(c);
        say(done[action] + ": " + ids.length + (ids.length === 1 ? " comment." : " comments.") + " (u undoes)");
        lastAction = { ids, action };
        undoButton.disabled = false;
      } catch (e) {
        for (const li of lis) li.classList.remove("busy");
        say(e.message, true);
      } finally {
        inFlight--;
        syncSelection();
        if (!current()) move(0);
        if (rows().length === 0 && !$("li.empty", list)) {
          const li = document.createElement("li");
          li.className = "empty";
          li.textContent = list.dataset.empty || "Nothing to moderate here.";
          list.append(li);
          // A full page cleared: what waited on the next page comes up.
          if (document.querySelector(".more a") && inFlight === 0) location.reload();
        }
      }
    }

    async function ban(id, kind) {
      const li = row(id);
      const period = li ? $("select.ban-period", li) : null;
      const duration = period ? period.value : "720h";
      const label = period ? period.selectedOptions[0].textContent : "30 days";
      try {
        const data = await api("POST", "/api/v1/admin/bans", { kind, comment_id: Number(id), duration, note: "from the queue" });
        if (li) {
          $(".bans", li).textContent = (($(".bans", li).textContent + " " + kind + " banned").trim());
          $("details.ban", li).open = false;
        }
        // The hint is masked (an IPv4 address shows as its /24), but the ban is on the exact
        // value: the address, or for IPv6 its network (http.ipv6_prefix, a /64).
        const what = { email: "the author's email", ip: "the author's address", domain: "the email domain" }[kind];
        say("Banned " + what + " (" + data.ban.hint + ") " + (duration ? "for " + label : "for ever") + ".");
      } catch (e) {
        say(e.message, true);
      }
    }

    // undo reverses the last action; the comments come back with the next read.
    async function undo() {
      if (!lastAction) return say("Nothing to undo.", true);
      const { ids } = lastAction;
      lastAction = null;
      undoButton.disabled = true;
      try {
        await api("POST", "/api/v1/admin/comments/undo", { ids: ids.map(Number) });
        say("Undone: " + ids.length + (ids.length === 1 ? " comment." : " comments."));
        await refresh();
        if (ids.length === 1 && row(ids[0])) setCurrent(row(ids[0]));
      } catch (e) {
        say(e.message, true);
      }
    }

    // compose opens a text box under a comment's text; save gets the text and returns
    // a promise; the box closes when it resolves.
    function compose(li, kind, text, label, save) {
      const open = $(".composer", li);
      if (open) open.remove();
      const form = document.createElement("form");
      form.className = "composer " + kind;
      const area = document.createElement("textarea");
      area.value = text;
      area.rows = Math.min(12, Math.max(4, text.split("\n").length + 1));
      area.maxLength = 10000;
      area.setAttribute("aria-label", kind === "reply" ? "Your reply" : "The comment's text");
      const ok = document.createElement("button");
      ok.type = "submit";
      ok.className = "primary";
      ok.textContent = label;
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.textContent = "Cancel";
      const err = document.createElement("span");
      err.className = "error";
      form.append(area, ok, cancel, err);
      $(".actions", li).before(form);
      area.focus();
      cancel.addEventListener("click", () => form.remove());
      form.addEventListener("keydown", (e) => {
        if (e.key === "Escape") { e.stopPropagation(); form.remove(); }
      });
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        ok.disabled = true;
        err.textContent = "";
        try {
          await save(area.value);
          form.remove();
        } catch (x) {
          err.textContent = x.message;
        } finally {
          ok.disabled = false;
        }
      });
    }

    async function edit(id) {
      const li = row(id);
      if (!li) return;
      try {
        const data = await api("GET", "/api/v1/admin/comments/" + id);
        compose(li, "edit", data.comment.body_source, "Save", async (text) => {
          const res = await api("PATCH", "/api/v1/admin/comments/" + id, { body: text });
          replaceBody(li, res.comment.body_html);
          say("Edited comment " + id + ".");
        });
      } catch (e) {
        say(e.message, true);
      }
    }

    // replaceBody shows a comment's new sanitized HTML, parsed inertly first.
    function replaceBody(li, html) {
      const doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
      $(".body", li).replaceChildren(...Array.from(doc.body.firstChild.childNodes, (n) => document.importNode(n, true)));
    }

    function reply(id) {
      const li = row(id);
      if (!li) return;
      compose(li, "reply", "", "Publish reply", async (text) => {
        if (li.dataset.status !== "approved") {
          const data = await api("POST", "/api/v1/admin/comments/" + id + "/approve");
          for (const c of data.comments) show(c);
        }
        await api("POST", "/api/v1/admin/comments/" + id + "/reply", { body: text });
        say("Reply published under comment " + id + ".");
      });
    }

    // refresh reads the list again from the server, keeping the selection and the
    // cursor; an answer that an action overtook is dropped.
    async function refresh() {
      // An open editor or reply box is the moderator's work in progress: the list waits.
      if (inFlight > 0 || list.querySelector(".composer")) return;
      const gen = generation;
      try {
        const res = await fetch(location.pathname + location.search, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (res.redirected && new URL(res.url).pathname === "/admin/login") {
          signInAgain();
          return;
        }
        if (!res.ok) return;
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        const fresh = doc.getElementById("queue");
        if (!fresh || gen !== generation || inFlight > 0 || list.querySelector(".composer")) return;
        list.replaceChildren(...Array.from(fresh.childNodes, (n) => document.importNode(n, true)));
        const present = new Set(rows().map((r) => r.dataset.id));
        for (const id of Array.from(selected)) if (!present.has(id)) selected.delete(id);
        syncSelection();
        if (current()) setCurrent(current()); else move(0);
      } catch (_) {
        // offline for a moment: the next poll tries again
      }
    }

    const showHelp = (on) => {
      help.hidden = !on;
      if (on) $("#help-close").focus();
    };

    list.addEventListener("click", (e) => {
      const li = e.target.closest("li.comment");
      if (!li) return;
      const b = e.target.closest("button");
      if (b && b.dataset.action) act([li.dataset.id], b.dataset.action);
      else if (b && b.dataset.ban) ban(li.dataset.id, b.dataset.ban);
      else if (b && "edit" in b.dataset) edit(li.dataset.id);
      else if (b && "reply" in b.dataset) reply(li.dataset.id);
      if (!e.target.closest("a")) setCurrent(li);
    });
    list.addEventListener("change", (e) => {
      if (e.target.matches("input.select")) toggle(e.target.closest("li.comment").dataset.id, e.target.checked);
    });
    $("#select-all").addEventListener("change", (e) => {
      for (const r of rows()) if (e.target.checked) selected.add(r.dataset.id); else selected.delete(r.dataset.id);
      syncSelection();
    });
    for (const b of document.querySelectorAll("[data-bulk]")) {
      b.addEventListener("click", () => {
        if (selected.size === 0) return say("Select comments first (x, or the checkboxes).", true);
        act(Array.from(selected), b.dataset.bulk);
      });
    }
    $("#refresh").addEventListener("click", refresh);
    undoButton.addEventListener("click", undo);
    $("#help-button").addEventListener("click", () => showHelp(help.hidden));
    $("#help-close").addEventListener("click", () => showHelp(false));
    help.addEventListener("click", (e) => { if (e.target === help) showHelp(false); });
    $("#logout").addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await api("POST", "/api/v1/auth/logout"); } catch (_) { /* signed out either way */ }
      location.assign("/admin/login");
    });

    document.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "Escape") {
        if (!help.hidden) showHelp(false);
        else if (e.target.blur) e.target.blur();
        return;
      }
      if (e.target.closest && e.target.closest("input:not([type=checkbox]), textarea, select")) return;
      if (!help.hidden && e.key !== "?") return;
      const c = current();
      const keys = {
        j: () => move(1), k: () => move(-1),
        a: () => c && act([c.dataset.id], "approve"), r: () => c && act([c.dataset.id], "reject"),
        s: () => c && act([c.dataset.id], "spam"), n: () => c && act([c.dataset.id], "not-spam"),
        x: () => c && toggle(c.dataset.id),
        e: () => c && edit(c.dataset.id),
        u: () => undo(),
        "?": () => showHelp(help.hidden),
        "/": () => $('input[name="q"]').focus(),
      };
      const f = keys[e.key];
      if (!f) return;
      e.preventDefault();
      f();
    });

    setCurrent(rows()[0] || null, true);
    syncSelection();
    setInterval(refresh, Number(document.body.dataset.poll) || 15000);
  }

  // The settings and audit pages: forms that call the JSON API and show its answers.

  // send calls the JSON API with the session cookie and the CSRF token, and returns the
  // answer without throwing on a refusal, so that a form can show the fields named.
  async function send(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { "X-CSRF-Token": $('meta[name="csrf-token"]').content } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (_) {
      return { ok: false, status: 0, data: null, fields: {}, message: "winnow cannot be reached. Try again." };
    }
    if (res.status === 401) signInAgain();
    let data = null;
    try { data = await res.json(); } catch (_) { /* 204 */ }
    const err = (data && data.error) || {};
    return { ok: res.ok, status: res.status, data, fields: err.fields || {}, message: err.message || "Failed (" + res.status + ")." };
  }

  const say = (el, msg, bad) => { el.textContent = msg; el.classList.toggle("bad", !!bad); };

  function clearErrors(form) {
    for (const el of form.querySelectorAll(".field-error")) { el.textContent = ""; el.hidden = true; }
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  // showErrors puts each field's problem next to the field it names; the rest, and a
  // summary, go to the status line.
  function showErrors(form, res, statusEl) {
    const loose = [];
    for (const [field, msg] of Object.entries(res.fields)) {
      const el = form.querySelector('[data-error-for="' + CSS.escape(field) + '"]');
      if (!el) { loose.push(field + ": " + msg); continue; }
      el.textContent = msg;
      el.hidden = false;
      const holder = el.closest(".field, .limit, fieldset");
      for (const input of holder ? holder.querySelectorAll("input:not([type=checkbox]), textarea, select") : []) input.setAttribute("aria-invalid", "true");
    }
    const first = form.querySelector(".field-error:not([hidden])");
    if (first) first.closest(".field, .limit, fieldset").scrollIntoView({ block: "center" });
    say(statusEl, loose.length ? loose.join(" ") : Object.keys(res.fields).length ? "Not saved: see the marked fields." : res.message, true);
  }

  const lines = (text) => text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const shortPeriod = (p) => p.replace(/m0s$/, "m").replace(/h0m$/, "h");

  function logoutForm() {
    const form = $("#logout");
    if (!form) return;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      await send("POST", "/api/v1/auth/logout");
      location.assign("/admin/login");
    });
  }

  // sitesPage creates a site and opens its settings.
  function sitesPage() {
    const form = $("#site-create"), status = $("#form-status");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const id = form.elements.id.value.trim();
      const res = await send("POST", "/api/v1/admin/sites", { id, name: form.elements.name.value, origins: lines(form.elements.origins.value) });
      if (res.ok) return location.assign("/admin/sites/" + encodeURIComponent(res.data.site.id));
      if (res.status === 409) res.fields = { id: "a site with this id exists" };
      showErrors(form, res, status);
    });
  }

  // settingsPage saves a site's settings and manages its webhook endpoints.
  function settingsPage() {
    const form = $("#site-form"), status = $("#form-status"), site = form.dataset.site;
    $("#copy-snippet").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText($("#embed-snippet").textContent);
        say($("#copy-status"), "Copied.");
      } catch (e) {
        getSelection().selectAllChildren($("#embed-snippet"));
        say($("#copy-status"), "Selected: copy it with Ctrl+C or ⌘C.");
      }
    });
    const rateInputs = (div) => div.querySelectorAll(".rate input");
    for (const box of form.querySelectorAll(".use-default")) {
      box.addEventListener("change", () => { for (const i of rateInputs(box.closest(".limit"))) i.disabled = box.checked; });
    }
    const whole = (v) => /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    const cdnDefault = $("#f-cdn-default"), cdnInputs = () => form.querySelectorAll(".cdn .rate input");
    cdnDefault.addEventListener("change", () => { for (const i of cdnInputs()) i.disabled = cdnDefault.checked; });

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const el = form.elements, local = {};
      const body = { name: el.name.value, origins: lines(el.origins.value), policy: el.policy.value, spam_seed: el.spam_seed.value,
        scripts: [...form.querySelectorAll("input[name=scripts]:checked")].map((i) => i.value),
        max_links: whole(el.max_links.value), blocked_words: lines(el.blocked_words.value), rate_limits: {} };
      if (Number.isNaN(body.max_links)) local.max_links = "must be a whole number";
      for (const div of form.querySelectorAll(".limit")) {
        const scope = div.dataset.scope;
        if ($(".use-default", div).checked) {
          body.rate_limits[scope] = null; // back to the default
          continue;
        }
        const r = { count: whole(el["count_" + scope].value), period: el["period_" + scope].value.trim(), burst: whole(el["burst_" + scope].value) };
        if (Number.isNaN(r.count) || Number.isNaN(r.burst)) local["rate_limits." + scope] = "count and burst must be whole numbers";
        body.rate_limits[scope] = r;
      }
      body.cdn_cache = cdnDefault.checked ? null :
        { s_maxage: el.cdn_s_maxage.value.trim() || "0s", stale_while_revalidate: el.cdn_stale_while_revalidate.value.trim() || "0s" };
      if (Object.keys(local).length > 0) return showErrors(form, { fields: local }, status);
      const button = $("button[type=submit]", form);
      button.disabled = true;
      say(status, "Saving…");
      const res = await send("PATCH", "/api/v1/admin/sites/" + encodeURIComponent(site), body);
      button.disabled = false;
      if (!res.ok) return showErrors(form, res, status);
      // Show what is stored: origins and words come back normalized.
      const s = res.data.site;
      el.name.value = s.name;
      el.origins.value = s.origins.join("\n");
      el.max_links.value = s.max_links;
      el.spam_seed.value = s.spam_seed;
      for (const box of form.querySelectorAll("input[name=scripts]")) box.checked = s.scripts.includes(box.value);
      el.blocked_words.value = s.blocked_words.join("\n");
      cdnDefault.checked = !s.cdn_cache;
      el.cdn_s_maxage.value = s.cdn_cache ? s.cdn_cache.s_maxage : "";
      el.cdn_stale_while_revalidate.value = s.cdn_cache ? s.cdn_cache.stale_while_revalidate : "";
      for (const i of cdnInputs()) i.disabled = cdnDefault.checked;
      for (const [scope, r] of Object.entries(s.rate_limits)) {
        if (!el["count_" + scope]) continue;
        el["count_" + scope].value = r.count;
        el["period_" + scope].value = shortPeriod(r.period);
        el["burst_" + scope].value = r.burst;
      }
      $("h2", $("main")).textContent = s.name;
      say(status, "Saved.");
    });

    const hooks = $("#webhooks"), hookForm = $("#webhook-form"), hookStatus = $("#webhook-status");
    hookForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(hookForm);
      const events = Array.from(hookForm.querySelectorAll("input[name=events]:checked"), (i) => i.value);
      if (events.length === 0) return showErrors(hookForm, { fields: { events: "choose at least one event" } }, hookStatus);
      const res = await send("POST", "/api/v1/admin/webhooks", { site, url: hookForm.elements.url.value.trim(), description: hookForm.elements.description.value, events });
      if (!res.ok) return showErrors(hookForm, res, hookStatus);
      const w = res.data.webhook;
      $("#secret-value").textContent = w.secret;
      $("#secret").hidden = false;
      $("#secret").scrollIntoView({ block: "center" });
      hooks.append(webhookRow(site, w));
      const empty = $("li.empty", hooks);
      if (empty) empty.remove();
      hookForm.reset();
      say(hookStatus, "Endpoint added.");
    });
    // Remove asks twice: the first click arms the button for a few seconds.
    hooks.addEventListener("click", async (e) => {
      const b = e.target.closest("button[data-remove]");
      if (!b) return;
      if (!b.dataset.armed) {
        b.dataset.armed = "1";
        b.textContent = "Click again to remove";
        setTimeout(() => { delete b.dataset.armed; b.textContent = "Remove"; }, 4000);
        return;
      }
      b.disabled = true;
      const res = await send("DELETE", "/api/v1/admin/webhooks/" + b.dataset.remove);
      if (!res.ok) {
        b.disabled = false;
        return say(hookStatus, res.message, true);
      }
      b.closest("li").remove();
      say(hookStatus, "Endpoint removed.");
    });

    // The site's Akismet key: issued (shown once) or revoked; revoking asks twice.
    const akStatus = $("#akismet-status"), akIssue = $("#akismet-issue"), akRevoke = $("#akismet-revoke");
    const akPath = "/api/v1/admin/sites/" + encodeURIComponent(site) + "/akismet-key";
    akIssue.addEventListener("click", async () => {
      akIssue.disabled = true;
      const res = await send("POST", akPath);
      akIssue.disabled = false;
      if (!res.ok) return say(akStatus, res.message, true);
      $("#akismet-key-value").textContent = res.data.key;
      $("#akismet-key").hidden = false;
      $("#akismet-state").textContent = "A key was issued just now.";
      akIssue.textContent = "Issue a new key";
      akRevoke.hidden = false;
      say(akStatus, "Key issued.");
    });
    akRevoke.addEventListener("click", async () => {
      if (!akRevoke.dataset.armed) {
        akRevoke.dataset.armed = "1";
        akRevoke.textContent = "Click again to revoke";
        setTimeout(() => { delete akRevoke.dataset.armed; akRevoke.textContent = "Revoke the key"; }, 4000);
        return;
      }
      delete akRevoke.dataset.armed;
      akRevoke.textContent = "Revoke the key";
      const res = await send("DELETE", akPath);
      if (!res.ok && res.status !== 404) return say(akStatus, res.message, true);
      $("#akismet-key").hidden = true;
      $("#akismet-key-value").textContent = "";
      $("#akismet-state").textContent = "No key: Akismet clients are refused.";
      akIssue.textContent = "Issue a key";
      akRevoke.hidden = true;
      say(akStatus, "Key revoked.");
    });
  }

  // webhookRow builds an endpoint's row as the server renders it, from the API's answer.
  function webhookRow(site, w) {
    const el = (tag, cls, text) => {
      const n = document.createElement(tag);
      if (cls) n.className = cls;
      if (text !== undefined) n.textContent = text;
      return n;
    };
    const li = el("li", "row webhook");
    li.dataset.id = w.id;
    const main = el("div", "row-main");
    main.append(el("code", "url", w.url));
    const meta = el("div", "muted", w.events.join(", ") + (w.description ? " · " + w.description : "") + " · added just now");
    const actions = el("div", "actions");
    const log = el("a", "log", "Delivery log");
    log.href = "/admin/sites/" + encodeURIComponent(site) + "/webhooks/" + w.id;
    const remove = el("button", "danger", "Remove");
    remove.type = "button";
    remove.dataset.remove = w.id;
    actions.append(log, " ", remove);
    li.append(main, meta, actions);
    return li;
  }

  // reloadPart reads the page again and swaps in the part sel, such as a log that an
  // action added to.
  async function reloadPart(sel) {
    const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), "text/html").querySelector(sel);
    if (fresh) $(sel).replaceChildren(...Array.from(fresh.childNodes, (n) => document.importNode(n, true)));
  }

  // webhookPage pings an endpoint and redelivers entries of its log.
  function webhookPage() {
    const id = $("#endpoint").dataset.id, status = $("#form-status");
    $("#ping").addEventListener("click", async () => {
      const res = await send("POST", "/api/v1/admin/webhooks/" + id + "/ping");
      if (!res.ok) return say(status, res.message, true);
      say(status, "Ping queued as delivery #" + res.data.delivery.id + ".");
      await reloadPart("#deliveries");
    });
    $("#toggle").addEventListener("click", async () => {
      const disabled = $("#endpoint").dataset.disabled !== "true";
      const res = await send("PATCH", "/api/v1/admin/webhooks/" + id, { disabled });
      if (!res.ok) return say(status, res.message, true);
      location.reload();
    });
    $("#rotate").addEventListener("click", async () => {
      const res = await send("POST", "/api/v1/admin/webhooks/" + id + "/rotate");
      if (!res.ok) return say(status, res.message, true);
      $("#new-secret-value").textContent = res.data.webhook.secret;
      $("#new-secret").hidden = false;
      say(status, "Secret rotated.");
    });
    $("#deliveries").addEventListener("click", async (e) => {
      const b = e.target.closest("button[data-redeliver]");
      if (!b) return;
      b.disabled = true;
      const res = await send("POST", "/api/v1/admin/webhooks/" + id + "/deliveries/" + b.dataset.redeliver + "/redeliver");
      if (!res.ok) {
        b.disabled = false;
        return say(status, res.message, true);
      }
      say(status, "Delivery #" + b.dataset.redeliver + " queued again as #" + res.data.delivery.id + ".");
      await reloadPart("#deliveries");
    });
  }

  // usersPage adds accounts and changes them: role and sites, disabled, password. A
  // generated password is shown once; after a change the list is read again.
  function usersPage() {
    const form = $("#user-create"), status = $("#form-status"), users = $("#users"), pageStatus = $("#users-status");
    const checked = (f) => Array.from(f.querySelectorAll("input[name=sites]:checked"), (i) => i.value);
    // An admin has every site: the site choices show for a moderator only.
    const followRole = (f) => { $(".sites-choice", f).hidden = f.elements.role.value === "admin"; };
    document.addEventListener("change", (e) => {
      const f = e.target.closest("#user-create, .user-form");
      if (f && e.target.name === "role") followRole(f);
    });

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const el = form.elements, role = el.role.value;
      const body = { email: el.email.value.trim(), role, sites: role === "admin" ? [] : checked(form) };
      if (el.password.value !== "") body.password = el.password.value;
      if (el.invite && el.invite.checked) body.invite = true;
      const button = $("button[type=submit]", form);
      button.disabled = true;
      const res = await send("POST", "/api/v1/admin/users", body);
      button.disabled = false;
      if (!res.ok) return showErrors(form, res, status);
      const u = res.data.user;
      $("#new-password").hidden = !res.data.password;
      if (res.data.password) {
        $("#new-password-email").textContent = u.email;
        $("#new-password-value").textContent = res.data.password;
      }
      form.reset();
      followRole(form);
      say(status, res.data.invited ? "Added " + u.email + "; the invitation is on its way." :
        res.data.invite_error ? "Added " + u.email + ", but " + res.data.invite_error + "." : "Added " + u.email + ".", !!res.data.invite_error);
      await reloadPart("#users");
      if (res.data.password) $("#new-password").scrollIntoView({ block: "center" });
    });

    // patch changes one account and reads the list again; a problem shows in its row.
    async function patch(f, id, body, done) {
      clearErrors(f);
      const rowStatus = $(".row-status", f.closest("li"));
      say(rowStatus, "Saving…");
      const res = await send("PATCH", "/api/v1/admin/users/" + id, body);
      if (!res.ok) return showErrors(f, res, rowStatus);
      if (f.dataset.self) return location.assign("/admin/login"); // a new password signed this browser out
      say(pageStatus, done(res.data.user));
      await reloadPart("#users");
    }
    users.addEventListener("submit", (e) => {
      const f = e.target;
      e.preventDefault();
      if (f.classList.contains("user-form")) {
        const role = f.elements.role.value;
        patch(f, f.dataset.id, { role, sites: role === "admin" ? [] : checked(f) }, (u) => "Saved " + u.email + ".");
      } else if (f.classList.contains("password-form")) {
        patch(f, f.dataset.id, { password: f.elements.password.value }, (u) => "New password set for " + u.email + "; their sessions ended.");
      }
    });
    users.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-disabled]");
      if (!b) return;
      const f = b.closest("form"), disabled = b.dataset.disabled === "true";
      patch(f, f.dataset.id, { disabled }, (u) => u.email + (disabled ? " is disabled and signed out." : " may sign in again."));
    });
  }

  // commenterForm exports one commenter's data as a JSON file, or erases it once the
  // admin has ticked that they mean it (POST /api/v1/admin/commenters/export|erase).
  function commenterForm() {
    const form = $("#commenter-form"), status = $("#commenter-status");
    if (!form) return;
    const email = () => form.elements.email.value.trim();
    $("#commenter-export").addEventListener("click", async () => {
      clearErrors(form);
      const res = await send("POST", "/api/v1/admin/commenters/export", { email: email() });
      if (!res.ok) return showErrors(form, res, status);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([JSON.stringify(res.data, null, 2)], { type: "application/json" }));
      a.download = "winnow-commenter-" + res.data.exported_at.slice(0, 10) + ".json";
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60000);
      const n = res.data.comments.length;
      say(status, n + (n === 1 ? " comment" : " comments") + " exported.");
    });
    $("#commenter-erase").addEventListener("click", async () => {
      clearErrors(form);
      if (!form.elements.confirm.checked) {
        const err = form.querySelector('[data-error-for="confirm"]');
        err.textContent = "tick this to erase";
        err.hidden = false;
        return say(status, "Not erased: tick the box first.", true);
      }
      const b = $("#commenter-erase");
      b.disabled = true;
      const res = await send("POST", "/api/v1/admin/commenters/erase", { email: email() });
      b.disabled = false;
      if (!res.ok) return showErrors(form, res, status);
      const e = res.data.erasure;
      say(status, e.comments === 0 ? "Nothing is stored about this address." :
        "Erased " + e.comments + (e.comments === 1 ? " comment" : " comments") + ": " + e.deleted + " deleted, " +
        e.stubs + " kept as [deleted] for their replies, " + e.unpublished + " unpublished.");
      form.reset();
    });
  }

  // logPage filters the audit log as soon as a filter changes.
  // bansPage lifts bans; a lifted ban leaves the list.
  function bansPage() {
    const status = $("#form-status");
    $("#bans").addEventListener("click", async (e) => {
      const b = e.target.closest("button[data-lift]");
      if (!b) return;
      b.disabled = true;
      const res = await send("DELETE", "/api/v1/admin/bans/" + b.dataset.lift);
      if (!res.ok) {
        b.disabled = false;
        return say(status, res.message, true);
      }
      b.closest("li.ban").remove();
      say(status, "Ban lifted.");
    });
  }

  function logPage() {
    const form = $("#log-filters");
    for (const s of form.querySelectorAll("select")) s.addEventListener("change", () => form.requestSubmit());
  }

  // mailPage saves the account's mail modes and, for admins, sends a test mail and
  // watches it leave.
  function mailPage() {
    const form = $("#mail-form"), status = $("#mail-status");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const sites = {};
      for (const s of form.querySelectorAll("select[data-site]")) sites[s.dataset.site] = s.value;
      const res = await send("PATCH", "/api/v1/admin/account/mail", { default: form.elements.default.value, sites });
      if (!res.ok) return showErrors(form, res, status);
      say(status, "Saved.");
    });
    const test = $("#mail-test");
    if (!test) return;
    const tstatus = $("#mail-test-status");
    test.addEventListener("click", async () => {
      test.disabled = true;
      say(tstatus, "Sending…");
      const res = await send("POST", "/api/v1/admin/mail/test");
      if (!res.ok) { test.disabled = false; return say(tstatus, res.message, true); }
      const id = res.data.mail.id;
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const st = await send("GET", "/api/v1/admin/mail/test/" + id);
        if (!st.ok) break;
        const m = st.data.mail;
        if (m.status === "sent") { test.disabled = false; return say(tstatus, "Sent: the server took it. Look in your inbox."); }
        if (m.status === "dead") { test.disabled = false; return say(tstatus, "The server refused it: " + m.last_error, true); }
        if (m.status === "failed") say(tstatus, "Not sent yet (" + m.last_error + "); retrying…", true);
      }
      test.disabled = false;
      say(tstatus, "Still waiting after 30 s: check the server's log for mail_id " + id + ".", true);
    });
  }

  const start = () => {
    const page = document.body.dataset.page;
    if (page === "login") loginPage();
    if (page === "queue") queuePage();
    const others = { sites: sitesPage, site: settingsPage, webhook: webhookPage, log: logPage, users: usersPage, bans: bansPage, mail: mailPage };
    if (page === "users") commenterForm();
    if (others[page]) others[page]();
    if (page !== "queue" && page !== "login") logoutForm();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
