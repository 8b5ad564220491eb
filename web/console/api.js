// Calls to the backend with the session cookie; unsafe methods carry the CSRF token the
// sign-in (or GET /staff/session) answered. Every failure comes back as {ok:false, status, data}
// with the backend's Chinese message, or a message of our own when the network fails.

const API = "/api/v1";
let csrfToken = null;

export function setCsrf(token) { csrfToken = token; }

export async function request(method, path, { json, form, query } = {}) {
  const headers = {};
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) { body = form; }
  if (!["GET", "HEAD"].includes(method) && csrfToken) { headers["X-CSRF-Token"] = csrfToken; }
  const url = new URL(API + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") { url.searchParams.set(key, value); }
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  } catch (e) {
    return { ok: false, status: 0, data: { message: "无法连接服务器，请检查网络后重试。" } };
  }
  let data = {};
  if (response.status !== 204) {
    try { data = await response.json(); } catch (e) { data = {}; }
  }
  if (!response.ok && !data.message) { data.message = `请求失败（${response.status}），请稍后再试。`; }
  return { ok: response.ok, status: response.status, data };
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, json) => request("POST", path, { json });
export const put = (path, json) => request("PUT", path, { json });
export const del = (path) => request("DELETE", path);
export const upload = (path, form) => request("POST", path, { form });
