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
 * rel=noopener> links only when they parse as http(s); phone numbers become tel: links.
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
  var RETRY_PROBE_MS = 3000;
  var TRANSCRIPT_TTL_MS = 24 * 60 * 60 * 1000;
  // "At the bottom" when the last message is less than this far below the visible part.
  var BOTTOM_SLACK_PX = 48;

  var TEXT = {
    launcher: "在线咨询",
    close: "关闭",
    send: "发送",
    // Short enough for one line in the narrowest panel, also in the larger text mode.
    placeholder: "请输入问题",
    inputLabel: "请输入您的问题，例如：领证要带什么",
    intro: "您好！这里可以咨询技能人员国家职业资格证书的领取：要带什么材料、在哪里领、办理邮寄或代领、查询证书状态。",
    suggestionsLabel: "您可以这样问：",
    suggestions: ["领证要带什么", "在哪里领证", "查询证书状态", "我要快递到家"],
    typing: "客服正在输入…",
    connecting: "正在连接智能客服…",
    offline: "暂时无法连接智能客服，请稍后再试，或拨打" + HOTLINE + "人社服务热线。",
    unreachable: "抱歉，暂时无法连接智能客服，您的消息没有送达。请稍后再试，或拨打" + HOTLINE + "人社服务热线咨询。",
    noReply: "智能客服暂未回复。请稍后再试，或拨打" + HOTLINE + "人社服务热线咨询。",
    failed: "未送达",
    retry: "重试",
    retrying: "正在重新发送…",
    newMessages: "新消息 ↓",
    human: "人工服务 " + HOTLINE,
    // Neither DOMAIN.md nor the backend hold 12333's hours: they are set locally.
    hours: "服务时间以当地人社部门公布为准",
    disclaimer: "智能回答仅供参考，以领证机构通知为准",
    largeText: "大字",
    largeTextLabel: "大字模式",
    clear: "结束对话并清除记录",
    cleared: "对话已结束，本机的对话记录已清除。",
    // What the page keeps is known here; what the service keeps is the office's to say.
    privacy: "个人信息提示：您输入的身份证号用于查询证书和办理申请。本页面只显示和保存打码后的号码（如330106********0018），" +
             "对话记录在本机浏览器保存1天，可随时点“结束对话并清除记录”删除。已提交的申请由领证机构保存，" +
             "保存期限以领证机构规定为准，可拨打" + HOTLINE + "咨询。",
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
  function forget(key) {
    try { window.localStorage.removeItem(STORE + key); } catch (e) { /* memory only */ }
    delete memory[key];
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
  var ID_RE = /(^|[^0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])/g;
  function maskIds(text) { return text.replace(ID_RE, "$1$2********$3"); }

  // -- safe text: text nodes, links only for http(s) URLs, tel: links for phone numbers -----

  // Full URLs, and bare host names of the usual public suffixes (jndj.osta.org.cn).
  var URL_RE = /(https?:\/\/[^\s<>"'“”‘’（）【】「」《》，。；！？、]+)|((?:[a-z0-9-]+\.)+(?:gov\.cn|org\.cn|com\.cn|cn|com|org|net)(?:\/[^\s<>"'“”‘’（）【】「」《》，。；！？、]*)?)/gi;
  // Landlines with their area code (0571-88888888, 0571 8888 8888), 400/800 numbers and the
  // hotline; not a run of digits inside a longer number (an ID, a certificate number).
  var PHONE_RE = /(?<![0-9A-Za-z*＊-])(0[1-9][0-9]{1,2}[- ]?[0-9]{3,4}[- ]?[0-9]{4}(?:-[0-9]{1,5})?|[48]00[- ]?[0-9]{3}[- ]?[0-9]{4}|12333)(?![0-9A-Za-z*＊])/g;

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

  function makeTel(number) {
    var a = document.createElement("a");
    a.href = "tel:" + number.replace(/[^0-9+]/g, "");
    a.className = "zjc-tel";
    a.textContent = number;
    return a;
  }

  function appendPhones(parent, text) {
    var last = 0;
    var match;
    PHONE_RE.lastIndex = 0;
    while ((match = PHONE_RE.exec(text)) !== null) {
      if (match.index > last) { parent.appendChild(document.createTextNode(text.slice(last, match.index))); }
      parent.appendChild(makeTel(match[0]));
      last = match.index + match[0].length;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
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
      if (start > last) { appendPhones(parent, text.slice(last, start)); }
      parent.appendChild(makeLink(href, trimmed));
      last = start + trimmed.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) { appendPhones(parent, text.slice(last)); }
  }

  // -- DOM (in a shadow root, so the host page's styles do not leak in) ---------------------

  var host = document.createElement("div");
  host.id = "zjcert-chat";
  host.setAttribute("data-transport", "connecting");
  host.setAttribute("data-session-id", sessionId);
  // Nothing is drawn before widget.css is there: unstyled, the panel would sit in the
  // host page's flow and focusing its input would scroll the page.
  host.style.display = "none";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function button(className, text) {
    var b = el("button", className, text);
    b.type = "button";
    return b;
  }

  var style = el("link");
  style.rel = "stylesheet";
  style.href = BASE + "widget.css";
  root.appendChild(style);

  var launcher = button("zjc-launcher", TEXT.launcher);
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
  var largeButton = button("zjc-large-toggle", TEXT.largeText);
  largeButton.setAttribute("aria-label", TEXT.largeTextLabel);
  largeButton.setAttribute("aria-pressed", "false");
  var closeButton = button("zjc-close", "×");
  closeButton.setAttribute("aria-label", TEXT.close);
  header.appendChild(title);
  header.appendChild(largeButton);
  header.appendChild(closeButton);

  // Always visible under the title: the way to a person, and what the answers are worth.
  var service = el("div", "zjc-service");
  var human = makeTel(HOTLINE);
  human.className = "zjc-human";
  human.textContent = TEXT.human;
  var hours = el("span", "zjc-hours", TEXT.hours);
  service.appendChild(human);
  service.appendChild(hours);
  var disclaimer = el("p", "zjc-disclaimer", TEXT.disclaimer);

  var status = el("p", "zjc-status");
  status.setAttribute("role", "status");
  status.hidden = true;

  var body = el("div", "zjc-body");
  var log = el("div", "zjc-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.tabIndex = 0;
  log.setAttribute("aria-label", "对话记录");
  var intro = el("div", "zjc-intro");
  intro.appendChild(el("p", "zjc-intro-text", TEXT.intro));
  intro.appendChild(el("p", "zjc-intro-label", TEXT.suggestionsLabel));
  var suggestions = el("div", "zjc-buttons zjc-suggestions");
  TEXT.suggestions.forEach(function (question) {
    var b = button("zjc-button", question);
    b.addEventListener("click", function () { send(question); });
    suggestions.appendChild(b);
  });
  intro.appendChild(suggestions);

  var typing = el("div", "zjc-typing");
  typing.hidden = true;
  for (var i = 0; i < 3; i += 1) { typing.appendChild(el("span", "zjc-dot")); }
  // The dots are decoration; this region says it in words to screen readers.
  var typingAnnouncer = el("p", "zjc-sr-only");
  typingAnnouncer.setAttribute("role", "status");
  typingAnnouncer.setAttribute("aria-live", "polite");

  var newMessages = button("zjc-new-messages", TEXT.newMessages);
  newMessages.hidden = true;
  body.appendChild(log);
  body.appendChild(newMessages);

  var form = el("form", "zjc-form");
  var input = el("textarea", "zjc-input");
  input.rows = 1;
  input.maxLength = 500;
  input.placeholder = TEXT.placeholder;
  input.setAttribute("aria-label", TEXT.inputLabel);
  var sendButton = el("button", "zjc-send", TEXT.send);
  sendButton.type = "submit";
  form.appendChild(input);
  form.appendChild(sendButton);

  var footer = el("div", "zjc-footer");
  var clearButton = button("zjc-clear", TEXT.clear);
  footer.appendChild(clearButton);

  panel.appendChild(header);
  panel.appendChild(service);
  panel.appendChild(disclaimer);
  panel.appendChild(status);
  panel.appendChild(body);
  panel.appendChild(typingAnnouncer);
  panel.appendChild(form);
  panel.appendChild(footer);
  root.appendChild(launcher);
  root.appendChild(panel);

  // -- scrolling: stay at the latest message unless the visitor scrolled up -----------------

  function atBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < BOTTOM_SLACK_PX; }
  function scrollDown() {
    log.scrollTop = log.scrollHeight;
    newMessages.hidden = true;
  }
  log.addEventListener("scroll", function () { if (atBottom()) { newMessages.hidden = true; } });
  newMessages.addEventListener("click", function () { scrollDown(); input.focus({ preventScroll: true }); });

  // -- transcript ---------------------------------------------------------------------------

  // The raw text of messages that were not delivered (it may hold a full ID number, so it
  // stays in memory only): index in the transcript → text.
  var undelivered = {};

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
    if (item.tel && !bubble.querySelector("a.zjc-tel")) {
      bubble.appendChild(document.createTextNode(" "));
      bubble.appendChild(makeTel(item.tel));
    }
    row.appendChild(bubble);
    if (item.who === "user" && item.failed) { row.appendChild(failedMark(item, row)); }
    if (item.buttons && item.buttons.length) {
      var choices = el("div", "zjc-buttons");
      item.buttons.forEach(function (choice, index) {
        var b = button("zjc-button", choice.title);
        b.disabled = item.chosen !== undefined || !!item.used;
        if (item.chosen === index) {
          b.className += " zjc-chosen";
          b.setAttribute("aria-pressed", "true");
        }
        b.addEventListener("click", function () {
          if (item.chosen !== undefined || item.used) { return; }
          item.chosen = index;
          choices.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          b.className += " zjc-chosen";
          b.setAttribute("aria-pressed", "true");
          persist();
          send(choice.payload, choice.title);
        });
        choices.appendChild(b);
      });
      row.appendChild(choices);
    }
    item.row = row;
    log.insertBefore(row, typing);
  }

  function failedMark(item, row) {
    var mark = el("div", "zjc-failed");
    mark.appendChild(el("span", "zjc-failed-text", "⚠ " + TEXT.failed));
    var retry = button("zjc-retry", TEXT.retry);
    retry.addEventListener("click", function () { resend(item, row); });
    mark.appendChild(retry);
    row.className += " zjc-undelivered";
    return mark;
  }

  function persist() {
    // Notices about the connection are not part of the conversation; DOM rows are not data.
    save("transcript", transcript.filter(function (item) { return item.who !== "notice"; }).slice(-MAX_ITEMS)
      .map(function (item) {
        var copy = {};
        Object.keys(item).forEach(function (k) { if (k !== "row" && k !== "sending") { copy[k] = item[k]; } });
        return copy;
      }));
    save("updated", Date.now());
  }

  function addItem(item) {
    if (intro.parentNode) { intro.parentNode.removeChild(intro); }
    var follow = item.who === "user" || atBottom();
    transcript.push(item);
    if (transcript.length > MAX_ITEMS) { transcript = transcript.slice(-MAX_ITEMS); }
    persist();
    renderItem(item);
    if (follow || panel.hidden) { scrollDown(); } else { newMessages.hidden = false; }
    if (panel.hidden && item.who === "bot") {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
    }
  }

  // The applicant is told what is kept before giving an ID number for the first time.
  var ASKS_FOR_ID = /18位身份证号/;
  function privacyShown() { return transcript.some(function (item) { return item.who === "privacy"; }); }

  var unread = 0;
  function renderAll() {
    log.textContent = "";
    log.appendChild(intro);
    log.appendChild(typing);
    if (transcript.length) { log.removeChild(intro); }
    transcript.forEach(renderItem);
  }
  renderAll();

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
    typingAnnouncer.textContent = TEXT.typing;
    if (atBottom()) { scrollDown(); }
    clearTimeout(waiting);
    waiting = setTimeout(function () {
      hideTyping();
      addItem({ who: "notice", text: TEXT.noReply, tel: HOTLINE });
    }, REPLY_TIMEOUT_MS);
  }
  function hideTyping() {
    typing.hidden = true;
    typingAnnouncer.textContent = "";
    clearTimeout(waiting);
    waiting = null;
  }

  function receive(message) {
    var item = normalize(message);
    if (!item) { return; }
    hideTyping();
    if (item.text && ASKS_FOR_ID.test(item.text) && !privacyShown()) {
      addItem({ who: "privacy", text: TEXT.privacy });
    }
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
      sendUndelivered();
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
    probeRasa().then(function (up) { if (!up && !socketReady) { setStatus(TEXT.offline); } });
  }

  function probeRasa() {
    return fetch(RASA_URL + "/", { method: "GET", mode: "cors", cache: "no-store" })
      .then(function (r) { return r.ok; })
      .catch(function () { return false; });
  }

  // Undelivered messages go again as soon as Rasa answers: on socket.io's reconnection, or
  // when a probe of the REST channel succeeds.
  var retryTimer = null;
  function watchForRasa() {
    if (retryTimer || !RASA_URL) { return; }
    retryTimer = setInterval(function () {
      if (!Object.keys(undelivered).length) { clearInterval(retryTimer); retryTimer = null; return; }
      if (socketReady) { return; }  // session_confirm sends them
      probeRasa().then(function (up) { if (up) { setStatus(null); sendUndelivered(); } });
    }, RETRY_PROBE_MS);
  }

  function sendUndelivered() {
    transcript.forEach(function (item) {
      if (item.who === "user" && item.failed && undelivered[item.id] !== undefined) { resend(item, item.row); }
    });
  }

  function markFailed(item) {
    if (!item || item.failed) { return; }
    item.failed = true;
    persist();
    if (item.row) { item.row.appendChild(failedMark(item, item.row)); }
    watchForRasa();
  }

  function markDelivered(item) {
    if (!item) { return; }
    delete undelivered[item.id];
    if (!item.failed) { return; }
    delete item.failed;
    persist();
    if (item.row) {
      item.row.className = item.row.className.replace(" zjc-undelivered", "");
      var mark = item.row.querySelector(".zjc-failed");
      if (mark) { item.row.removeChild(mark); }
    }
  }

  function sendRest(text, item) {
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
      if (item) { item.sending = false; }
      hideTyping();
      setStatus(null);
      markDelivered(item);
      (Array.isArray(messages) ? messages : []).forEach(receive);
    }).catch(function () {
      clearTimeout(timer);
      hideTyping();
      setStatus(TEXT.offline);
      if (item) { item.sending = false; }
      var mark = item && item.row && item.row.querySelector(".zjc-failed-text");
      if (mark) { mark.textContent = "⚠ " + TEXT.failed; }
      if (item && !item.failed) { addItem({ who: "notice", text: TEXT.unreachable, tel: HOTLINE }); }
      markFailed(item);
    });
  }

  function deliver(text, item) {
    showTyping();
    if (socket && socketReady && socket.connected) {
      socket.emit("user_uttered", { message: text, session_id: sessionId });
      markDelivered(item);
    } else if (RASA_URL) {
      sendRest(text, item);
    } else {
      hideTyping();
      addItem({ who: "notice", text: TEXT.unreachable, tel: HOTLINE });
      markFailed(item);
    }
  }

  function send(payload, shown) {
    var text = String(payload || "").trim();
    if (!text) { return; }
    var item = { who: "user", text: maskIds(shown || text), id: newSessionId().slice(0, 12) };
    undelivered[item.id] = text;
    addItem(item);
    deliver(text, item);
  }

  function resend(item, row) {
    if (item.sending) { return; }  // the socket's reconnection and the probe may both try
    var text = undelivered[item.id];
    if (text === undefined) {
      // After a reload only the masked text is left: a masked ID number cannot be sent
      // again, so the visitor gets the text back to complete it.
      if (/\*{8}/.test(item.text)) {
        input.value = item.text;
        fitInput();
        input.focus({ preventScroll: true });
        return;
      }
      text = item.text;
      undelivered[item.id] = text;
    }
    var mark = row && row.querySelector(".zjc-failed-text");
    if (mark) { mark.textContent = TEXT.retrying; }
    if (socket && socketReady && socket.connected) {
      showTyping();
      socket.emit("user_uttered", { message: text, session_id: sessionId });
      markDelivered(item);
    } else if (RASA_URL) {
      item.sending = true;
      probeRasa().then(function (up) {
        if (!up || !item.failed) {
          item.sending = false;
          if (mark) { mark.textContent = "⚠ " + TEXT.failed; }
          watchForRasa();
          return;
        }
        showTyping();
        sendRest(text, item);
      });
    }
  }

  // -- ending the conversation (shared public computers) --------------------------------------

  function clearConversation() {
    hideTyping();
    transcript = [];
    undelivered = {};
    forget("transcript");
    forget("updated");
    sessionId = newSessionId();
    save("session_id", sessionId);
    host.setAttribute("data-session-id", sessionId);
    renderAll();
    addItem({ who: "notice", text: TEXT.cleared });
    // the notice is not kept, and the empty chat offers its questions again
    log.insertBefore(intro, typing);
    if (socket) {
      socketReady = false;
      socket.disconnect();
      socket.connect();
    }
    input.value = "";
    fitInput();
    input.focus({ preventScroll: true });
  }

  // -- larger text (适老化) -------------------------------------------------------------------

  function setLarge(large) {
    panel.classList.toggle("zjc-large", large);
    largeButton.setAttribute("aria-pressed", large ? "true" : "false");
    save("large", large);
  }

  // -- opening, closing, typing ---------------------------------------------------------------

  var fullScreen = window.matchMedia ? window.matchMedia("(max-width: 480px)") : { matches: false };

  function setOpen(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    panel.setAttribute("aria-modal", open && fullScreen.matches ? "true" : "false");
    save("open", open);
    if (open) {
      unread = 0;
      badge.hidden = true;
      scrollDown();
      input.focus({ preventScroll: true });
    } else {
      launcher.focus({ preventScroll: true });
    }
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, a[href], textarea, [tabindex='0']"),
      function (node) { return !node.disabled && node.getClientRects().length > 0; });
  }

  // While the panel covers the whole screen (phones), Tab stays inside it.
  function trapFocus(event) {
    if (event.key !== "Tab" || !fullScreen.matches || panel.hidden) { return; }
    var nodes = focusables();
    if (!nodes.length) { return; }
    var first = nodes[0];
    var last = nodes[nodes.length - 1];
    var current = root.activeElement;
    if (event.shiftKey && (current === first || nodes.indexOf(current) < 0)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (current === last || nodes.indexOf(current) < 0)) {
      event.preventDefault();
      first.focus();
    }
  }

  launcher.addEventListener("click", function () { setOpen(true); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  largeButton.addEventListener("click", function () { setLarge(!panel.classList.contains("zjc-large")); });
  clearButton.addEventListener("click", clearConversation);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); return; }
    trapFocus(event);
  });
  // Focus that reaches the host page while the full-screen panel is open comes back.
  document.addEventListener("focusin", function (event) {
    if (!panel.hidden && fullScreen.matches && event.target !== host) { input.focus({ preventScroll: true }); }
  });
  // The input grows with what is typed (up to widget.css's max-height): no line is hidden.
  function fitInput() {
    input.style.height = "auto";
    if (input.value) { input.style.height = (input.scrollHeight + input.offsetHeight - input.clientHeight) + "px"; }
  }
  input.addEventListener("input", fitInput);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    fitInput();
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  var styled = false;
  function showWidget() {
    if (styled) { return; }
    styled = true;
    host.style.display = "";
    if (load("large", false)) { setLarge(true); }
    if (load("open", false)) { setOpen(true); }
    // Open at the latest message (only now does the log have its height).
    scrollDown();
  }

  function start() {
    document.body.appendChild(host);
    style.addEventListener("load", showWidget);
    style.addEventListener("error", showWidget);
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
