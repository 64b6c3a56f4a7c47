/* The agent's chat page made live: lines and typing over the chat's WebSocket (polling
 * when it fails), lines sent without a reload (stored before they show), and the waiting
 * queue kept fresh. Without JavaScript the page's plain forms do the same. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function api(method, path, data, key) {
    var h = { Accept: "application/json", "X-CSRF-Token": csrf };
    if (data !== undefined) h["Content-Type"] = "application/json";
    if (key) h["Idempotency-Key"] = key;
    return fetch("/api/v1" + path, { method: method, credentials: "same-origin", headers: h,
      body: data === undefined ? undefined : JSON.stringify(data) })
      .then(function (r) {
        return r.json().then(function (v) { if (!r.ok) throw (v && v.error) || {}; return v; });
      });
  }

  // ---- the waiting queue ------------------------------------------------------------
  var list = document.getElementById("waiting-list");
  if (list) {
    setInterval(function () {
      api("GET", "/chats").then(function (chats) {
        var ids = chats.map(function (c) { return String(c.id); }).join(",");
        if (list.getAttribute("data-ids") === ids) return;
        list.setAttribute("data-ids", ids);
        list.textContent = "";
        chats.forEach(function (c) {
          var li = el("li");
          var f = el("form", "inline");
          f.method = "post";
          f.action = "/agent/chats/" + c.id + "/accept";
          var t = el("input");
          t.type = "hidden"; t.name = "csrf"; t.value = csrf;
          f.appendChild(t);
          f.appendChild(el("strong", "", c.customer.name));
          f.appendChild(document.createTextNode(": " + c.subject + " "));
          f.appendChild(el("span", "muted", c.queue ? c.queue.text : ""));
          var b = el("button", "small primary", "Accept");
          b.type = "submit";
          f.appendChild(b);
          li.appendChild(f);
          list.appendChild(li);
        });
        var h = document.getElementById("waiting-h");
        if (h) h.querySelector(".muted").textContent = "(" + chats.length + ")";
      }).catch(function () {});
    }, 10000);
  }

  // ---- the open conversation --------------------------------------------------------
  var open = document.querySelector("section[data-chat-id]");
  if (!open) return;
  var id = open.getAttribute("data-chat-id");
  var cursor = Number(open.getAttribute("data-after")) || 0;
  var state = open.getAttribute("data-state");
  var log = document.getElementById("chat-log");
  var typingNote = document.getElementById("chat-typing");
  var stateNote = document.getElementById("chat-state");
  var form = document.getElementById("chat-reply");
  var draft = form && form.querySelector("textarea");
  var socket = null, pollTimer = null, typingTimer = null, lastTyping = 0;

  function shown(mid) { return !!log.querySelector('li[data-id="' + mid + '"]'); }
  function add(m) {
    if (shown(m.id)) return;
    var fromCustomer = m.author.role === "customer";
    var li = el("li", "chat-line " + (fromCustomer ? "customer" : "staff") + (m.kind === "internal" ? " internal" : ""));
    li.setAttribute("data-id", m.id);
    li.appendChild(el("span", "who", m.author.name + (m.kind === "internal" ? " (internal note)" : "")));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "muted", new Date(m.created_at).toLocaleTimeString()));
    var f = m.analysis && m.analysis.frustration;
    if (f && typeof f.score === "number") {
      var s = el("span", "frustration", "frustration " + f.score);
      s.title = "frustration of this line";
      li.appendChild(document.createTextNode(" "));
      li.appendChild(s);
    }
    li.appendChild(el("span", "text", m.body_text));
    log.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }
  function update(v) {
    (v.messages || []).forEach(add);
    if (v.next_after > cursor) cursor = v.next_after;
    if (v.chat && v.chat.state !== state) {
      state = v.chat.state;
      stateNote.firstChild.nodeValue = (state === "active" ? "With " + (v.chat.agent ? v.chat.agent.name : "an agent") : state === "ended" ? "Ended" : "Waiting for an agent") + " · ";
      if (state === "ended" && form) form.hidden = true;
    }
  }
  function connect() {
    if (!window.WebSocket) return poll();
    socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/v1/chats/" + id + "/live?after=" + cursor);
    socket.onmessage = function (e) {
      var v = JSON.parse(e.data);
      if (v.type === "typing") {
        typingNote.textContent = "The customer is typing\u2026";
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typingNote.textContent = ""; }, 4000);
      } else if (v.type === "lines") update(v);
    };
    socket.onclose = function () {
      socket = null;
      if (state !== "ended") { poll(); setTimeout(function () { if (!socket) connect(); }, 10000); }
    };
  }
  function poll() {
    if (pollTimer || state === "ended") return;
    pollTimer = setTimeout(function () {
      pollTimer = null;
      api("GET", "/chats/" + id + "/messages?after=" + cursor).then(update).catch(function () {})
        .then(function () { if (!socket) poll(); });
    }, 3000);
  }
  if (state !== "ended") connect();

  if (form) {
    draft.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping < 3000 || !socket || socket.readyState !== 1) return;
      lastTyping = now;
      socket.send('{"type":"typing"}');
    });
    draft.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = draft.value;
      if (!text.trim()) return;
      var key = "agent-" + Date.now() + "-" + Math.random().toString(16).slice(2);
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      api("POST", "/chats/" + id + "/messages", { body: text }, key).then(function (m) {
        add(m);
        if (m.id > cursor) cursor = m.id;
        draft.value = "";
        draft.dispatchEvent(new Event("input"));
      }).catch(function (x) {
        typingNote.textContent = "Not sent: " + (x.message || "try again");
      }).then(function () { button.disabled = false; draft.focus(); });
    });
  }
})();
