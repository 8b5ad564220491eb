/*
 * 12333热线坐席助手: agents put a caller's question to the assistant (through the
 * backend's POST /api/v1/hotline/ask, staff token) and read its answer with the rule it
 * rests on; they look a caller's certificates up through POST /api/v1/status.
 * The token stays in sessionStorage (this tab only). Answers are written as text nodes.
 * An agent signed in with a staff account (the console's session cookie, /staff) needs no
 * token: look-ups then go to POST /api/v1/staff/status, limited per account and audited
 * with the account's name, instead of the public endpoint a whole call centre shares.
 */
(function () {
  "use strict";

  var API = "/api/v1";
  var NO_SOURCE = "（该回答未标注依据）";
  var KIND = { mail: "邮寄", proxy: "委托代领", organization: "单位领取" };
  var $ = function (id) { return document.getElementById(id); };

  function stored(key) { try { return window.sessionStorage.getItem("hotline." + key); } catch (e) { return null; } }
  function store(key, value) {
    try {
      if (value === null) { window.sessionStorage.removeItem("hotline." + key); } else { window.sessionStorage.setItem("hotline." + key, value); }
    } catch (e) { /* this tab keeps nothing */ }
  }

  function randomId() {
    var bytes = new Uint8Array(6);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // Links only for http(s) URLs; everything else stays text.
  var URL_RE = /https?:\/\/[^\s<>"'“”‘’（）【】「」《》，。；！？、]+/g;
  function appendLinkified(parent, text) {
    var last = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      var raw = match[0].replace(/[.,;:!?)\]]+$/, "");
      var href = null;
      try { var url = new URL(raw); if (url.protocol === "http:" || url.protocol === "https:") { href = url.href; } } catch (e) { href = null; }
      if (!href) { continue; }
      if (match.index > last) { parent.appendChild(document.createTextNode(text.slice(last, match.index))); }
      var a = el("a", null, raw);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      parent.appendChild(a);
      last = match.index + raw.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
  }

  // A caller's ID number in a question stays on screen masked (330106********0018).
  function maskIds(text) {
    return text.replace(/(^|[^0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])/g, "$1$2********$3");
  }

  function showError(node, text) { node.textContent = text || ""; node.hidden = !text; }

  // The signed-in account ({username, csrf_token}) or null: the token is used then.
  var account = null;

  async function call(path, body, withToken) {
    var headers = { "Content-Type": "application/json" };
    if (withToken && account) { headers["X-CSRF-Token"] = account.csrf_token; } else if (withToken) { headers.Authorization = "Bearer " + (stored("token") || ""); }
    var response;
    try {
      response = await fetch(API + path, { method: "POST", headers: headers, body: JSON.stringify(body) });
    } catch (e) {
      return { ok: false, status: 0, data: { message: "无法连接服务，请检查网络后重试。" } };
    }
    var data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, data: data || {} };
  }

  // -- login -----------------------------------------------------------------------------------

  function conversation() {
    var id = stored("call");
    if (!id) { id = randomId(); store("call", id); }
    return (stored("agent") + "-" + id).slice(0, 64);
  }

  function showDesk(loggedIn) {
    $("login").hidden = loggedIn;
    $("desk").hidden = !loggedIn;
    $("logout").hidden = !loggedIn;
    if (loggedIn) {
      $("call-label").textContent = "坐席 " + stored("agent") + " · 当前来电 " + stored("call");
      $("question").focus();
    }
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    store("token", $("token").value.trim());
    store("agent", $("agent").value.trim());
    store("call", randomId());
    $("token").value = "";
    showDesk(true);
  });

  $("logout").addEventListener("click", function () {
    store("token", null);
    store("call", null);
    $("answers").textContent = "";
    $("status-result").textContent = "";
    showDesk(false);
  });

  $("new-call").addEventListener("click", function () {
    store("call", randomId());
    $("answers").textContent = "";
    $("status-result").textContent = "";
    showError($("ask-error"), null);
    showError($("status-error"), null);
    showDesk(true);
  });

  function loggedOut(message) {
    store("token", null);
    showDesk(false);
    showError($("ask-error"), null);
    var hint = document.querySelector("#login .hint");
    hint.textContent = message;
  }

  // -- asking the assistant -------------------------------------------------------------------

  // A prompt (a form's question, a request to type something again) states no rule: it gets
  // no citation line. Everything else shows its source, or that it has none.
  function isPrompt(message) {
    var name = message.response || "";
    var text = (message.text || "").trim();
    return /^utter_(ask|invalid)_/.test(name) || /[？?]$/.test(text);
  }

  function renderTurn(question, messages) {
    var turn = el("div", "turn");
    turn.appendChild(el("div", "turn-q", "问：" + maskIds(question)));
    if (!messages.length) { turn.appendChild(el("p", "muted", "智能客服没有给出答复。")); }
    messages.forEach(function (message) {
      var answer = el("div", "answer");
      // The response's name helps whoever maintains the domain, not the agent: kept as data only.
      if (message.response) { answer.setAttribute("data-response", message.response); }
      var text = el("div", "answer-text");
      appendLinkified(text, message.text || "");
      answer.appendChild(text);
      if (message.buttons && message.buttons.length) {
        answer.appendChild(el("div", "choices", "可选回复：" + message.buttons.map(function (b) { return b.title; }).join("、")));
      }
      var source = message.source;
      if (source) {
        answer.appendChild(el("div", "citation", "依据：" + source));
      } else if (!isPrompt(message)) {
        answer.appendChild(el("div", "citation none", NO_SOURCE));
      }
      turn.appendChild(answer);
    });
    var answers = $("answers");
    answers.insertBefore(turn, answers.firstChild);
  }

  $("ask-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var question = $("question").value.trim();
    if (!question) { return; }
    var button = $("ask");
    button.disabled = true;
    button.textContent = "查询中…";
    showError($("ask-error"), null);
    var result = await call("/hotline/ask", { question: question, conversation: conversation() }, true);
    button.disabled = false;
    button.textContent = "查询答复";
    if (result.status === 401) { loggedOut("令牌无效，请重新输入。"); return; }
    if (!result.ok) { showError($("ask-error"), result.data.message || "查询失败，请稍后再试。"); return; }
    $("question").value = "";
    renderTurn(question, result.data.messages || []);
  });

  // Enter asks; Shift+Enter starts a new line (and Enter that confirms an IME's word does neither).
  $("question").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });

  // -- status look-up ---------------------------------------------------------------------------

  function row(list, term, value) {
    if (value === null || value === undefined || value === "") { return; }
    list.appendChild(el("dt", null, term));
    list.appendChild(el("dd", null, value));
  }

  function renderStatus(data) {
    var box = $("status-result");
    box.textContent = "";
    var who = el("dl");
    row(who, "姓名", data.name);
    row(who, "身份证号", data.id_number_masked);
    box.appendChild(who);
    (data.certificates || []).forEach(function (c) {
      var card = el("div", "cert");
      var list = el("dl");
      row(list, "证书", (c.occupation || "") + (c.level || ""));
      row(list, "证书编号", c.certificate_no);
      row(list, "状态", c.state_label);
      row(list, "鉴定批次", c.batch_no);
      if (c.office) { row(list, "领证机构", c.office.name + "（" + (c.office.phone || "") + "）"); }
      if (c.notice) { row(list, "通知发布", c.notice.published_on); }
      if (c.deadline) {
        // The backend's one reading: 10 working days after the notice, 全国统考 30 after the blanks arrived.
        var rule = c.deadline.rule === "national_exam" ? "（全国统考，自空白证书送达" + c.deadline.counted_from + "起30个工作日）"
                                                       : "（自通知发布起10个工作日）";
        var left = typeof c.deadline.working_days_left === "number"
          ? "，还剩" + c.deadline.working_days_left + "个工作日（含当日）" : "";
        row(list, "最后领取日", c.deadline.date + "（含当日）" + rule + (c.deadline.passed ? "，已过期" : "") + left +
            (c.deadline.estimated ? "，按周末估算" : ""));
      }
      if (c.application) {
        row(list, "申请", (KIND[c.application.kind] || c.application.kind) + " " + c.application.number +
            "，当前环节：" + c.application.state_label);
        if (c.application.delivery) {
          row(list, "快递", c.application.delivery.express_company + " " + c.application.delivery.tracking_no);
        }
      }
      if (c.refused_application) {
        row(list, "未受理的申请", (KIND[c.refused_application.kind] || c.refused_application.kind) + " " +
            c.refused_application.number + "，" + c.refused_application.state_label + "（" +
            c.refused_application.decided_on + "），原因：" + (c.refused_application.reason || "未填写"));
      }
      if (c.collection) { row(list, "已领取", c.collection.collected_on + "（" + c.collection.method + "）"); }
      card.appendChild(list);
      box.appendChild(card);
    });
  }

  $("status-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    showError($("status-error"), null);
    $("status-result").textContent = "";
    var query = { name: $("status-name").value.trim(), id_number: $("status-id").value.trim() };
    var result = account ? await call("/staff/status", query, true) : await call("/status", query, false);
    if (!result.ok) { showError($("status-error"), result.data.message || "查询失败，请稍后再试。"); return; }
    $("status-id").value = "";  // the full number stays on screen no longer than needed
    renderStatus(result.data);
  });

  async function signedInAccount() {
    try {
      var response = await fetch(API + "/staff/session", { credentials: "same-origin" });
      if (!response.ok) { return null; }
      var data = await response.json();
      return data.csrf_token ? data : null;
    } catch (e) { return null; }
  }

  (async function start() {
    account = await signedInAccount();
    if (account) {
      store("agent", account.username.replace(/[^A-Za-z0-9_-]/g, "-"));
      if (!stored("call")) { store("call", randomId()); }
      document.querySelector("#status-title").textContent = "证书状态查询（账号 " + account.username + "，按账号限额并记入审计）";
      showDesk(true);
      $("logout").hidden = true;  // signing out is the console's (/staff)
      return;
    }
    showDesk(!!stored("token") && !!stored("agent"));
  }());
}());
