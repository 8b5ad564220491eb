// The console's views. Each renders into its container from the backend's answers; nothing
// the backend sends is parsed as HTML. Every view has an empty state and shows the backend's
// own message when something is refused.
import { get, post, put, upload } from "/staff/api.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) { continue; }
    if (key === "class") { node.className = value; } else if (key === "text") { node.textContent = String(value); } else if (key.startsWith("on")) { node.addEventListener(key.slice(2), value); } else { node.setAttribute(key, value === true ? "" : String(value)); }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) { continue; }
    node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

function table(headers, rows, caption) {
  return el("table", {}, caption ? el("caption", { text: caption }) : null,
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows));
}

// replaceChildren without the nulls that mark "nothing here".
function show(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false && c !== ""));
}

const empty = (text) => el("p", { class: "empty", text });
const alertBox = (text) => el("p", { class: "error", role: "alert", text });
const okBox = (text) => el("p", { class: "ok", role: "status", text });
const field = (label, input, hint) => el("label", {}, label, " ", input, hint ? el("span", { class: "hint", text: hint }) : null);

function officeSelect(ctx, { all = false, id } = {}) {
  const select = el("select", { id });
  if (all) { select.appendChild(el("option", { value: "", text: "全部（本账号所辖）" })); }
  for (const office of ctx.me.offices) {
    select.appendChild(el("option", { value: office.code, text: `${office.name}（${office.code}）` }));
  }
  if (!all && ctx.me.office_code) { select.value = ctx.me.office_code; }
  return select;
}

function handle(result, ctx, box) {
  if (result.status === 401) { ctx.expired(); return false; }
  if (!result.ok) { show(box, alertBox(result.data.message)); return false; }
  return true;
}

async function serverToday() {
  const result = await get("/working-days/check");
  return result.ok ? result.data.date : new Date().toISOString().slice(0, 10);
}

function deadlineText(deadline) {
  if (!deadline) { return "—"; }
  return `${deadline.date}${deadline.estimated ? "（预估：该年节假日安排未知）" : ""}${deadline.passed ? "，已过期" : ""}`;
}

// -- 导入名单 ------------------------------------------------------------------------------

async function importView(root, ctx) {
  const office = officeSelect(ctx, { id: "import-office" });
  const examType = el("select", { id: "import-exam" }, el("option", { value: "local", text: "本地鉴定" }),
    el("option", { value: "national", text: "全国统考" }));
  const blanks = el("input", { type: "date", id: "import-blanks" });
  const blanksField = field("空白证书送达日期", blanks);
  blanksField.hidden = true;
  examType.addEventListener("change", () => { blanksField.hidden = examType.value !== "national"; });
  const file = el("input", { type: "file", id: "import-file", accept: ".csv,.xlsx", required: true });
  const previewButton = el("button", { type: "submit", text: "预览（不写入）" });
  const importButton = el("button", { type: "button", id: "import-confirm", disabled: true, text: "确认导入" });
  const out = el("div", { id: "import-result", "aria-live": "polite" }, empty("选择公布名单文件（CSV 或 XLSX，表头：姓名、身份证号、证书编号、职业、等级、鉴定批次号），先预览，确认无误后导入。"));
  file.addEventListener("change", () => { importButton.disabled = true; });

  const formData = (dryRun) => {
    const data = new FormData();
    data.set("file", file.files[0]);
    data.set("office_code", office.value);
    data.set("exam_type", examType.value);
    if (examType.value === "national" && blanks.value) { data.set("blanks_arrived_on", blanks.value); }
    if (dryRun) { data.set("dry_run", "true"); }
    return data;
  };
  const summary = (data, done) => el("div", {},
    done ? okBox(`已导入 ${data.imported} 本证书（${data.unchanged} 本已在名单中，未改动）。`)
         : okBox(`预览通过：将导入 ${data.imported} 本证书，${data.unchanged} 本已在名单中。尚未写入，请确认导入。`),
    data.batches.length ? table(["鉴定批次号", "职业", "等级", "证书本数"], data.batches.map((b) =>
      el("tr", {}, el("td", { text: b.batch_no }), el("td", { text: b.occupation }), el("td", { text: b.level }),
        el("td", { text: b.certificates })))) : null,
    data.warnings.length ? el("div", { class: "warnings" }, el("h3", { text: "提示（不影响导入）" }),
      el("ul", {}, data.warnings.map((w) => el("li", { text: `第${w.line}行：${w.message}` })))) : null,
    done && data.batches.length ? el("button", { type: "button", class: "secondary", text: "为这些批次发布领取通知",
      onclick: () => { sessionStorage.setItem("console.batches", [...new Set(data.batches.map((b) => b.batch_no))].join("\n")); ctx.open("publish"); } }) : null);

  const form = el("form", { id: "import-form" }, field("领证机构", office), field("考试类型", examType), blanksField,
    field("名单文件", file), el("div", { class: "row" }, previewButton, importButton));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!file.files.length) { show(out, alertBox("请选择名单文件。")); return; }
    previewButton.disabled = true;
    const result = await upload("/staff/lists", formData(true));
    previewButton.disabled = false;
    importButton.disabled = true;
    if (result.status === 401) { ctx.expired(); return; }
    if (!result.ok) {
      const errors = (result.data.details && result.data.details.errors) || [];
      show(out, alertBox(result.data.message), errors.length ? table(["行号", "原因"], errors.map((e) =>
        el("tr", {}, el("td", { text: e.line }), el("td", { text: e.reason }))), "不符合要求的行") : null);
      return;
    }
    show(out, summary(result.data, false));
    importButton.disabled = false;
    importButton.focus();
  });
  importButton.addEventListener("click", async () => {
    importButton.disabled = true;
    const result = await upload("/staff/lists", formData(false));
    if (!handle(result, ctx, out)) { return; }
    show(out, summary(result.data, true));
  });
  root.append(el("h2", { text: "导入公布名单" }), form, out);
}

