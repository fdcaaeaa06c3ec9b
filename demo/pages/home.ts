/** Home, login and logout: the walkthrough's first pages. */
import { translator } from "../i18n.ts";
import { escapeHtml, layout, type PageContext } from "./layout.ts";

/** Usernames longer than this are refused at login with a message saying so. */
export const MAX_USERNAME_LENGTH = 64;

/** What the home page says about the visitor's session. */
export interface SessionFacts {
  readonly username: string | undefined;
  /** A permanent session's cookie has Max-Age; otherwise it ends with the browser. */
  readonly permanent: boolean;
  /** When the session expires unless used again (ms since the epoch); unknown for a new one. */
  readonly expiresAt: number | undefined;
  /** SESSION_LIFETIME in milliseconds. */
  readonly lifetimeMs: number;
  /** How often a used session's expiry is moved forward, at most. */
  readonly touchAfterMs: number;
  /** Where sessions are kept in this run. */
  readonly storeDescription: string;
}

/** "30 s", "5 min", "31 days": a lifetime as people say it. */
export function humanDuration(ms: number, lang: PageContext["lang"]): string {
  const t = translator(lang);
  if (ms < 1000) return t(`${ms} ms`, `${ms} 毫秒`);
  const seconds = Math.round(ms / 1000);
  if (seconds === 86_400) return t("1 day", "1 天");
  if (seconds % 86_400 === 0) return t(`${seconds / 86_400} days`, `${seconds / 86_400} 天`);
  if (seconds % 3600 === 0) return t(`${seconds / 3600} h`, `${seconds / 3600} 小时`);
  if (seconds % 60 === 0) return t(`${seconds / 60} min`, `${seconds / 60} 分钟`);
  return t(`${seconds} s`, `${seconds} 秒`);
}

export function homePage(page: PageContext, facts: SessionFacts, everywhere: boolean): string {
  const t = translator(page.lang);
  const who =
    facts.username === undefined
      ? `<p>${t("You are not logged in.", "你还没有登录。")}</p><p><a href="/login">${t("Log in", "登录")}</a></p>`
      : `<p class="hello">${t("Hello, ", "你好，")}${escapeHtml(facts.username)}</p>
<form method="post" action="/logout" class="inline"><button type="submit">${t("Log out", "退出登录")}</button></form>${
          everywhere
            ? `<form method="post" action="/logout-everywhere"><button type="submit" class="secondary">${t("Log out everywhere", "在所有设备上退出")}</button></form>`
            : ""
        }`;
  const lifetime = humanDuration(facts.lifetimeMs, page.lang);
  const session =
    facts.username === undefined
      ? `<p class="explain">${t(
          "Looking around creates nothing: no session is stored and no cookie is set until there is something to keep. Log in, and a session starts.",
          "随便浏览不会创建任何东西：在需要保存数据之前，既不存储会话，也不设置 cookie。登录后会话才开始。",
        )}</p>`
      : `<p>${t("This session expires in", "会话将在")} <span class="countdown" data-expires="${facts.expiresAt ?? Date.now() + facts.lifetimeMs}" data-gone="${t("expired: reload to see", "已过期：刷新看看")}"></span>${t(" unless you use it.", " 后过期，除非你继续使用它。")}</p>
<p>${
          facts.permanent
            ? t(
                `Its cookie is <strong>permanent</strong>: it carries Max-Age (${lifetime}, SESSION_LIFETIME), so it survives closing the browser.`,
                `它的 cookie 是<strong>永久的</strong>：带有 Max-Age（${lifetime}，即 SESSION_LIFETIME），关闭浏览器后依然存在。`,
              )
            : t(
                "Its cookie is a <strong>browser-session</strong> cookie: no Max-Age or Expires, so the browser drops it when it closes. The server still ends the session after SESSION_LIFETIME without use.",
                "它的 cookie 是<strong>浏览器会话</strong> cookie：没有 Max-Age 或 Expires，浏览器关闭时就会删除它。服务器仍会在闲置 SESSION_LIFETIME 之后结束会话。",
              )
        }</p>
<form method="post" action="/session/permanent"><input type="hidden" name="permanent" value="${facts.permanent ? "0" : "1"}"><button type="submit" class="secondary">${
          facts.permanent
            ? t("Make it a browser-session cookie", "改为浏览器会话 cookie")
            : t("Make it permanent", "改为永久 cookie")
        }</button></form>
<p class="explain">${t(
          `Like Flask's session.permanent and PERMANENT_SESSION_LIFETIME. Using the session moves its expiry forward (a rolling session), at most once every ${humanDuration(facts.touchAfterMs, "en")} (touchAfter: a tenth of the lifetime, at most a day), so reads do not each cost a write.`,
          `对应 Flask 的 session.permanent 和 PERMANENT_SESSION_LIFETIME。使用会话会把过期时间往后推（滚动会话），最多每 ${humanDuration(facts.touchAfterMs, "zh")} 一次（touchAfter：生命周期的十分之一，最长一天），这样每次读取不必都写一次。`,
        )}</p>`;
  return layout(
    page,
    t("Home", "首页"),
    `<h1>${t("Cookies and sessions, live", "Cookie 与会话，现场演示")}</h1>
