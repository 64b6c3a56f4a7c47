/* heard live chat widget: include with
 *   <script src="https://desk.example/chat/widget.js" async></script>
 * No framework, no cookies across sites: a guest's chat is opened by the token its start
 * answered with, kept in this tab's sessionStorage. Lines arrive over a WebSocket, or by
 * polling when that fails; every line is stored by the desk before it shows as sent. */
(function () {
  "use strict";
  if (window.heardChat) return;
  window.heardChat = true;
  var script = document.currentScript;
  var base = script ? new URL(script.src, location.href).origin : location.origin;
  var same = base === location.origin;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = same && meta ? meta.content : "";
  var signedIn = same && script && script.getAttribute("data-signed-in") === "true";
  var store = "heard-chat:" + base;
  var chat = null; // {id, token}
  var cursor = 0;
  var shown = {};
  var socket = null;
  var pollTimer = null;
  var typingTimer = null;
  var lastTyping = 0;
  var state = "";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function uid() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var css = el("link", { rel: "stylesheet", href: base + "/chat/widget.css?v=1" });
  document.head.appendChild(css);

  var root = el("div", { "class": "heard-chat" });
  var launcher = el("button", { type: "button", "class": "heard-chat-launcher", "aria-expanded": "false", "aria-controls": "heard-chat-panel" }, "Chat with us");
  var panel = el("section", { id: "heard-chat-panel", "class": "heard-chat-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "heard-chat-title", hidden: "" });
  var head = el("header", { "class": "heard-chat-head" });
  var title = el("h2", { id: "heard-chat-title" }, "Chat with us");
  var close = el("button", { type: "button", "class": "heard-chat-close", "aria-label": "Close the chat window" }, "\u00d7");
  head.appendChild(title);
  head.appendChild(close);
  var status = el("p", { "class": "heard-chat-status", role: "status", "aria-live": "polite" });
  var body = el("div", { "class": "heard-chat-body" });
  panel.appendChild(head);
  panel.appendChild(status);
  panel.appendChild(body);
  root.appendChild(panel);
  root.appendChild(launcher);

  function field(form, id, label, input) {
    var wrap = el("p");
    wrap.appendChild(el("label", { "for": id }, label));
    input.id = id;
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }

  function headers(json) {
    var h = { Accept: "application/json" };
    if (json) h["Content-Type"] = "application/json";
    if (chat && chat.token) h["Chat-Token"] = chat.token;
    if (csrf) h["X-CSRF-Token"] = csrf;
    return h;
  }
  function api(method, path, data, extra) {
    var h = headers(data !== undefined);
    for (var k in extra || {}) h[k] = extra[k];
    return fetch(base + "/api/v1" + path, {
      method: method,
      headers: h,
      credentials: same ? "same-origin" : "omit",
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (r) {
      return r.text().then(function (t) {
        var v = t ? JSON.parse(t) : null;
        if (!r.ok) throw (v && v.error) || { message: "The desk answered " + r.status };
        return v;
      });
    });
  }

  // ---------------------------------------------------------------- starting a chat
  function startForm() {
    body.textContent = "";
    status.textContent = "";
    var form = el("form", { "class": "heard-chat-start", novalidate: "" });
    var name, email;
    if (!signedIn) {
      name = field(form, "heard-chat-name", "Your name", el("input", { type: "text", autocomplete: "name", required: "" }));
      email = field(form, "heard-chat-email", "Your e-mail address", el("input", { type: "email", autocomplete: "email", required: "" }));
    }
    var msg = field(form, "heard-chat-first", "How can we help?", el("textarea", { rows: "3", required: "" }));
    var err = el("p", { "class": "heard-chat-error", role: "alert" });
    form.appendChild(err);
    var go = el("button", { type: "submit" }, "Start chat");
    form.appendChild(go);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      err.textContent = "";
      var input = { message: msg.value };
      if (name) { input.name = name.value; input.email = email.value; }
      go.disabled = true;
      api("POST", "/chats", input).then(function (v) {
        if (v.outcome === "ticket") return asTicket(v);
        chat = { id: v.chat.id, token: v.chat_token || null };
        try { sessionStorage.setItem(store, JSON.stringify(chat)); } catch (x) { /* private mode */ }
        conversation(v.chat, v.articles || []);
      }).catch(function (x) {
        go.disabled = false;
        err.textContent = x.message || "The chat could not start.";
        var bad = { name: name, email: email, message: msg }[x.field];
        if (bad) { bad.setAttribute("aria-invalid", "true"); bad.focus(); }
      });
    });
    body.appendChild(form);
    (name || msg).focus();
  }

  function asTicket(v) {
    body.textContent = "";
    var p = el("p", {}, v.fallback ? v.fallback.message : "Your message is now a ticket.");
    body.appendChild(p);
    if (v.fallback && v.fallback.promise_due_at) {
      body.appendChild(el("p", {}, "We will answer by " + new Date(v.fallback.promise_due_at).toLocaleString() + "."));
    }
    status.textContent = "Your message was received.";
  }

  // ---------------------------------------------------------------- the conversation
  var log, composer, input, typingNote, waiting;

  function conversation(view, articles) {
    body.textContent = "";
    waiting = el("div", { "class": "heard-chat-waiting" });
    body.appendChild(waiting);
    log = el("ol", { "class": "heard-chat-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
    body.appendChild(log);
    typingNote = el("p", { "class": "heard-chat-typing", "aria-live": "polite" });
    body.appendChild(typingNote);
    composer = el("form", { "class": "heard-chat-compose" });
    input = field(composer, "heard-chat-line", "Your message", el("textarea", { rows: "2" }));
    var send = el("button", { type: "submit" }, "Send");
    composer.appendChild(send);
    var end = el("button", { type: "button", "class": "heard-chat-end" }, "End chat");
    composer.appendChild(end);
    body.appendChild(composer);
    composer.addEventListener("submit", function (e) { e.preventDefault(); sendLine(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); sendLine(); }
    });
    input.addEventListener("input", typing);
    end.addEventListener("click", function () {
      api("POST", "/chats/" + chat.id + "/end").then(function (x) {
        update({ chat: x, messages: [], next_after: cursor });
      }).catch(showError);
    });
    showArticles(articles);
    update({ chat: view, messages: [], next_after: 0 });
    connect();
    input.focus();
  }

  function showArticles(articles) {
    if (!articles.length) return;
    var box = el("div", { "class": "heard-chat-articles" });
    box.appendChild(el("p", {}, "While you wait, these may answer your question:"));
    var ul = el("ul");
    articles.forEach(function (a) {
      var li = el("li");
      li.appendChild(el("a", { href: base + a.url, target: "_blank", rel: "noopener" }, a.title));
      ul.appendChild(li);
    });
    box.appendChild(ul);
    waiting.appendChild(box);
  }

  function showError(x) {
    status.textContent = (x && x.message) || "Something went wrong.";
  }

  var pendingLines = {};
  function line(m, pending) {
    if (m.id && shown[m.id]) return;
    if (m.id) shown[m.id] = true;
    var waitingFor = m.id && pendingLines[m.body_text];
    if (waitingFor) {
      // Our own line, delivered before its POST answered: it is stored, so it is sent.
      delete pendingLines[m.body_text];
      var mark = waitingFor.querySelector(".heard-chat-pending");
      if (mark) mark.remove();
      return waitingFor;
    }
    var mine = m.author && chat && m.author.role === "customer";
    var li = el("li", { "class": "heard-chat-line " + (mine ? "mine" : "theirs") });
    li.appendChild(el("span", { "class": "heard-chat-who" }, mine ? "You" : (m.author ? m.author.name : "")));
    li.appendChild(el("span", { "class": "heard-chat-text" }, m.body_text));
    if (pending) {
      li.appendChild(el("span", { "class": "heard-chat-pending" }, "sending\u2026"));
      pendingLines[m.body_text] = li;
    }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  function update(lines) {
    var v = lines.chat;
    (lines.messages || []).forEach(function (m) { line(m); });
    if (lines.next_after > cursor) cursor = lines.next_after;
    if (v.state === state && v.state !== "waiting") return;
    state = v.state;
    waiting.hidden = v.state !== "waiting";
    var leave = waiting.querySelector(".heard-chat-leave");
    if (v.state === "waiting") {
      status.textContent = v.queue ? v.queue.text + "." : "Waiting for an agent.";
      if (!leave) {
        leave = el("button", { type: "button", "class": "heard-chat-leave" }, "Leave a message instead");
        leave.addEventListener("click", function () {
          api("POST", "/chats/" + chat.id + "/end").then(function (x) {
            update({ chat: x, messages: [], next_after: cursor });
            status.textContent = "Thanks: your message is with us as a ticket, and we will answer by e-mail.";
          }).catch(showError);
        });
        waiting.appendChild(leave);
      }
    } else if (v.state === "active") {
      status.textContent = (v.agent ? v.agent.name : "An agent") + " is here to help.";
    } else if (v.state === "ended") {
      status.textContent = "The chat has ended. We will follow up by e-mail if anything is open.";
      composer.hidden = true;
      disconnect();
      try { sessionStorage.removeItem(store); } catch (x) { /* ignore */ }
    }
  }

  function sendLine() {
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    var key = uid();
    var li = line({ body_text: text, author: { role: "customer" } }, true);
    var tries = 0;
    (function attempt() {
      api("POST", "/chats/" + chat.id + "/messages", { body: text }, { "Idempotency-Key": key }).then(function (m) {
        shown[m.id] = true;
        if (pendingLines[text] === li) delete pendingLines[text];
        var p = li.querySelector(".heard-chat-pending");
        if (p) p.remove();
      }).catch(function (x) {
        if (!x.code && ++tries < 4) return setTimeout(attempt, 1000 * tries);
        var p = li.querySelector(".heard-chat-pending");
        if (p) p.textContent = "not sent: " + (x.message || "try again");
      });
    })();
  }

  function typing() {
    var now = Date.now();
    if (now - lastTyping < 3000) return;
    lastTyping = now;
    if (socket && socket.readyState === 1) socket.send('{"type":"typing"}');
    else api("POST", "/chats/" + chat.id + "/typing").catch(function () {});
  }

  function theyType() {
    typingNote.textContent = "The agent is typing\u2026";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingNote.textContent = ""; }, 4000);
  }

  // ---------------------------------------------------------------- delivery
  function connect() {
    if (!window.WebSocket) return poll();
    var url = base.replace(/^http/, "ws") + "/api/v1/chats/" + chat.id + "/live?after=" + cursor +
      (chat.token ? "&token=" + encodeURIComponent(chat.token) : "");
    try { socket = new WebSocket(url); } catch (x) { return poll(); }
    socket.onmessage = function (e) {
      var v = JSON.parse(e.data);
      if (v.type === "typing") theyType();
      else if (v.type === "lines") update(v);
    };
    socket.onopen = function () { clearTimeout(pollTimer); pollTimer = null; };
    socket.onclose = function () {
      socket = null;
      if (state !== "ended") { poll(); setTimeout(function () { if (!socket && state !== "ended") connect(); }, 10000); }
    };
  }

  function poll() {
    if (pollTimer || state === "ended") return;
    pollTimer = setTimeout(function () {
      pollTimer = null;
      api("GET", "/chats/" + chat.id + "/messages?after=" + cursor).then(update).catch(function () {}).then(function () {
        if (!socket) poll();
      });
    }, 3000);
  }

  function disconnect() {
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    clearTimeout(pollTimer);
    pollTimer = null;
  }

  // ---------------------------------------------------------------- open and close
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (!body.firstChild) resume();
  }
  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  function resume() {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(store) || "null"); } catch (x) { saved = null; }
    if (!saved) return startForm();
    chat = saved;
    api("GET", "/chats/" + chat.id).then(function (v) {
      if (v.state === "ended") { sessionStorage.removeItem(store); chat = null; return startForm(); }
      conversation(v, []);
    }).catch(function () { try { sessionStorage.removeItem(store); } catch (x) { /* ignore */ } chat = null; startForm(); });
  }
  launcher.addEventListener("click", function () { if (panel.hidden) open(); else shut(); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });

  function mount() { document.body.appendChild(root); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