// -- 发布通知 ------------------------------------------------------------------------------

const FATES = { sent: "已送达", pending: "等待发送", sending: "发送中", failed: "发送失败", unknown: "结果未知（不再重发）" };

function fate(d) {
  if (d.state === "pending" && d.attempts > 0) { return "重试中"; }
  return FATES[d.state] || d.state;
}

async function publishView(root, ctx) {
  const office = officeSelect(ctx, { id: "publish-office" });
  const batches = el("textarea", { id: "publish-batches", rows: 3, required: true, placeholder: "每行一个鉴定批次号" });
  batches.value = sessionStorage.getItem("console.batches") || "";
  sessionStorage.removeItem("console.batches");
  const publishedOn = el("input", { type: "date", id: "publish-date", required: true });
  publishedOn.value = await serverToday();
  const title = el("input", { id: "publish-title", maxlength: 200, placeholder: "可不填" });
  const confirm = el("button", { type: "button", id: "publish-confirm", disabled: true, text: "确认发布" });
  const out = el("div", { id: "publish-result", "aria-live": "polite" }, empty("填写批次号并预览：可看到每个批次的最后领取日和将收到通知的订阅人数。"));
  const live = el("div", { id: "deliveries", "aria-live": "polite" });
  let timer = null;
  ctx.onLeave(() => { if (timer) { clearTimeout(timer); } });
  const body = () => ({ office_code: office.value, published_on: publishedOn.value, title: title.value.trim() || null,
    batch_nos: batches.value.split(/\n+/).map((s) => s.trim()).filter(Boolean) });
  const noticeBox = (data, done) => el("div", {},
    done ? okBox(`通知已发布（编号 ${data.id}），共 ${data.certificates} 本证书；已通知排队 ${data.subscribers_queued} 个订阅会话。`)
         : okBox(`预览：${data.certificates} 本证书，发布后将通知 ${data.subscribers_queued} 个订阅会话。尚未发布。`),
    table(["鉴定批次号", "职业", "等级", "类型", "最后领取日"], data.batches.map((b) => el("tr", {},
      el("td", { text: b.batch_no }), el("td", { text: b.occupation }), el("td", { text: b.level }),
      el("td", { text: b.exam_type === "national" ? "全国统考" : "本地鉴定" }),
      el("td", { class: b.deadline && b.deadline.estimated ? "estimated" : null, text: deadlineText(b.deadline) })))),
    (data.warnings || []).map((w) => el("p", { class: "warning", text: w.message })));

  async function poll(noticeId) {
    const result = await get(`/staff/notices/${noticeId}/deliveries`);
    if (!handle(result, ctx, live)) { return; }
    const rows = result.data.deliveries;
    const counts = {};
    rows.forEach((d) => { const f = fate(d); counts[f] = (counts[f] || 0) + 1; });
    show(live, el("h3", { text: "通知送达情况（自动刷新）" }),
      rows.length ? el("p", { class: "counts", text: Object.entries(counts).map(([k, v]) => `${k} ${v}`).join("　") }) : empty("没有订阅该批次的会话，无需推送。"),
      rows.length ? table(["渠道", "会话", "状态", "尝试次数", "说明"], rows.map((d) => el("tr", { "data-state": d.state },
        el("td", { text: d.channel }), el("td", { text: "…" + String(d.conversation_id).slice(-4) }),
        el("td", { class: "fate", text: fate(d) }), el("td", { text: d.attempts }), el("td", { text: d.last_error || "" })))) : null);
    if (rows.some((d) => d.state === "pending" || d.state === "sending")) { timer = setTimeout(() => poll(noticeId), 2000); }
  }

  const form = el("form", { id: "publish-form" }, field("领证机构", office), field("鉴定批次号", batches),
    field("发布日期", publishedOn), field("标题", title), el("div", { class: "row" }, el("button", { type: "submit", text: "预览" }), confirm));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    const result = await post("/staff/notices/preview", body());
    if (!handle(result, ctx, out)) { return; }
    show(out, noticeBox(result.data, false));
    confirm.disabled = false;
    confirm.focus();
  });
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    const result = await post("/staff/notices", body());
    if (!handle(result, ctx, out)) { return; }
    show(out, noticeBox(result.data, true));
    poll(result.data.id);
  });
  root.append(el("h2", { text: "发布领取通知" }), form, out, live);
}