<section class="card">${who}</section>
<section class="card"><h2>${t("Your session", "你的会话")}</h2>
<p>${t("Sessions in this run:", "本次运行的会话存放在：")} <code>${escapeHtml(facts.storeDescription)}</code></p>
${session}</section>
<section class="card"><h2>${t("The walkthrough", "一步一步")}</h2>
<ol>
<li><a href="/guide">${t("The guide: Flask code beside tessera code, step by step", "教程：Flask 代码与 tessera 代码逐步对照")}</a></li>
<li><a href="/cookies">${t("The cookie lab: set, read and delete cookies with any attributes", "Cookie 实验室：用任意属性设置、读取和删除 cookie")}</a></li>
<li><a href="/inspect">${t("Inspect: your cookie taken apart, its signature, and the record in the store", "检查：拆开你的 cookie，看签名和存储中的记录")}</a></li>
<li><a href="/sessions">${t("Your sessions: every login of yours, and revoking them", "你的会话：你的每一次登录，以及如何撤销")}</a></li>
</ol></section>`,
  );
}

export function loginPage(page: PageContext, error?: string): string {
  const t = translator(page.lang);
  return layout(
    page,
    t("Log in", "登录"),
    `<h1>${t("Log in", "登录")}</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<section class="card"><form method="post" action="/login">
  <label>${t("Username", "用户名")} <input name="username" autocomplete="username" required maxlength="${MAX_USERNAME_LENGTH}"></label>
  <label>${t("Password", "密码")} <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">${t("Log in", "登录")}</button>
</form>
<p class="note">${t(
      "This is a demo: any password is accepted, and the username is all that is kept.",
      "这是演示：任何密码都能登录，只保存用户名。",
    )}</p>
<p class="explain">${t(
      "Logging in gives the session a new id (regenerate), so an id planted in your browser before login is worthless afterwards.",
      "登录时会话会换一个新 id（regenerate），所以登录前被植入浏览器的 id 在登录后毫无用处。",
    )}</p></section>`,
  );
}

/** GET /logout: logging out changes state, so it is a form (a POST), never a link. */
export function logoutPage(page: PageContext, username: string | undefined): string {
  const t = translator(page.lang);
  return layout(
    page,
    t("Log out", "退出登录"),
    username === undefined
      ? `<p>${t("You are not logged in.", "你还没有登录。")} <a href="/login">${t("Log in", "登录")}</a></p>`
      : `<p>${t("Logged in as", "当前登录：")} ${escapeHtml(username)}${t(". Logging out ends this session:", "。退出登录将结束这个会话：")}</p>
<form method="post" action="/logout"><button type="submit">${t("Log out", "退出登录")}</button></form>
<p class="note">${t(
          "Logging out is a POST, so a link or an image on another site cannot log you out.",
          "退出登录是 POST 请求，所以其他网站上的链接或图片无法让你退出。",
        )}</p>`,
  );
}
