/** /sessions: every session of the logged-in user, with revoke buttons; or why there cannot be. */
import { translator } from "../i18n.ts";
import { escapeHtml, layout, type PageContext } from "./layout.ts";

export interface SessionRow {
  readonly id: string;
  /** The session of this very request. */
  readonly current: boolean;
  readonly createdAt: number;
  /** When it was last written or renewed: its expiry less the lifetime. */
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly userAgent: string | undefined;
}

export type SessionsFacts =
  | { readonly kind: "cookie"; readonly format: "flask" | "sealed" }
  | { readonly kind: "anonymous" }
  | {
      readonly kind: "listed";
      readonly username: string;
      readonly rows: readonly SessionRow[];
      /** True when the store keeps a per-user index; false when the demo had to read every session. */
      readonly indexed: boolean;
      readonly storeKind: string;
    };

function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

export function sessionsPage(page: PageContext, facts: SessionsFacts): string {
  const t = translator(page.lang);
  const title = t("Your sessions", "你的会话");
  if (facts.kind === "cookie") {
    return layout(
      page,
      title,
      `<h1>${title}</h1>
<section class="card"><p>${t(
        `Sessions in this run travel whole in the cookie (${facts.format === "flask" ? "Flask's signed cookie" : "a sealed cookie"}): the server keeps no record of them, so it has no list of your sessions to show, and none it could revoke.`,
        `本次运行的会话整个放在 cookie 里（${facts.format === "flask" ? "Flask 的签名 cookie" : "密封 cookie"}）：服务器不保存任何记录，所以没有你的会话列表可以展示，也无法撤销任何一个。`,
      )}</p>
<p class="explain">${t(
        "Logging out only asks your browser to drop the cookie. A copy taken before (from a stolen laptop, a proxy log, malware) still verifies: replayed, it logs in as you, with the data it carried, until it expires. Only changing the secret ends every cookie at once, and it logs everyone out. With a store (SQLite, Redis, PostgreSQL) the record is the session: deleting it ends the session wherever the cookie is.",
        "退出登录只是让你的浏览器删掉 cookie。之前被复制的副本（被偷的笔记本、代理日志、恶意软件）依然能通过验证：重放它就能以你的身份登录，带着它里面的数据，直到它过期。只有更换密钥才能让所有 cookie 同时失效，而那会让所有人退出登录。使用存储（SQLite、Redis、PostgreSQL）时，记录就是会话：删除记录，无论 cookie 在哪里，会话都结束了。",
      )}</p></section>`,
    );
  }
  if (facts.kind === "anonymous") {
    return layout(
      page,
      title,
      `<h1>${title}</h1><section class="card"><p>${t("You are not logged in.", "你还没有登录。")} <a href="/login">${t("Log in", "登录")}</a></p>
<p class="explain">${t("Log in from two browsers (or a private window) to see two sessions here.", "用两个浏览器（或一个无痕窗口）登录，这里就会出现两个会话。")}</p></section>`,
    );
  }
  const rows = facts.rows
    .map(
      (
        row,
      ) => `<tr${row.current ? ' class="current"' : ""}><td>${row.current ? `<strong>${t("this browser", "当前浏览器")}</strong><br>` : ""}<code>${escapeHtml(row.id.slice(0, 8))}…</code></td>
<td data-label="${t("created", "创建于")}">${when(row.createdAt)}</td><td data-label="${t("last seen", "最近使用")}">${when(row.lastSeenAt)}</td><td data-label="${t("expires in", "剩余时间")}"><span class="countdown" data-expires="${row.expiresAt}" data-gone="${t("expired", "已过期")}"></span></td>
<td data-label="${t("browser", "浏览器")}">${escapeHtml(row.userAgent ?? "—")}</td>
<td><form method="post" action="/sessions/revoke"><input type="hidden" name="id" value="${escapeHtml(row.id)}"><button type="submit" class="danger">${t("Revoke", "撤销")}</button></form></td></tr>`,
    )
    .join("");
  const how = facts.indexed
    ? t(
        `The ${facts.storeKind} store keeps an index of each user's sessions, so this list is one lookup, and "log out everywhere" is one call.`,
        `${facts.storeKind} 存储为每个用户维护会话索引，所以这个列表只需一次查询，“在所有设备上退出”也只需一次调用。`,
      )
    : t(
        `The ${facts.storeKind} store keeps no per-user index, so the demo found these by reading every session: fine for a demo, too slow for a big site. Redis and PostgreSQL keep the index (SESSION_STORE=redis://… or postgres://…).`,
        `${facts.storeKind} 存储没有按用户的索引，所以演示程序是逐个读取所有会话才找到这些的：演示没问题，大网站就太慢了。Redis 和 PostgreSQL 会维护这个索引（SESSION_STORE=redis://… 或 postgres://…）。`,
      );
  return layout(
    page,
    title,
    `<h1>${title}</h1>
<section class="card"><p>${t(
      `Every session of <strong>${escapeHtml(facts.username)}</strong> that has not expired:`,
      `<strong>${escapeHtml(facts.username)}</strong> 所有未过期的会话：`,
    )}</p>
<table class="stack"><thead><tr><th>${t("session", "会话")}</th><th>${t("created", "创建于")}</th><th>${t("last seen", "最近使用")}</th><th>${t("expires in", "剩余时间")}</th><th>${t("browser", "浏览器")}</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>
<form method="post" action="/logout-everywhere"><button type="submit" class="danger">${t("Log out everywhere", "在所有设备上退出")}</button></form>
<p class="explain">${t(
      "Revoking deletes the record: the browser that holds that session's cookie is logged out on its next request, wherever it is. Last seen is when the session was last written or renewed; renewals are throttled (touchAfter: a tenth of the lifetime, at most a day), so it can lag behind by that much.",
      "撤销就是删除记录：持有该会话 cookie 的浏览器，无论在哪里，下一次请求时就已退出登录。“最近使用”是会话最后一次被写入或续期的时间；续期有节流（touchAfter：生命周期的十分之一，最长一天），所以它最多会滞后这么久。",
    )}</p>
<p class="explain">${how}</p></section>`,
  );
}