// -- 办件队列 ------------------------------------------------------------------------------

const KINDS = { mail: "邮寄", proxy: "委托代领", organization: "单位领取" };

function actionPanel(app, ctx, reload) {
  const box = el("div", { class: "actions", id: `actions-${app.number}` });
  const message = el("div", { "aria-live": "polite" });
  const rows = [
    el("p", {}, `申请人：${app.applicant_name}${app.applicant_id_masked ? "（" + app.applicant_id_masked + "）" : ""}`,
      app.phone ? `　电话：${app.phone}` : "", app.address ? `　地址：${app.address}` : "",
      app.proxy_name ? `　代领人：${app.proxy_name}` : ""),
    el("p", { text: "进度：" + app.steps.map((s) => `${s.label}（${s.at.slice(0, 10)}）`).join(" → ") }),
  ];
  if (app.kind === "organization") {
    // The 签收单 is a page of its own (the backend fills the roster), printed on A4 from there.
    rows.push(el("p", {}, `单位：${app.organization_name}　人数：${app.headcount}　来领日期：${app.visit_date || "—"}　`,
      el("a", { class: "button secondary", id: `receipt-${app.number}`, target: "_blank", rel: "noopener",
        href: `/staff/applications/${encodeURIComponent(app.number)}/receipt`, text: "打印签收单" })));
  }
  if (!ctx.me.read_only && app.next_states.length) {
    const choice = el("select", { "aria-label": "下一步" }, app.next_states.map((s) => el("option", { value: s.state, text: s.label })));
    const reason = el("input", { maxlength: 300, "aria-label": "原因", placeholder: "不予受理或退回时必填，申请人会收到" });
    const company = el("input", { maxlength: 50, "aria-label": "快递公司" });
    const tracking = el("input", { maxlength: 50, "aria-label": "运单号" });
    const reasonField = field("原因", reason);
    const expressFields = el("span", {}, field("快递公司", company), field("运单号", tracking));
    const sync = () => {
      reasonField.hidden = !["rejected", "returned"].includes(choice.value);
      expressFields.hidden = choice.value !== "delivered";
    };
    choice.addEventListener("change", sync);
    sync();
    const form = el("form", { class: "row" }, field("下一步", choice), reasonField, expressFields,
      el("button", { type: "submit", text: "办理" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { to: choice.value };
      if (!reasonField.hidden) { body.reason = reason.value.trim(); }
      if (!expressFields.hidden) { body.express_company = company.value.trim(); body.tracking_no = tracking.value.trim(); }
      const result = await post(`/staff/applications/${encodeURIComponent(app.number)}/transitions`, body);
      if (!handle(result, ctx, message)) { return; }
      await reload(`申请 ${app.number} 已办理：${result.data.state_label}。`);
    });
    rows.push(form);
  }
  box.append(...rows, message);
  return box;
}

async function queueView(root, ctx) {
  const office = officeSelect(ctx, { all: true, id: "queue-office" });
  const kind = el("select", { id: "queue-kind" }, el("option", { value: "", text: "全部类型" }),
    Object.entries(KINDS).map(([k, v]) => el("option", { value: k, text: v })));
  const finished = el("input", { type: "checkbox", id: "queue-finished" });
  const out = el("div", { id: "queue-result", "aria-live": "polite" });
  const note = el("div", { "aria-live": "polite" });
  async function load(done) {
    const result = await get("/staff/applications", { office_code: office.value, kind: kind.value, include_finished: finished.checked ? "true" : "" });
    if (!handle(result, ctx, out)) { return; }
    show(note, done ? okBox(done) : "");
    const apps = result.data.applications;
    if (!apps.length) { show(out, empty("当前没有待办的申请。")); return; }
    const detail = el("div", { id: "queue-detail" });
    const openPanel = (a) => {
      show(detail, actionPanel(a, ctx, load));
      const first = detail.querySelector("select, button");
      if (first) { first.focus(); }
    };
    const rows = apps.map((a) => el("tr", { class: a.overdue ? "overdue" : null, "data-number": a.number },
      el("td", { text: a.number }), el("td", { text: KINDS[a.kind] }),
      el("td", { text: a.organization_name || `${a.applicant_name} ${a.applicant_id_masked || ""}` }),
      el("td", { text: a.certificate ? `${a.certificate.occupation}${a.certificate.level} ${a.certificate.certificate_no}`
                                     : (a.batch ? `${a.batch.batch_no} ${a.batch.occupation}${a.batch.level}` : "") }),
      el("td", { text: a.state_label }),
      el("td", {}, a.due_on || "—", a.overdue ? el("strong", { class: "badge", text: "逾期" }) : null),
      el("td", {}, el("button", { type: "button", class: "secondary", text: ctx.me.read_only ? "查看" : "办理",
        onclick: () => openPanel(a) }))));
    show(out, table(["申请编号", "类型", "申请人", "证书/批次", "状态", "应送达日期", ""], rows,
      "按应送达日期排列，逾期在前"), detail);
  }
  for (const control of [office, kind, finished]) { control.addEventListener("change", () => load()); }
  root.append(el("h2", { text: "办件队列" }), el("div", { class: "row filters" }, field("机构", office), field("类型", kind), field("含已办结", finished)), note, out);
  await load();
}

// -- 窗口领取 ------------------------------------------------------------------------------

async function counterView(root, ctx) {
  const name = el("input", { id: "counter-name", maxlength: 50, required: true });
  const id = el("input", { id: "counter-id", maxlength: 18, required: true, autocomplete: "off" });
  const out = el("div", { id: "counter-result", "aria-live": "polite" }, empty("输入领证人的姓名和身份证号查找证书。"));
  const form = el("form", { id: "counter-form", class: "row" }, field("姓名", name), field("身份证号", id), el("button", { type: "submit", text: "查找" }));
  let last = null;
  async function find(done) {
    const result = await post("/staff/status", last);
    if (!handle(result, ctx, out)) { return; }
    render(result.data, done);
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    last = { name: name.value.trim(), id_number: id.value.trim() };
    id.value = "";  // the full number leaves the screen; the answer shows it masked
    await find();
  });
  function render(data, done) {
    const certs = data.certificates;
    const checks = certs.map((c) => el("input", { type: "checkbox", value: c.certificate_no, disabled: c.state !== "ready", checked: c.state === "ready", "aria-label": `选择证书 ${c.certificate_no}` }));
    const method = el("select", { id: "counter-method" }, ["本人", "代领", "单位"].map((m) => el("option", { value: m, text: m })));
    const collector = el("input", { id: "counter-collector", maxlength: 50, value: data.name });
    const application = el("input", { id: "counter-application", maxlength: 32, placeholder: "有网上申请时填写" });
    const proxyName = el("input", { maxlength: 50 });
    const proxyId = el("input", { maxlength: 18, autocomplete: "off" });
    const orgName = el("input", { maxlength: 100 });
    const orgCollectorId = el("input", { maxlength: 18, autocomplete: "off" });
    const signed = el("input", { type: "checkbox", id: "counter-signed", checked: true });
    const walkIn = el("fieldset", { class: "walk-in" }, el("legend", { text: "现场办理（无网上申请）" }));
    const proxyFields = el("span", {}, field("代领人姓名", proxyName), field("代领人身份证号", proxyId));
    const orgFields = el("span", {}, field("单位名称", orgName), field("经办人身份证号", orgCollectorId));
    walkIn.append(proxyFields, orgFields);
    const sync = () => {
      walkIn.hidden = method.value === "本人";
      proxyFields.hidden = method.value !== "代领";
      orgFields.hidden = method.value !== "单位";
      application.parentElement.hidden = method.value === "本人";
    };
    method.addEventListener("change", sync);
    const message = el("div", { "aria-live": "polite" }, done ? okBox(done) : null);
    const record = el("form", { id: "collect-form" }, field("领取方式", method), field("领取人", collector), field("申请编号", application), walkIn,
      field("已签收", signed), el("button", { type: "submit", text: "登记领取" }));
    sync();
    record.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { certificate_nos: checks.filter((c) => c.checked && !c.disabled).map((c) => c.value), method: method.value,
        collector_name: collector.value.trim() || null, receipt_signed: signed.checked };
      if (!body.certificate_nos.length) { show(message, alertBox("没有可领取的证书。")); return; }
      if (method.value !== "本人") {
        if (application.value.trim()) { body.application_number = application.value.trim(); } else if (method.value === "代领") {
          body.walk_in = { proxy_name: proxyName.value.trim(), proxy_id_number: proxyId.value.trim() };
        } else {
          body.walk_in = { organization_name: orgName.value.trim(), collector_name: collector.value.trim(), collector_id_number: orgCollectorId.value.trim() };
        }
      }
      const result = await post("/staff/collections", body);
      if (!handle(result, ctx, message)) { return; }
      await find(`已登记领取 ${result.data.collected.length} 本（${result.data.method}）。`);
    });
    show(out, el("p", { class: "holder", text: `${data.name}　${data.id_number_masked}` }),
      table(["", "证书", "证书编号", "状态", "领证机构", "最后领取日"], certs.map((c, i) => el("tr", {},
        el("td", {}, checks[i]), el("td", { text: `${c.occupation}${c.level}` }), el("td", { text: c.certificate_no }),
        el("td", { text: c.state_label + (c.collection ? `（${c.collection.method}，${c.collection.collected_on}）` : "") }),
        el("td", { text: c.office ? c.office.name : "" }), el("td", { text: deadlineText(c.deadline) })))),
      ctx.me.read_only ? null : (checks.some((c) => !c.disabled) ? record : empty("没有可领取的证书：已领取、已寄出或尚未发布通知。")), message);
  }
  root.append(el("h2", { text: "窗口领取登记" }), form, out);
}

