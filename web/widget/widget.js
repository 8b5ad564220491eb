/*
 * 证书领取智能客服 · web chat widget for the Rasa assistant.
 *
 * Embed with ONE tag:
 *   <script src="https://<backend>/widget/widget.js" data-rasa-url="https://<rasa>" defer></script>
 * Optional attributes: data-title, data-hotline (default 12333).
 *
 * Talks to Rasa's socket.io channel (websocket transport only; credentials.yml has
 * session_persistence: true, so it sends session_request {session_id} and waits for
 * session_confirm) and falls back to the REST channel when socket.io cannot connect.
 * The session id and the transcript (a day at most; ID numbers the visitor typed are
 * masked) are kept in localStorage. Bot text is never put
 * into innerHTML: it is written as text nodes, and URLs become <a target=_blank
 * rel=noopener> links only when they parse as http(s).
 *
 * Plain JavaScript, no build step.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__zjcertWidget) { return; }

  var RASA_URL = (script.getAttribute("data-rasa-url") || "").replace(/\/+$/, "");
  var BASE = script.src.replace(/[?#].*$/, "").replace(/[^/]*$/, "");
  var HOTLINE = script.getAttribute("data-hotline") || "12333";
  var TITLE = script.getAttribute("data-title") || "证书领取智能客服";
  var STORE = "zjcert-chat:" + RASA_URL + ":";
  var MAX_ITEMS = 200;
  var CONNECT_TIMEOUT_MS = 5000;
  var REPLY_TIMEOUT_MS = 30000;
  var REST_TIMEOUT_MS = 25000;
  var TRANSCRIPT_TTL_MS = 24 * 60 * 60 * 1000;

  var TEXT = {
    launcher: "在线咨询",
    close: "关闭",
    send: "发送",
    placeholder: "请输入您的问题，例如：领证要带什么",
    intro: "您好！这里可以咨询技能人员国家职业资格证书的领取：要带什么材料、在哪里领、办理邮寄或代领、查询证书状态。",
    typing: "客服正在输入",
    connecting: "正在连接智能客服…",
    offline: "暂时无法连接智能客服，请稍后再试，或拨打" + HOTLINE + "人社服务热线。",
    unreachable: "抱歉，暂时无法连接智能客服，您的消息没有送达。请稍后再试，或拨打" + HOTLINE + "人社服务热线咨询。",
    noReply: "智能客服暂未回复。请稍后再试，或拨打" + HOTLINE + "人社服务热线咨询。",
    newTab: "（在新窗口打开）",
    image: "查看图片",
    file: "打开文件"
  };

  // -- storage (localStorage may be unavailable: then the session lives in memory) ----------

  var memory = {};
  function load(key, fallback) {
    var raw = null;
    try { raw = window.localStorage.getItem(STORE + key); } catch (e) { raw = memory[key] || null; }
    if (raw === null || raw === undefined) { return fallback; }
    try { return JSON.parse(raw); } catch (e) { return fallback; }
  }
  function save(key, value) {
    var raw = JSON.stringify(value);
    try { window.localStorage.setItem(STORE + key, raw); } catch (e) { memory[key] = raw; }
  }

  function newSessionId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var sessionId = load("session_id", null);
  if (typeof sessionId !== "string" || !/^[0-9a-f]{32}$/.test(sessionId)) {
    sessionId = newSessionId();
    save("session_id", sessionId);
  }
  // The transcript is kept for a day of inactivity (Rasa's own session ends sooner).
  var transcript = load("transcript", []);
  if (!Array.isArray(transcript) || Date.now() - Number(load("updated", 0)) > TRANSCRIPT_TTL_MS) { transcript = []; }

  // ID numbers typed by the visitor are shown and stored masked (330106********0018),
  // like everywhere else in the service; Rasa still gets what was typed.
  function maskIds(text) {
    return text.replace(/(^|[^0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])/g, "$1$2********$3");
  }

  // -- safe text: text nodes, and links only for http(s) URLs -------------------------------

  // Full URLs, and bare host names of the usual public suffixes (jndj.osta.org.cn).
  var URL_RE = /(https?:\/\/[^\s<>"'“”‘’（）【】「」《》，。；！？、]+)|((?:[a-z0-9-]+\.)+(?:gov\.cn|org\.cn|com\.cn|cn|com|org|net)(?:\/[^\s<>"'“”‘’（）【】「」《》，。；！？、]*)?)/gi;

  function safeHref(candidate) {
    try {
      var url = new URL(candidate);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (e) { return null; }
  }

  function makeLink(href, label) {
    var a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.title = TEXT.newTab;
    a.textContent = label;
    return a;
  }

  function appendLinkified(parent, text) {
    var last = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      var raw = match[0];
      var start = match.index;
      // a bare host name must not be part of a word, an e-mail address or a longer URL
      if (match[2] && start > 0 && /[A-Za-z0-9@.\/_-]/.test(text.charAt(start - 1))) { continue; }
      var trimmed = raw.replace(/[.,;:!?)\]]+$/, "");
      var href = safeHref(match[1] ? trimmed : "https://" + trimmed);
      if (!href) { continue; }
      if (start > last) { parent.appendChild(document.createTextNode(text.slice(last, start))); }
      parent.appendChild(makeLink(href, trimmed));
      last = start + trimmed.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
  }

  // -- DOM (in a shadow root, so the host page's styles do not leak in) ---------------------

  var host = document.createElement("div");
  host.id = "zjcert-chat";
  host.setAttribute("data-transport", "connecting");
  host.setAttribute("data-session-id", sessionId);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var style = el("link");
  style.rel = "stylesheet";
  style.href = BASE + "widget.css";
  root.appendChild(style);

  var launcher = el("button", "zjc-launcher", TEXT.launcher);
  launcher.type = "button";
  launcher.setAttribute("aria-haspopup", "dialog");
  var badge = el("span", "zjc-badge");
  badge.hidden = true;
  launcher.appendChild(badge);

  var panel = el("section", "zjc-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", TITLE);
  panel.hidden = true;

  var header = el("header", "zjc-header");
  var title = el("h2", "zjc-title", TITLE);
  var closeButton = el("button", "zjc-close", "×");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", TEXT.close);
  header.appendChild(title);
  header.appendChild(closeButton);

  var status = el("p", "zjc-status");
  status.setAttribute("role", "status");
  status.hidden = true;

  var log = el("div", "zjc-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var intro = el("p", "zjc-intro", TEXT.intro);

  var typing = el("div", "zjc-typing");
  typing.setAttribute("aria-label", TEXT.typing);
  typing.hidden = true;
  for (var i = 0; i < 3; i += 1) { typing.appendChild(el("span", "zjc-dot")); }

  var form = el("form", "zjc-form");
  var input = el("textarea", "zjc-input");
  input.rows = 1;
  input.maxLength = 500;
  input.placeholder = TEXT.placeholder;
  input.setAttribute("aria-label", TEXT.placeholder);
  var sendButton = el("button", "zjc-send", TEXT.send);
  sendButton.type = "submit";
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(status);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);

  // -- transcript ---------------------------------------------------------------------------

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function renderItem(item) {
    var row = el("div", "zjc-msg zjc-" + item.who);
    var bubble = el("div", "zjc-bubble");
    if (item.text) { appendLinkified(bubble, String(item.text)); }
    if (item.image && safeHref(item.image)) {
      if (item.text) { bubble.appendChild(document.createElement("br")); }
      bubble.appendChild(makeLink(safeHref(item.image), TEXT.image));
    }
    if (item.file && safeHref(item.file)) {
      if (item.text) { bubble.appendChild(document.createElement("br")); }
      bubble.appendChild(makeLink(safeHref(item.file), TEXT.file));
    }
    if (item.tel) {
      var tel = document.createElement("a");
      tel.href = "tel:" + item.tel.replace(/[^0-9+]/g, "");
      tel.className = "zjc-tel";
      tel.textContent = item.tel;
      bubble.appendChild(document.createTextNode(" "));
      bubble.appendChild(tel);
    }
    row.appendChild(bubble);
    if (item.buttons && item.buttons.length) {
      var choices = el("div", "zjc-buttons");
      item.buttons.forEach(function (button) {
        var b = el("button", "zjc-button", button.title);
        b.type = "button";
        b.disabled = !!item.used;
        b.addEventListener("click", function () {
          if (item.used) { return; }
          item.used = true;
          choices.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          persist();
          send(button.payload, button.title);
        });
        choices.appendChild(b);
      });
      row.appendChild(choices);
    }
    log.insertBefore(row, typing);
    scrollDown();
  }

  function persist() {
    // notices about the connection are not part of the conversation
    save("transcript", transcript.filter(function (item) { return item.who !== "notice"; }).slice(-MAX_ITEMS));
    save("updated", Date.now());
  }

  function addItem(item) {
    if (intro.parentNode) { intro.parentNode.removeChild(intro); }
    transcript.push(item);
    if (transcript.length > MAX_ITEMS) { transcript = transcript.slice(-MAX_ITEMS); }
    persist();
    renderItem(item);
    if (panel.hidden && item.who === "bot") {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
    }
  }

  var unread = 0;
  log.appendChild(intro);
  log.appendChild(typing);
  if (transcript.length) { log.removeChild(intro); }
  transcript.forEach(renderItem);

  // -- bot messages: socket.io's bot_uttered and REST's replies, one shape ------------------

  function normalize(message) {
    if (!message || typeof message !== "object") { return null; }
    var item = { who: "bot" };
    if (typeof message.text === "string" && message.text) { item.text = message.text; }
    var buttons = message.quick_replies || message.buttons;
    if (Array.isArray(buttons)) {
      item.buttons = buttons.filter(function (b) { return b && typeof b.title === "string"; })
        .map(function (b) { return { title: b.title, payload: String(b.payload || b.title) }; });
    }
    if (typeof message.image === "string") { item.image = message.image; }
    var attachment = message.attachment;
    if (attachment && typeof attachment === "object" && attachment.payload) {
      var src = attachment.payload.src || attachment.payload.url;
      if (typeof src === "string") {
        if (attachment.type === "image") { item.image = item.image || src; } else { item.file = src; }
      }
    } else if (typeof attachment === "string" && !item.image) {
      item.file = attachment;
    }
    if (!item.text && !item.image && !item.file && !(item.buttons && item.buttons.length)) { return null; }
    return item;
  }

  var waiting = null;
  function showTyping() {
    typing.hidden = false;
    scrollDown();
    clearTimeout(waiting);
    waiting = setTimeout(function () {
      typing.hidden = true;
      addItem({ who: "notice", text: TEXT.noReply, tel: HOTLINE });
    }, REPLY_TIMEOUT_MS);
  }
  function hideTyping() {
    typing.hidden = true;
    clearTimeout(waiting);
    waiting = null;
  }

  function receive(message) {
    var item = normalize(message);
    if (!item) { return; }
    hideTyping();
    addItem(item);
  }

  // -- connection: socket.io first, REST when it cannot connect -----------------------------

  var socket = null;
  var socketReady = false;

  function setTransport(name) {
    host.setAttribute("data-transport", name);
    if (name === "socket" || name === "rest") { setStatus(null); }
  }
  function setStatus(text) {
    status.hidden = !text;
    status.textContent = text || "";
  }

  function connectSocket() {
    if (typeof window.io !== "function" || !RASA_URL) { fallBackToRest(); return; }
    socket = window.io(RASA_URL, {
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      timeout: CONNECT_TIMEOUT_MS
    });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", function () {
      socketReady = true;
      setTransport("socket");
    });
    socket.on("bot_uttered", receive);
    socket.on("connect_error", function () {
      socketReady = false;
      if (host.getAttribute("data-transport") !== "rest") { fallBackToRest(); }
    });
    socket.on("disconnect", function () {
      socketReady = false;
      fallBackToRest();
    });
  }

  function fallBackToRest() {
    setTransport("rest");
    if (!RASA_URL) { setStatus(TEXT.offline); return; }
    // Tell the visitor at once when Rasa answers nothing at all.
    fetch(RASA_URL + "/", { method: "GET", mode: "cors", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } })
      .catch(function () { if (!socketReady) { setStatus(TEXT.offline); } });
  }

  function sendRest(text) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, REST_TIMEOUT_MS);
    fetch(RASA_URL + "/webhooks/rest/webhook", {
      method: "POST",
      mode: "cors",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sessionId, message: text }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (messages) {
      clearTimeout(timer);
      hideTyping();
      setStatus(null);
      (Array.isArray(messages) ? messages : []).forEach(receive);
    }).catch(function () {
      clearTimeout(timer);
      hideTyping();
      setStatus(TEXT.offline);
      addItem({ who: "notice", text: TEXT.unreachable, tel: HOTLINE });
    });
  }

  function send(payload, shown) {
    var text = String(payload || "").trim();
    if (!text) { return; }
    addItem({ who: "user", text: maskIds(shown || text) });
    showTyping();
    if (socket && socketReady && socket.connected) {
      socket.emit("user_uttered", { message: text, session_id: sessionId });
    } else if (RASA_URL) {
      sendRest(text);
    } else {
      hideTyping();
      addItem({ who: "notice", text: TEXT.unreachable, tel: HOTLINE });
    }
  }

  // -- opening, closing, typing ---------------------------------------------------------------

  function setOpen(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    save("open", open);
    if (open) {
      unread = 0;
      badge.hidden = true;
      scrollDown();
      input.focus();
    } else {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", function () { setOpen(true); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { setOpen(false); } });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  function start() {
    document.body.appendChild(host);
    if (load("open", false)) { setOpen(true); }
    setStatus(TEXT.connecting);
    var loader = document.createElement("script");
    loader.src = BASE + "socket.io.min.js";
    loader.onload = connectSocket;
    loader.onerror = fallBackToRest;
    document.head.appendChild(loader);
  }

  window.__zjcertWidget = {
    sessionId: function () { return sessionId; },
    transport: function () { return host.getAttribute("data-transport"); },
    open: function () { setOpen(true); }
  };

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
}());
