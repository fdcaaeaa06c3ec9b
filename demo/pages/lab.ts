/** /cookies, the cookie lab: set, read and delete any cookie, and see what the browser keeps. */
import { translator } from "../i18n.ts";
import type { LabChoice } from "../lab.ts";
import { escapeHtml, layout, type PageContext } from "./layout.ts";

export interface LabFacts {
  /** The cookies this request carried, with the verified value of those that are signed. */
  readonly cookies: ReadonlyArray<{
    readonly name: string;
    readonly value: string;
    readonly signed?: string;
    /** The session cookie: the session manages it, so the lab offers no Delete for it. */
    readonly session?: boolean;
  }>;
  /** The form as last submitted (or its defaults). */
  readonly choice: LabChoice;
  /** The Set-Cookie lines this response sends. */
  readonly sent: readonly string[];
  /** Why the cookie was not sent. */
  readonly error?: string;
  /** What the browser will make of the cookie sent, where that is not obvious. */
  readonly notes?: readonly string[];
}

function checkbox(name: string, checked: boolean, label: string): string {
  return `<label class="inline"><input type="checkbox" name="${name}"${checked ? " checked" : ""}> ${label}</label>`;
}

function option(value: string, chosen: string, label = value): string {
  return `<option value="${value}"${value === chosen ? " selected" : ""}>${label}</option>`;
}

/** Fills the document.cookie view, and marks each cookie scripts cannot see (HttpOnly). */
const DOCUMENT_COOKIE_SCRIPT = `<script>
(function(){var seen=document.cookie;document.getElementById("document-cookie").textContent="document.cookie = "+JSON.stringify(seen);
var names=seen.split("; ").map(function(p){return p.split("=")[0];});
document.querySelectorAll("[data-cookie]").forEach(function(cell){var visible=names.indexOf(cell.dataset.cookie)!==-1;
cell.textContent=visible?cell.dataset.visible:cell.dataset.hidden;cell.className=visible?"":"note";});})();
</script>`;