// -- 办件统计 ------------------------------------------------------------------------------

const METHOD_COLORS = { 本人: "#1f6feb", 代领: "#8250df", 单位: "#bf8700", 快递: "#1a7f37" };
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) { node.setAttribute(k, String(v)); }
  if (text !== undefined) { node.textContent = text; }
  return node;
}

function chart(byMonth) {
  const months = [...new Set(byMonth.map((r) => r.month))];
  const methods = [...new Set(byMonth.map((r) => r.method))];
  const totals = months.map((m) => byMonth.filter((r) => r.month === m).reduce((s, r) => s + r.cases, 0));
  const max = Math.max(1, ...totals);
  const width = 640, height = 220, left = 40, bottom = 30, barWidth = Math.min(60, (width - left) / months.length - 10);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height + 30}`, role: "img", "aria-label": "按月份和领取方式的办件数", class: "chart" });
  months.forEach((month, i) => {
    let y = height - bottom;
    const x = left + i * (barWidth + 10) + 5;
    for (const method of methods) {
      const row = byMonth.find((r) => r.month === month && r.method === method);
      if (!row) { continue; }
      const h = (row.cases / max) * (height - bottom - 20);
      y -= h;
      const rect = svg("rect", { x, y, width: barWidth, height: h, fill: METHOD_COLORS[method] || "#57606a" });
      rect.appendChild(svg("title", {}, `${month} ${method}：${row.cases}件`));
      root.appendChild(rect);
    }
    root.appendChild(svg("text", { x: x + barWidth / 2, y: height - bottom + 16, "text-anchor": "middle", "font-size": 12 }, month));
    root.appendChild(svg("text", { x: x + barWidth / 2, y: y - 4, "text-anchor": "middle", "font-size": 12 }, String(totals[i])));
  });
  methods.forEach((method, i) => {
    root.appendChild(svg("rect", { x: left + i * 90, y: height, width: 12, height: 12, fill: METHOD_COLORS[method] || "#57606a" }));
    root.appendChild(svg("text", { x: left + i * 90 + 16, y: height + 11, "font-size": 12 }, method));
  });
  return root;
}

async function statsView(root, ctx) {
  const today = await serverToday();
  const start = el("input", { type: "date", id: "stats-start", value: today.slice(0, 4) + "-01-01" });
  const end = el("input", { type: "date", id: "stats-end", value: today });
  const office = officeSelect(ctx, { all: true, id: "stats-office" });
  const out = el("div", { id: "stats-result", "aria-live": "polite" });
  const form = el("form", { class: "row" }, field("开始", start), field("结束", end), field("机构", office), el("button", { type: "submit", text: "统计" }));
  async function load() {
    const query = { start: start.value, end: end.value, office_code: office.value };
    const result = await get("/staff/statistics", query);
    if (!handle(result, ctx, out)) { return; }
    const s = result.data;
    const xlsx = new URL("/api/v1/staff/statistics", window.location.origin);
    for (const [k, v] of Object.entries({ ...query, format: "xlsx" })) { if (v) { xlsx.searchParams.set(k, v); } }
    const rate = s.on_time.rate === null ? "—（期间内无快递送达）" : `${(s.on_time.rate * 100).toFixed(1)}%（${s.on_time.on_time}/${s.on_time.delivered}）`;
    show(out, 
      el("dl", { class: "figures" },
        el("div", {}, el("dt", { text: "办件数" }), el("dd", { id: "stats-cases", text: s.cases })),
        el("div", {}, el("dt", { text: "个人领取" }), el("dd", { text: s.individual_cases })),
        el("div", {}, el("dt", { text: "单位领取" }), el("dd", { text: s.organization_cases })),
        el("div", {}, el("dt", { text: "证书本数" }), el("dd", { text: s.certificates })),
        el("div", {}, el("dt", { text: "快递按期送达率" }), el("dd", { id: "stats-on-time", text: rate }))),
      el("p", { class: "hint", text: "统计口径：个人领取一本证书计1件；单位领取同一职业同一等级的一批证书计1件。" }),
      s.cases ? chart(s.by_month) : empty("该期间内没有领取记录。"),
      s.by_office.length ? table(["机构代码", "机构", "办件数", "个人", "单位", "证书本数"], s.by_office.map((o) => el("tr", {},
        el("td", { text: o.office_code }), el("td", { text: o.office_name }), el("td", { text: o.cases }),
        el("td", { text: o.individual_cases }), el("td", { text: o.organization_cases }), el("td", { text: o.certificates })))) : null,
      el("p", {}, el("a", { href: xlsx.pathname + xlsx.search, download: "", id: "stats-xlsx", text: "导出 XLSX" })));
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  root.append(el("h2", { text: "办件统计" }), form, out);
  await load();
}

// -- 节假日 --------------------------------------------------------------------------------

const HOLIDAY_FIELDS = { date: "日期", type: "类型", name: "名称", year: "年份", source: "来源", days: "日期列表" };

// The backend's refusal of a file, with what it names: the entries (days.3.date → 第4条的日期) or dates.
function holidayFileRefusal(data, chosenYear, fileYear) {
  const details = data.details || {};
  const items = (details.fields || []).map((f) => {
    const parts = f.split(".");
    const index = parts[0] === "days" && parts.length > 1 ? `第${Number(parts[1]) + 1}条的` : "";
    return `${index}${HOLIDAY_FIELDS[parts[parts.length - 1]] || parts[parts.length - 1]}`;
  }).concat(details.dates || []);
  return el("div", { class: "error", role: "alert" }, el("p", { text: `${data.message}未作任何改动。` }),
    items.length ? el("p", { text: `有问题的项：${items.join("、")}` }) : null,
    fileYear !== chosenYear ? el("p", { text: `所选年份：${chosenYear}；文件中的年份：${fileYear ?? "（未写）"}` }) : null);
}

async function holidaysView(root, ctx) {
  const today = await serverToday();
  const thisYear = Number(today.slice(0, 4));
  const out = el("div", { id: "holidays-result", "aria-live": "polite" });
  const message = el("div", { id: "holidays-message", "aria-live": "polite" });
  async function load() {
    const years = [thisYear - 1, thisYear, thisYear + 1, thisYear + 2];
    const answers = await Promise.all(years.map((y) => get(`/holidays/${y}`)));
    const failed = answers.find((a) => !a.ok);
    if (failed) { show(out, alertBox(failed.data.message)); return; }
    const firstUnknown = answers.find((a) => !a.data.known);
    show(out,
      firstUnknown ? el("p", { class: "warning", id: "holidays-estimated", text: `${firstUnknown.data.year}年起的节假日和调休安排尚未载入：凡期限跨入这些年份，系统按周末推算并标为“预估”，直到载入国务院公布的安排。` })
                   : okBox("近几年的节假日安排均已载入，期限不再是预估。"),
      table(["年份", "来源", "状态", "载入的调整天数"], answers.map((a) => el("tr", { class: a.data.known ? null : "estimated", "data-year": a.data.year },
        el("td", { text: a.data.year }),
        el("td", { text: a.data.source === "overrides" ? `载入的文件：${a.data.override_source}` : (a.data.source === "chinesecalendar" ? "内置日历" : "无") }),
        el("td", { class: "known", text: a.data.known ? "已知" : "未知（期限为预估）" }), el("td", { text: a.data.days.length })))));
  }

  // 期限试算: the backend's count, so staff see a date leave "预估" once its year is loaded.
  const start = el("input", { type: "date", id: "due-start", required: true, value: `${thisYear}-12-25` });
  const days = el("input", { type: "number", id: "due-days", min: 1, max: 60, required: true, value: 10 });
  const dueOut = el("div", { id: "due-result", "aria-live": "polite" }, empty("输入起算日期和工作日数，试算最后一天。"));
  const dueForm = el("form", { id: "due-form", class: "row" }, field("起算日期（当日不计入）", start), field("工作日数", days),
    el("button", { type: "submit", text: "试算" }));
  async function due() {
    const result = await get("/working-days/due", { start: start.value, days: days.value });
    if (!handle(result, ctx, dueOut)) { return; }
    show(dueOut, el("p", { class: result.data.estimated ? "warning" : "ok", id: "due-date",
      text: `${result.data.start} 起 ${result.data.days} 个工作日，最后一天：${result.data.due}` +
            (result.data.estimated ? "（预估：期间内有年份的节假日安排未知）" : "（按已知的节假日安排）") }));
  }
  dueForm.addEventListener("submit", (event) => { event.preventDefault(); due(); });

  const year = el("input", { type: "number", id: "holidays-year", min: 2000, max: 2100, required: true, value: thisYear + 1 });
  const file = el("input", { type: "file", id: "holidays-file", accept: ".json,application/json", required: true });
  const form = el("form", { id: "holidays-form", class: "row" }, field("年份", year), field("安排文件（JSON）", file), el("button", { type: "submit", text: "上传" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!file.files.length) { show(message, alertBox("请选择安排文件。")); return; }
    let body;
    try { body = JSON.parse(await file.files[0].text()); } catch (e) { show(message, alertBox("文件不是有效的 JSON，未作任何改动。")); return; }
    const chosen = Number(year.value);
    const result = await put(`/staff/holidays/${chosen}`, body);
    if (result.status === 401) { ctx.expired(); return; }
    if (!result.ok) { show(message, holidayFileRefusal(result.data, chosen, body && body.year)); return; }
    show(message, okBox(`已载入${result.data.year}年的安排：${result.data.days}天（${result.data.source}）。`));
    await load();
    if (dueOut.querySelector("#due-date")) { await due(); }
  });
  root.append(el("h2", { text: "节假日安排" }),
    el("p", { class: "hint", text: "文件格式：{\"year\": 2027, \"source\": \"国务院办公厅通知\", \"days\": [{\"date\": \"2027-01-01\", \"type\": \"holiday\", \"name\": \"元旦\"}, …]}；type 为 holiday（放假）或 workday（调休上班）。" }),
    ctx.me.role === "province" ? form : el("p", { class: "hint", text: "节假日安排由省级账号载入。" }), message, out,
    el("h3", { text: "期限试算" }), dueForm, dueOut);
  await load();
}

// -- 未答问题 ------------------------------------------------------------------------------

async function unansweredView(root, ctx) {
  const weeks = el("select", { id: "unanswered-weeks" }, [1, 2, 4, 8, 12].map((w) => el("option", { value: w, text: `最近${w}周` })));
  weeks.value = "4";
  const out = el("div", { id: "unanswered-result", "aria-live": "polite" });
  async function load() {
    const result = await get("/staff/unanswered", { weeks: weeks.value });
    if (!handle(result, ctx, out)) { return; }
    const d = result.data;
    if (!d.configured) { show(out, el("p", { class: "warning", text: "未配置对话事件库（后端的 RASA_EVENTS_URL 与 endpoints.yml 的 event_broker），暂无法统计未答问题。" })); return; }
    if (!d.total) { show(out, empty("这段时间没有落入兜底或低于置信度阈值的提问。")); return; }
    show(out, 
      el("p", { text: `共 ${d.total} 条（置信度阈值 ${d.threshold}）。身份证号和电话已隐去。` }),
      table(["周", "最接近的意图", "条数"], d.by_week_and_intent.map((r) => el("tr", {}, el("td", { text: r.week }), el("td", { text: r.intent }), el("td", { text: r.count }))), "按周和意图计数"),
      table(["时间", "提问", "意图（置信度）", "机器人的回答"], d.questions.map((q) => el("tr", {},
        el("td", { text: q.at.slice(0, 16).replace("T", " ") }), el("td", { class: "question", text: q.text }),
        el("td", { text: `${q.intent}（${q.confidence}）` }), el("td", { text: q.answer.join(" / ") || "（无回答）" }))), "提问明细"));
  }
  weeks.addEventListener("change", load);
  root.append(el("h2", { text: "未答问题" }), el("p", { class: "hint", text: "申请人问过、助手没能识别的问题：供维护训练数据的同事每周补充。" }), field("范围", weeks), out);
  await load();
}

// -- 审计日志 ------------------------------------------------------------------------------

async function auditView(root, ctx) {
  const actor = el("input", { id: "audit-actor", maxlength: 80, placeholder: "账号" });
  const out = el("div", { id: "audit-result", "aria-live": "polite" });
  async function load() {
    const result = await get("/staff/audit", { actor: actor.value.trim() });
    if (!handle(result, ctx, out)) { return; }
    const rows = result.data.entries;
    show(out, rows.length ? table(["时间", "账号", "操作", "对象", "详情"], rows.map((e) => el("tr", {},
      el("td", { text: e.at.slice(0, 19).replace("T", " ") }), el("td", { text: e.actor }), el("td", { text: e.action }),
      el("td", { text: e.target || "" }), el("td", { class: "detail", text: e.detail ? JSON.stringify(e.detail) : "" })))) : empty("没有符合条件的记录。"));
  }
  const form = el("form", { class: "row" }, field("账号", actor), el("button", { type: "submit", text: "查询" }));
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  root.append(el("h2", { text: "审计日志" }), form, out);
  await load();
}

export const VIEWS = { import: importView, publish: publishView, queue: queueView, counter: counterView,
  stats: statsView, holidays: holidaysView, unanswered: unansweredView, audit: auditView };
