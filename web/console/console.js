// The staff console: sign in, then one view at a time (#import, #publish, …), chosen from the
// menu or with Alt+1…Alt+8. Everything the backend answers is written as text nodes.
import { del, get, post, setCsrf } from "/staff/api.js";
import { VIEWS, el } from "/staff/views.js";

const $ = (id) => document.getElementById(id);
const ROLE_LABELS = { province: "省级", city: "市级", county: "县级", auditor: "审计" };
let me = null;
let current = null;

function showError(node, message) { node.textContent = message || ""; node.hidden = !message; }

function signedOut(message) {
  me = null;
  setCsrf(null);
  $("app").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  showError($("sign-in-error"), message || null);
  $("username").focus();
}

function signedIn(data) {
  me = data;
  setCsrf(data.csrf_token);
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  const office = data.offices.find((o) => o.code === data.office_code);
  $("who-name").textContent = `${data.username}（${ROLE_LABELS[data.role] || data.role}${office ? " · " + office.name : ""}）`;
  for (const button of document.querySelectorAll("#nav button")) {
    const view = button.dataset.view;
    const hidden = (data.read_only && ["import", "publish", "counter"].includes(view)) ||
                   (!data.read_only && view === "audit");
    button.hidden = hidden;
  }
  const wanted = window.location.hash.slice(1);
  open(VIEWS[wanted] && !navButton(wanted).hidden ? wanted : (data.read_only ? "queue" : "import"));
}

function navButton(view) { return document.querySelector(`#nav button[data-view="${view}"]`); }

async function open(view) {
  if (current && current.leave) { current.leave(); }
  for (const button of document.querySelectorAll("#nav button")) {
    button.setAttribute("aria-current", button.dataset.view === view ? "page" : "false");
  }
  if (window.location.hash.slice(1) !== view) { history.replaceState(null, "", "#" + view); }
  showError($("view-error"), null);
  const container = $("view");
  container.textContent = "";
  current = { leave: null };
  const ctx = {
    me,
    viewError: (message) => showError($("view-error"), message),
    onLeave: (fn) => { current.leave = fn; },
    open,
    expired: () => signedOut("登录已失效，请重新登录。"),
  };
  await VIEWS[view](container, ctx);
  const heading = container.querySelector("h2");
  if (heading) { heading.tabIndex = -1; heading.focus(); }
}

$("nav").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-view]");
  if (button) { open(button.dataset.view); }
});

document.addEventListener("keydown", (event) => {
  if (!me || !event.altKey || event.ctrlKey || event.metaKey) { return; }
  const index = Number(event.key) - 1;
  const buttons = [...document.querySelectorAll("#nav button")];
  if (index >= 0 && index < buttons.length && !buttons[index].hidden) {
    event.preventDefault();
    open(buttons[index].dataset.view);
  }
});

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = event.submitter || $("sign-in-form").querySelector("button");
  button.disabled = true;
  const result = await post("/staff/session", { username: $("username").value.trim(), password: $("password").value });
  button.disabled = false;
  $("password").value = "";
  if (!result.ok) { showError($("sign-in-error"), result.data.message); $("password").focus(); return; }
  showError($("sign-in-error"), null);
  signedIn(result.data);
});

$("sign-out").addEventListener("click", async () => {
  if (current && current.leave) { current.leave(); }
  await del("/staff/session");
  signedOut("已退出登录。");
});

(async function start() {
  const result = await get("/staff/session");
  if (result.ok && result.data.csrf_token) { signedIn(result.data); } else { signedOut(null); }
})();

export { el };