export function labPage(page: PageContext, facts: LabFacts): string {
  const t = translator(page.lang);
  const c = facts.choice;
  const rows = facts.cookies
    .map(
      (cookie) =>
        `<tr><td data-label="${t("name", "名称")}"><code>${escapeHtml(cookie.name)}</code></td><td data-label="${t("value", "值")}"><code>${escapeHtml(cookie.value)}</code></td><td data-label="${t("signed?", "签名？")}">${
          cookie.signed === undefined
            ? "—"
            : `<span class="ok">✓ ${t("signature verifies:", "签名有效：")}</span> <code>${escapeHtml(cookie.signed)}</code>`
        }</td><td data-label="document.cookie" data-cookie="${escapeHtml(cookie.name)}" data-visible="${t("visible", "可见")}" data-hidden="${t("hidden (HttpOnly)", "不可见（HttpOnly）")}"></td><td>${
          cookie.session
            ? `<a href="/inspect">${t("the session's: see Inspect", "会话的 cookie：见“检查会话”")}</a>`
            : `<form method="post" action="/cookies/delete"><input type="hidden" name="name" value="${escapeHtml(cookie.name)}"><button type="submit" class="secondary">${t("Delete", "删除")}</button></form>`
        }</td></tr>`,
    )
    .join("");
  const sent =
    facts.sent.length === 0
      ? ""
      : `<section class="card" id="sent"><h2>${t("This response sent", "这个响应发送了")}</h2>
<pre><code>${facts.sent.map((line) => `Set-Cookie: ${escapeHtml(line)}`).join("\n")}</code></pre>
${(facts.notes ?? []).map((note) => `<p class="note">${escapeHtml(note)}</p>`).join("")}
<p class="explain">${t(
          "The exact header the browser received. It decides for itself whether to keep the cookie: check the table and document.cookie below.",
          "这就是浏览器收到的原始头。是否保存这个 cookie 由浏览器自己决定：看看下面的表格和 document.cookie。",
        )}</p></section>`;
  return layout(
    page,
    t("Cookie lab", "Cookie 实验室"),
    `<h1>${t("Cookie lab", "Cookie 实验室")}</h1>
${facts.error === undefined ? "" : `<p class="error" role="alert">${escapeHtml(facts.error)}</p>`}
${sent}
<section class="card" id="read"><h2>${t("Cookies your browser sent", "浏览器发送的 cookie")}</h2>
${
  rows === ""
    ? `<p>${t("This request carried no cookies.", "这个请求没有带任何 cookie。")}</p>`
    : `<table class="stack"><thead><tr><th>${t("name", "名称")}</th><th>${t("value", "值")}</th><th>${t("signed?", "签名？")}</th><th>document.cookie</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
}
<pre id="document-cookie"></pre>
<p class="explain">${t(
      "The server sees every cookie in the request's Cookie header (request.cookies in Flask, cookies.get in tessera). Page scripts see only those without HttpOnly, through document.cookie: an HttpOnly cookie is sent to the server but hidden from JavaScript, so an injected script cannot steal it.",
      "服务器能在请求的 Cookie 头中看到所有 cookie（Flask 的 request.cookies，tessera 的 cookies.get）。页面脚本通过 document.cookie 只能看到没有 HttpOnly 的 cookie：HttpOnly cookie 会发送给服务器，但对 JavaScript 隐藏，注入的脚本偷不走它。",
    )}</p></section>
<section class="card" id="set"><h2>${t("Set a cookie", "设置 cookie")}</h2>
<form method="post" action="/cookies/set">
<div class="grid">
<div>
<label>${t("Prefix", "前缀")} <select name="prefix">${option("", c.prefix, t("(none)", "（无）"))}${option("__Host-", c.prefix)}${option("__Secure-", c.prefix)}</select></label>
<label>${t("Name", "名称")} <input name="name" value="${escapeHtml(c.name)}" required></label>
<label>${t("Value", "值")} <input name="value" value="${escapeHtml(c.value)}"></label>
<label>Max-Age (${t("seconds; empty: until the browser closes", "秒；留空：浏览器关闭时失效")}) <input name="maxAge" inputmode="numeric" value="${escapeHtml(c.maxAge)}"></label>
<label>Expires (UTC) <input name="expires" type="datetime-local" value="${escapeHtml(c.expires)}"></label>
</div>
<div>
<label>Path <input name="path" value="${escapeHtml(c.path)}"></label>
<label>Domain <input name="domain" value="${escapeHtml(c.domain)}" placeholder="${t("(none: this host only)", "（无：仅当前主机）")}"></label>
<label>SameSite <select name="sameSite">${option("lax", c.sameSite, "Lax")}${option("strict", c.sameSite, "Strict")}${option("none", c.sameSite, "None")}</select></label>
<p>${checkbox("httpOnly", c.httpOnly, "HttpOnly")}${checkbox("secure", c.secure, "Secure")}${checkbox("partitioned", c.partitioned, "Partitioned")}</p>
<p>${checkbox("signed", c.signed, t("Signed (cookies.setSigned)", "签名（cookies.setSigned）"))}</p>
</div>
</div>
<button type="submit">${t("Set cookie", "设置 cookie")}</button>
</form>
<p class="explain">${t(
      "Each choice maps to one Set-Cookie attribute. Browsers refuse some combinations silently; tessera refuses them loudly instead, and this page shows its message: a __Host- cookie must be Secure with Path=/ and no Domain, a __Secure- cookie must be Secure, SameSite=None needs Secure, Partitioned needs Secure, and name, value and attributes must fit in 4096 bytes. Secure cookies are kept only from https:// (and from http://localhost or 127.0.0.1 by most browsers).",
      "每个选项对应 Set-Cookie 的一个属性。有些组合浏览器会默默拒绝；tessera 则会明确拒绝，本页显示它的报错：__Host- cookie 必须带 Secure、Path=/ 且没有 Domain；__Secure- cookie 必须带 Secure；SameSite=None 需要 Secure；Partitioned 需要 Secure；名称、值和属性加起来不能超过 4096 字节。Secure cookie 只有来自 https://（多数浏览器也接受 http://localhost 或 127.0.0.1）时才会被保存。",
    )}</p>
<p class="explain">${t(
      "A signed cookie is value.signature: still readable by anyone, but changing it (or copying it under another name) breaks the signature, and cookies.getSigned then returns nothing.",
      "签名 cookie 的形式是 值.签名：任何人仍然能读，但一旦修改（或换个名字复制），签名就失效，cookies.getSigned 会返回空。",
    )}</p></section>
<section class="card" id="delete"><h2>${t("Delete a cookie", "删除 cookie")}</h2>
<form method="post" action="/cookies/delete">
<label>${t("Name (with its prefix)", "名称（包括前缀）")} <input name="name" required></label>
<label>Path <input name="path" value="/"></label>
<label>Domain <input name="domain" placeholder="${t("(none: this host only)", "（无：仅当前主机）")}"></label>
<button type="submit" class="secondary">${t("Delete cookie", "删除 cookie")}</button>
</form>
<p class="explain">${t(
      "A browser deletes a cookie only when the deletion names the same Path and Domain it was set with (the Cookie header does not say which they were, so the Delete buttons above use Path=/). Like Flask's delete_cookie(name, path, domain).",
      "只有删除时给出与设置时相同的 Path 和 Domain，浏览器才会删除 cookie（Cookie 头里不会告诉服务器它们是什么，所以上面的“删除”按钮用的是 Path=/）。对应 Flask 的 delete_cookie(name, path, domain)。",
    )}</p></section>
${DOCUMENT_COOKIE_SCRIPT}`,
  );
}
