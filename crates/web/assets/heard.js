// heard: the live parts of the pages (suggestions, the tone coach, the presence switch, the bell).
// Everything here is an extra: every page works without it (forms post and redirect). No
// framework, no build step; all text from the server is inserted with textContent, never
// as HTML.
"use strict";

(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function debounce(fn, ms) {
    var t = null;
    return function () {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // Plain text from server-escaped HTML (a snippet with <mark>s), without running it.
  function textOf(html) {
    var doc = new DOMParser().parseFromString("<body>" + (html || "") + "</body>", "text/html");
    return doc.body.textContent || "";
  }

  function listOf(data) {
    if (Array.isArray(data)) return data;
    return data.items || data.hits || data.articles || data.suggestions || [];
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); });
  }

  function articleList(box, items, empty) {
    box.textContent = "";
    if (!items.length) {
      box.appendChild(el("p", "muted", empty));
      return;
    }
    var ul = el("ul", "articles");
    items.forEach(function (a) {
      var li = el("li");
      var title = a.title || a.name || "Article";
      // Articles open as pages; the hit's own url is the JSON API's.
      var href = a.slug ? "/help/" + encodeURIComponent(a.slug) : null;
      if (href) {
        var link = el("a", null, title);
        link.href = href;
        li.appendChild(link);
      } else {
        li.appendChild(el("strong", null, title));
      }
      var snippet = a.snippet_html ? textOf(a.snippet_html) : (a.summary || a.snippet || "");
      if (snippet) li.appendChild(el("span", "snippet", snippet));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  // ---- New request: matching articles while the customer types ----------------------
  var suggestBox = document.getElementById("suggestions");
  if (suggestBox) {
    var url = suggestBox.getAttribute("data-suggest-url");
    var fields = document.querySelectorAll("[data-suggest]");
    // The form's one-time key names this self-service visit, so suggestions shown,
    // articles opened and the request sent anyway are counted together (deflection).
    var keyField = document.querySelector("#new-request input[name=key]");
    var visit = keyField ? keyField.value : "";
    var last = "";
    var run = debounce(function () {
      var q = Array.prototype.map.call(fields, function (f) { return f.value; }).join(" ").trim();
      if (q.length > 400) q = q.slice(0, 400);
      if (q.length < 3 || q === last) return;
      last = q;
      getJSON(url + "?q=" + encodeURIComponent(q) + (visit ? "&session=" + encodeURIComponent(visit) : ""))
        .then(function (data) {
          if (q !== last) return;
          articleList(suggestBox, listOf(data), "No matching article yet. Keep typing, or send your request.");
          if (visit) {
            Array.prototype.forEach.call(suggestBox.querySelectorAll("a[href^='/help/']"), function (a) {
              a.setAttribute("href", a.getAttribute("href") + "?visit=" + encodeURIComponent(visit));
            });
          }
          suggestBox.setAttribute("data-state", "loaded");
        })
        .catch(function () {
          suggestBox.textContent = "";
          suggestBox.appendChild(el("p", "muted", "Suggestions are not available right now; you can still send your request."));
        });
    }, 250);
    Array.prototype.forEach.call(fields, function (f) { f.addEventListener("input", run); });
  }

  // ---- Who else has the ticket open (collision warning) ------------------------------
  var viewersBox = document.getElementById("viewers");
  if (viewersBox) {
    var viewersUrl = "/api/v1/tickets/" + encodeURIComponent(viewersBox.getAttribute("data-ticket-id")) + "/viewers";
    var replyBox = document.querySelector("textarea[data-tone-coach]");
    var lastTyped = 0;
    var told = "viewing";
    // "Replying" while there is a draft that was touched lately; an abandoned draft
    // stops counting after a while.
    var activity = function () {
      return replyBox && replyBox.value.trim() && Date.now() - lastTyped < 60000 ? "replying" : "viewing";
    };
    var showViewers = function (list) {
      var others = list.filter(function (v) { return !v.you; });
      viewersBox.textContent = "";
      viewersBox.classList.toggle("others", others.length > 0);
      if (!others.length) {
        viewersBox.appendChild(el("p", "muted", "Nobody else has this ticket open."));
        return;
      }
      var head = el("p");
      head.appendChild(el("strong", null, "Also on this ticket:"));
      viewersBox.appendChild(head);
      var ul = el("ul");
      others.forEach(function (v) {
        var li = el("li", null, v.name + " ");
        li.appendChild(el("span", "muted", "(" + v.role + ")"));
        li.appendChild(document.createTextNode(" — "));
        if (v.activity === "replying") {
          li.appendChild(el("strong", "replying", "writing a reply"));
          li.appendChild(document.createTextNode(": talk to them before you answer"));
        } else {
          li.appendChild(document.createTextNode("viewing"));
        }
        ul.appendChild(li);
      });
      viewersBox.appendChild(ul);
    };
    var beat = function () {
      told = activity();
      fetch(viewersUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ activity: told })
      })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(showViewers)
        .catch(function () { /* the next beat tries again */ });
    };
    setInterval(beat, 5000);
    if (replyBox) {
      replyBox.addEventListener("input", function () {
        lastTyped = Date.now();
        if (activity() !== told) beat();
      });
    }
    window.addEventListener("pagehide", function () {
      fetch(viewersUrl, { method: "DELETE", keepalive: true, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
        .catch(function () {});
    });
  }

  // ---- Presence: the switch without a reload, and the break reminder as it falls due --
  var presenceForm = document.getElementById("presence-switch");
  if (presenceForm) {
    var stateEl = document.getElementById("presence-state");
    var sinceEl = document.getElementById("presence-since");
    var loadEl = document.getElementById("presence-load");
    var reminderEl = document.getElementById("break-reminder");
    var labels = { available: "Available", on_break: "On a break", at_lunch: "At lunch", away: "Away", offline: "Offline" };
    var openTickets = null;

    function showPresence(p, changed) {
      stateEl.textContent = labels[p.presence] || p.presence;
      stateEl.className = "presence-state p-" + p.presence;
      if (changed) sinceEl.textContent = "since just now · ";
      var hard = p.hard_this_shift === 1 ? "1 hard conversation this shift" :
        (p.hard_this_shift || "no") + " hard conversations this shift";
      loadEl.textContent = p.open_tickets + " of " + p.capacity + " tickets open · " + hard;
      reminderEl.textContent = p.reminder || "";
      reminderEl.hidden = !p.reminder;
      Array.prototype.forEach.call(presenceForm.querySelectorAll("button[name=presence]"), function (b) {
        var on = b.value === p.presence;
        b.setAttribute("aria-pressed", on ? "true" : "false");
        b.classList.toggle("current", on);
      });
      // Back at work, the router may have handed out waiting tickets: show them.
      var more = openTickets !== null && p.open_tickets > openTickets;
      openTickets = p.open_tickets;
      if (more) window.location.reload();
    }

    presenceForm.addEventListener("submit", function (e) {
      var button = e.submitter;
      if (!button || !button.value) return;
      e.preventDefault();
      fetch("/api/v1/me/presence", {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ presence: button.value })
      })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (p) { showPresence(p, true); })
        .catch(function () {
          // The plain form still works: post it as if there were no script.
          var field = el("input");
          field.type = "hidden";
          field.name = "presence";
          field.value = button.value;
          presenceForm.appendChild(field);
          presenceForm.submit();
        });
    });
    getJSON("/api/v1/me/presence").then(function (p) { openTickets = p.open_tickets; }).catch(function () {});
    setInterval(function () {
      getJSON("/api/v1/me/presence").then(function (p) { showPresence(p, false); }).catch(function () {});
    }, 60000);
  }

  // ---- The tone coach ---------------------------------------------------------------
  var draft = document.querySelector("textarea[data-tone-coach]");
  if (draft) {
    var status = document.getElementById("coach-status");
    var findingsBox = document.getElementById("coach-findings");
    var preview = document.getElementById("coach-preview");
    var checklist = document.getElementById("coach-checklist");
    var audience = document.getElementById("audience");
    var internal = document.querySelector('input[name="internal"]');
    var seq = 0;

    // The analysis reports byte offsets into UTF-8; JavaScript strings count UTF-16 units.
    function indexOfByte(text, byteOffset) {
      var bytes = 0;
      for (var i = 0; i < text.length; i++) {
        if (bytes >= byteOffset) return i;
        var c = text.codePointAt(i);
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (c >= 0x10000) i++;
      }
      return text.length;
    }

    function showPreview(text, findings) {
      preview.textContent = "";
      var spans = findings
        .filter(function (f) { return f.end > f.start; })
        .map(function (f) { return { s: indexOfByte(text, f.start), e: indexOfByte(text, f.end), f: f }; })
        .sort(function (a, b) { return a.s - b.s; });
      var at = 0;
      spans.forEach(function (sp) {
        if (sp.s < at) return; // overlapping: the first one wins
        preview.appendChild(document.createTextNode(text.slice(at, sp.s)));
        var m = el("mark", "hit", text.slice(sp.s, sp.e));
        m.title = sp.f.reason;
        preview.appendChild(m);
        at = sp.e;
      });
      preview.appendChild(document.createTextNode(text.slice(at)));
      preview.hidden = spans.length === 0;
    }

    function show(review, text) {
      var findings = review.findings || [];
      status.textContent = "Score " + review.score + " of 100 · " +
        (findings.length ? findings.length + " to look at" : "nothing to improve");
      findingsBox.textContent = "";
      findings.forEach(function (f) {
        var li = el("li", "finding");
        li.setAttribute("data-kind", f.kind);
        li.appendChild(el("strong", "kind", String(f.kind).replace(/_/g, " ")));
        if (f.excerpt) {
          li.appendChild(document.createTextNode(": “"));
          li.appendChild(el("mark", null, f.excerpt));
          li.appendChild(document.createTextNode("”"));
        }
        li.appendChild(el("br"));
        li.appendChild(document.createTextNode(f.reason));
        li.appendChild(el("br"));
        li.appendChild(el("span", "suggest", "Try: " + f.suggestion));
        findingsBox.appendChild(li);
      });
      showPreview(text, findings);
      var c = review.checklist || {};
      Array.prototype.forEach.call(checklist.querySelectorAll("li[data-key]"), function (li) {
        var done = !!c[li.getAttribute("data-key")];
        li.classList.toggle("done", done);
        li.querySelector(".tick").textContent = done ? "✓" : "○";
        li.querySelector(".state").textContent = done ? "done" : "not yet";
      });
    }

    var review = debounce(function () {
      var text = draft.value;
      var mine = ++seq;
      if (!text.trim() || (internal && internal.checked)) {
        findingsBox.textContent = "";
        preview.hidden = true;
        status.textContent = internal && internal.checked ? "Internal notes are not coached." : "";
        return;
      }
      fetch("/api/v1/analyze/tone", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ text: text, audience: audience ? audience.value : "non-technical", ticket_id: Number(draft.getAttribute("data-ticket-id")) || null })
      })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) { if (mine === seq) show(data, text); })
        .catch(function () {
          if (mine === seq) status.textContent = "The tone coach is not available right now; use “Check wording”.";
        });
    }, 500);
    draft.addEventListener("input", review);
    if (audience) audience.addEventListener("change", review);
    if (internal) internal.addEventListener("change", review);
    if (draft.value.trim()) review();
  }

  // ---- The bell: the unread count in the header, fresh without a reload --------------
  var bellCount = document.getElementById("bell-count");
  if (bellCount) {
    var bellLive = document.getElementById("bell-live");
    var shown = parseInt(bellCount.textContent, 10) || 0;
    var showCount = function (n) {
      if (typeof n !== "number" || n === shown) return;
      var more = n > shown;
      shown = n;
      bellCount.firstChild.nodeValue = String(n);
      bellCount.classList.toggle("none", n === 0);
      // Announce only news, not the count falling after reading elsewhere.
      if (more && bellLive) {
        bellLive.textContent = n === 1 ? "1 unread notification" : n + " unread notifications";
      }
    };
    setInterval(function () {
      getJSON("/api/v1/notifications/unread")
        .then(function (c) { showCount(c.unread); })
        .catch(function () { /* the next look tries again */ });
    }, 20000);
  }

  // ---- Macros: picking one fills the reply box in place (the form does it without JS) --
  var macroPicker = document.querySelector("select[data-macro-picker]");
  if (macroPicker) {
    var macroBox = document.querySelector("textarea[data-tone-coach]");
    var macroId = document.getElementById("macro-id");
    var macroThen = document.getElementById("macro-then");
    macroPicker.addEventListener("change", function () {
      var id = macroPicker.value;
      if (!id) {
        if (macroId) macroId.value = "";
        if (macroThen) macroThen.textContent = "";
        return;
      }
      getJSON("/api/v1/macros/" + encodeURIComponent(id) + "/render?ticket_id=" +
              encodeURIComponent(macroPicker.getAttribute("data-ticket-id")))
        .then(function (m) {
          macroBox.value = m.body;
          if (macroId) macroId.value = String(m.macro_id);
          if (macroThen) {
            var then = "From the macro \u201c" + m.title + "\u201d";
            if (m.status) then += "; once sent, the status becomes " + m.status.replace(/_/g, " ");
            if (m.tags && m.tags.length) then += "; tags added: " + m.tags.join(", ");
            macroThen.textContent = then + ". Edit it freely: the coach reads it before you send.";
          }
          // The tone coach reads the filled-in reply as if it had been typed.
          macroBox.dispatchEvent(new Event("input", { bubbles: true }));
          macroBox.focus();
        })
        .catch(function () {
          // Fall back to the form: the page comes back with the reply filled in.
          macroPicker.form.submit();
        });
    });
  }
})();
