import type { IncomingMessage, ServerResponse } from "node:http";
import { withSessions } from "../src/adapters/node.ts";
import type { Cookies } from "../src/cookies/jar.ts";
import { parseCookieHeader } from "../src/cookies/parse.ts";
import { errorResponse } from "../src/engine/error-response.ts";
import { createSessions, type SessionManager } from "../src/engine/manager.ts";
import { CookieError } from "../src/errors.ts";
import type { Session } from "../src/session/session.ts";
import type { SessionStore } from "../src/stores/contract.ts";
import type { Duration } from "../src/util/duration.ts";
import {
  FORM_LIMIT_BYTES,
  isCrossSite,
  localPath,
  pathOf,
  queryOf,
  readForm,
  redirect,
  sendHtml,
  sendJson,
  startHtml,
} from "./http.ts";
import { chooseLanguage, LANGUAGE_COOKIE, type Lang, translator } from "./i18n.ts";
import { anatomize, fingerprint, tamper } from "./inspect/cookie-anatomy.ts";
import type { RecordReader, RecordView } from "./inspect/record.ts";
import { DEFAULT_CHOICE, type LabChoice, notesOn, optionsOf, readChoice, shown } from "./lab.ts";
import { guidePage } from "./pages/guide.ts";
import { homePage, loginPage, logoutPage, MAX_USERNAME_LENGTH } from "./pages/home.ts";
import { inspectPage } from "./pages/inspect.ts";
import { labPage } from "./pages/lab.ts";
import { errorPage, FAVICON_SVG, type PageContext } from "./pages/layout.ts";
import { sessionsPage } from "./pages/sessions.ts";
import { revokeAll, revokeOwn, sessionsOf, userAgentOf } from "./user-sessions.ts";

/** The walkthrough's session: who is logged in, and from which browser. */
export interface DemoSession {
  username: string;
  userAgent: string;
}

export interface DemoOptions {
  readonly secret: string;
  /** The session store; undefined with a cookie format. */
  readonly store: SessionStore | undefined;
  /** "id" (default): sessions in the store; "flask" or "sealed": the whole session in the cookie. */
  readonly format?: "id" | "flask" | "sealed";
  /** SESSION_LIFETIME; Flask's 31 days by default. */
  readonly lifetime?: Duration | undefined;
  /** Where sessions are kept, for the pages. */
  readonly storeDescription?: string;
  /** The same in Chinese. */
  readonly storeDescriptionZh?: string;
  /** Reads a session's record as the store holds it, for /inspect. */
  readonly readRecord?: RecordReader | undefined;
}

/** What one request's route handlers share. */
interface Visit {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly cookies: Cookies;
  readonly session: () => Promise<Session<DemoSession>>;
  readonly page: PageContext;
  readonly t: (english: string, chinese: string) => string;
}

type Route = (visit: Visit) => Promise<void> | void;

/**
 * The Flask cookie-and-session walkthrough on node:http, as live pages in English and Chinese:
 * log in and out, the cookie lab, the inspector (the cookie taken apart and the record in the
 * store), the user's sessions with revoking, and the guide.
 */
export function createDemoApp(options: DemoOptions): {
  sessions: SessionManager<DemoSession>;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
} {
  const format = options.format ?? "id";
  const lifetime = options.lifetime === undefined ? {} : { lifetime: options.lifetime };
  const sessions =
    format === "id"
      ? createSessions<DemoSession>({
          secret: options.secret,
          ...lifetime,
          ...(options.store === undefined ? {} : { store: options.store }),
        })
      : createSessions<DemoSession>({ secret: options.secret, format, ...lifetime });
  const store = options.store;
  const storeDescriptionEn =
    options.storeDescription ?? (store === undefined ? format : store.kind);
  const storeDescriptionZh = options.storeDescriptionZh ?? storeDescriptionEn;
  const whereSessions = (lang: Lang): string =>
    lang === "zh" ? storeDescriptionZh : storeDescriptionEn;
  const cookieName = sessions.options.cookie.name;
  const lifetimeMs = sessions.options.lifetimeMs;
  const keyFingerprint = fingerprint(options.secret);

  const flashesOf = (session: Session<DemoSession>): string[] =>
    session.consumeFlashes().map((flash) => flash.message);

  const routes: Record<string, Route> = {
    "GET /": async ({ res, session, page }) => {
      const current = await session();
      const flashes = flashesOf(current);
      const facts = {
        username: usernameOf(current),
        permanent: current.permanent,
        expiresAt: current.expiresAt?.getTime(),
        lifetimeMs,
        touchAfterMs: sessions.options.touchAfterMs,
        storeDescription: whereSessions(page.lang),
      };
      sendHtml(res, 200, homePage({ ...page, flashes }, facts, store !== undefined));
    },

    "GET /favicon.ico": ({ res }) => {
      res.writeHead(200, {
        "Content-Type": "image/svg+xml",
        "Content-Length": Buffer.byteLength(FAVICON_SVG),
        "Cache-Control": "public, max-age=86400",
      });
      res.end(FAVICON_SVG);
    },

    /** The language switch: remembered in a cookie for a year, then back to the page. */
    "GET /lang": ({ req, res, cookies }) => {
      const query = queryOf(req.url);
      const to = query.get("to");
      if (to === "en" || to === "zh") cookies.set(LANGUAGE_COOKIE, to, { maxAge: "365d" });
      redirect(res, localPath(query.get("back")));
    },

    "GET /guide": ({ res, page }) => {
      sendHtml(res, 200, guidePage(page, { format, storeDescription: whereSessions(page.lang) }));
    },

    "GET /login": async ({ req, res, session, page, t }) => {
      const flashes = flashesOf(await session());
      // Said by the URL, not by a flash: a flash would need a session, and logging out
      // leaves none behind (no record, no cookie).
      if (queryOf(req.url).has("logged-out"))
        flashes.push(t("You are logged out.", "你已退出登录。"));
      sendHtml(res, 200, loginPage({ ...page, flashes }));
    },

    "POST /login": async ({ req, res, session, page, t }) => {
      const form = await readForm(req);
      if (form === undefined) return tooLarge(req, res, page);
      const username = form.get("username")?.trim() ?? "";
      if (username.length === 0) {
        return sendHtml(res, 400, loginPage(page, t("Enter a username.", "请输入用户名。")));
      }
      const length = [...username].length;
      if (length > MAX_USERNAME_LENGTH) {
        return sendHtml(
          res,
          400,
          loginPage(
            page,
            t(
              `A username has at most ${MAX_USERNAME_LENGTH} characters; this one has ${length}.`,
              `用户名最多 ${MAX_USERNAME_LENGTH} 个字符；这个有 ${length} 个。`,
            ),
          ),
        );
      }
      const current = await session();
      // A new id on login, so an id planted in the browser before login is worthless.
      current.regenerate();
      current.set("username", username);
      // Kept only where sessions are listed (a store): in a cookie it would only add bytes.
      const agent = userAgentOf(req.headers["user-agent"]);
      if (format === "id" && agent !== undefined) current.set("userAgent", agent);
      current.flash(t(`Welcome, ${username}.`, `欢迎，${username}。`));
      redirect(res, "/");
    },

    "GET /logout": async ({ res, session, page }) => {
      const current = await session();
      sendHtml(res, 200, logoutPage(page, usernameOf(current)));
    },

    "POST /logout": async ({ res, session }) => {
      (await session()).destroy();
      redirect(res, "/login?logged-out");
    },

    "POST /logout-everywhere": async ({ res, session, page, t }) => {
      if (store === undefined) {
        return sendHtml(
          res,
          404,
          errorPage(
            page,
            404,
            t("Not available here", "这里不可用"),
            t(
              `Sessions here travel in the cookie (${format}), and a cookie already issued cannot be recalled: logging out everywhere needs a store (SESSION_STORE=sqlite:…, redis://… or postgres://…).`,
              `这里的会话放在 cookie 里（${format}），已经发出的 cookie 无法收回：要在所有设备上退出，需要使用存储（SESSION_STORE=sqlite:…、redis://… 或 postgres://…）。`,
            ),
          ),
        );
      }
      const current = await session();
      const username = usernameOf(current);
      if (username === undefined) return redirect(res, "/login");
      // Every session of this user on every machine, this one included.
      const ended = await revokeAll(store, username);
      current.destroy();
      current.flash(
        t(
          `Logged out everywhere: ${ended} ${ended === 1 ? "session" : "sessions"} ended.`,
          `已在所有设备上退出：结束了 ${ended} 个会话。`,
        ),
      );
      redirect(res, "/");
    },

    "POST /session/permanent": async ({ req, res, session, page, t }) => {
      const form = await readForm(req);
      if (form === undefined) return tooLarge(req, res, page);
      const current = await session();
      if (usernameOf(current) === undefined) return redirect(res, "/login");
      current.permanent = form.get("permanent") === "1";
      current.flash(
        current.permanent
          ? t("Your session cookie is now permanent.", "你的会话 cookie 现在是永久的。")
          : t(
              "Your session cookie now ends when the browser closes.",
              "你的会话 cookie 现在会在浏览器关闭时失效。",
            ),
      );
      redirect(res, "/");
    },

    "GET /api/me": async ({ res, session }) => {
      const username = usernameOf(await session());
      return username === undefined
        ? sendJson(res, 401, { error: "Not logged in: POST /login with a username first." })
        : sendJson(res, 200, { username });
    },

    "GET /inspect": async ({ req, res, cookies, session, page }) => {
      const current = await session();
      // The engine uses the first of several same-name cookies that verifies: so does the page.
      const values = cookies.getAll(cookieName);
      const candidates = values.map((value) => ({
        value,
        anatomy: anatomize(value, options.secret, format),
      }));
      const used = candidates.find((candidate) => candidate.anatomy.verified) ?? candidates[0];
      let record: RecordView | undefined;
      if (used?.anatomy.id !== undefined && options.readRecord !== undefined) {
        record = await options.readRecord(used.anatomy.id);
      }
      const facts = {
        cookieHeader: req.headers.cookie,
        cookieName,
        cookieValue: used?.value,
        sameNameCookies: values.length,
        anatomy: used?.anatomy,
        keyFingerprint,
        format,
        storeDescription: whereSessions(page.lang),
        record,
        session: {
          isNew: current.isNew,
          data: current.toJSON(),
          expiresAt: current.expiresAt?.getTime(),
          permanent: current.permanent,
        },
        tampered: tamperedOf(queryOf(req.url).get("tampered")),
      };
      // The page shows the Set-Cookie of its own response, known once the head has gone.
      const setCookie = await startHtml(res, 200);
      if (setCookie === undefined) return;
      res.end(withoutDoctype(inspectPage(page, { ...facts, setCookie })));
    },

    /** Changes one character of the session cookie in the browser, then shows the result. */
    "POST /inspect/tamper": async ({ req, res, cookies, page }) => {
      const form = await readForm(req);
      if (form === undefined) return tooLarge(req, res, page);
      const value = cookies.get(cookieName);
      if (value === undefined) return redirect(res, "/inspect");
      const changed = tamper(value);
      try {
        // Kept as the browser had it: a browser-session cookie stays one.
        cookies.set(cookieName, changed.value, {
          path: sessions.options.cookie.path,
          ...(form.get("permanent") === "0" ? {} : { maxAge: Math.floor(lifetimeMs / 1000) }),
        });
      } catch (error) {
        // A cookie the browser should never have kept (too big to send back): nothing to change.
        if (!(error instanceof CookieError)) throw error;
        return redirect(res, "/inspect");
      }
      const where = encodeURIComponent(`${changed.index}:${changed.from}:${changed.to}`);
      redirect(res, `/inspect?tampered=${where}#tamper`);
    },

    "GET /cookies": ({ res, cookies, page }) => {
      sendHtml(res, 200, labPage(page, labFacts(cookies, DEFAULT_CHOICE, [], cookieName)));
    },

    "POST /cookies/set": async ({ req, res, cookies, page, t }) => {
      const form = await readForm(req);
      if (form === undefined) return tooLarge(req, res, page);
      const choice = readChoice(form);
      const refuse = (error: string): void =>
        sendHtml(res, 400, labPage(page, { ...labFacts(cookies, choice, [], cookieName), error }));
      const chosen = optionsOf(choice);
      if ("problem" in chosen) return refuse(t(chosen.problem.en, chosen.problem.zh));
      if (chosen.name === cookieName) return refuse(sessionCookieRefusal(cookieName, page.lang));
      try {
        if (choice.signed) cookies.setSigned(chosen.name, choice.value, chosen.options);
        else cookies.set(chosen.name, choice.value, chosen.options);
      } catch (error) {
        // What a browser would drop silently, tessera refuses: say so, and keep the old cookie.
        if (!(error instanceof CookieError)) throw error;
        return refuse(refusal(error.message, page.lang));
      }
      const notes = notesOn(chosen.options).map((note) => t(note.en, note.zh));
      sendHtml(
        res,
        200,
        labPage(page, { ...labFacts(cookies, choice, cookies.outgoing, cookieName), notes }),
      );
    },

    "POST /cookies/delete": async ({ req, res, cookies, page, t }) => {
      const form = await readForm(req);
      if (form === undefined) return tooLarge(req, res, page);
      const name = form.get("name") ?? "";
      const path = form.get("path") || "/";
      const domain = form.get("domain") ?? "";
      const refuse = (error: string): void =>
        sendHtml(
          res,
          400,
          labPage(page, { ...labFacts(cookies, DEFAULT_CHOICE, [], cookieName), error }),
        );
      if (name === "")
        return refuse(t("Give the name of the cookie to delete.", "请给出要删除的 cookie 名称。"));
      if (name === cookieName) return refuse(sessionCookieRefusal(cookieName, page.lang));
      try {
        cookies.delete(name, {
          path,
          ...(domain === "" ? {} : { domain }),
          // A prefixed cookie is only ever Secure, and a deletion must say so to be accepted.
          secure: name.startsWith("__Host-") || name.startsWith("__Secure-"),
        });
      } catch (error) {
        // A name no Set-Cookie can carry (a space, ";"): a browser-made cookie tessera cannot name.
        if (!(error instanceof CookieError)) throw error;
        return refuse(refusal(error.message, page.lang, "delete"));
      }
      sendHtml(
        res,
        200,
        labPage(page, labFacts(cookies, DEFAULT_CHOICE, cookies.outgoing, cookieName)),
      );
    },

    "GET /sessions": async ({ res, session, page }) => {
      if (store === undefined) {
        return sendHtml(
          res,
          200,
          sessionsPage(page, { kind: "cookie", format: format as "flask" | "sealed" }),
        );
      }
      const current = await session();
      const flashes = flashesOf(current);
      const username = usernameOf(current);
      if (username === undefined) {
        return sendHtml(res, 200, sessionsPage({ ...page, flashes }, { kind: "anonymous" }));
      }
      const found = await sessionsOf(store, username, current.id, lifetimeMs);
      sendHtml(
        res,
        200,
        sessionsPage(
          { ...page, flashes },
          {
            kind: "listed",
            username,
            rows: found.rows,
            indexed: found.indexed,
            storeKind: store.kind,
          },
        ),
      );
    },

    "POST /sessions/revoke": async ({ req, res, session, page, t }) => {
      const form = await readForm(req);
      if (form === undefined) return tooLarge(req, res, page);
      const current = await session();
      const username = usernameOf(current);
      if (store === undefined || username === undefined) return redirect(res, "/sessions");
      const id = form.get("id") ?? "";
      // Only the user's own sessions: an id from someone else's list changes nothing.
      const revoked = id !== "" && (await revokeOwn(store, username, id));
      if (revoked && id === current.id) {
        current.destroy();
        return redirect(res, "/login?logged-out");
      }
      current.flash(
        revoked
          ? t(
              "That session is revoked: its browser is logged out.",
              "该会话已撤销：对应的浏览器已退出登录。",
            )
          : t(
              "No such session of yours (it may have ended already).",
              "没有这个属于你的会话（可能已经结束）。",
            ),
      );
      redirect(res, "/sessions");
    },
  };

  const handler = withSessions<DemoSession>(
    sessions,
    async (req, res, { session, cookies }) => {
      const path = pathOf(req.url);
      // HEAD is GET without the body; node:http leaves the body out of a HEAD response itself.
      const method = req.method === "HEAD" ? "GET" : req.method;
      const lang = chooseLanguage(cookies.get(LANGUAGE_COOKIE), req.headers["accept-language"]);
      // A form's answer offers the language switch back to the form's page, not to the POST.
      const back = method === "GET" ? (req.url ?? "/") : (RETURN_TO[path] ?? "/");
      const page: PageContext = { lang, path: back };
      const t = translator(lang);
      const api = path.startsWith("/api/");
      if (method === "POST" && isCrossSite(req)) {
        // Another site's form posting here (logging the visitor out, planting a cookie): refused.
        if (api)
          return sendJson(res, 403, { error: "Refused: this request came from another site." });
        return sendHtml(
          res,
          403,
          errorPage(
            page,
            403,
            t("Refused", "已拒绝"),
            t(
              "This form was sent from another site. The demo only accepts its own forms, so a page elsewhere cannot log you out or set your cookies.",
              "这个表单来自别的网站。演示站点只接受自己的表单，所以别处的页面无法让你退出登录或设置你的 cookie。",
            ),
          ),
        );
      }
      const route = routes[`${method} ${path}`];
      if (route !== undefined) return route({ req, res, cookies, session, page, t });
      const allowed = Object.keys(routes)
        .filter((key) => key.endsWith(` ${path}`))
        .map((key) => key.slice(0, key.indexOf(" ")));
      if (allowed.includes("GET")) allowed.push("HEAD");
      if (allowed.length > 0) res.setHeader("Allow", allowed.join(", "));
      if (api) {
        return allowed.length > 0
          ? sendJson(res, 405, { error: `${path} answers ${allowed.join(", ")}, not ${method}.` })
          : sendJson(res, 404, { error: `No route for ${method} ${path}.` });
      }
      if (allowed.length > 0) {
        return sendHtml(
          res,
          405,
          errorPage(
            page,
            405,
            t("Method not allowed", "不支持的请求方法"),
            t(
              `${path} answers ${allowed.join(", ")}, not ${method}.`,
              `${path} 只接受 ${allowed.join("、")}，不接受 ${method}。`,
            ),
          ),
        );
      }
      sendHtml(
        res,
        404,
        errorPage(
          page,
          404,
          t("Page not found", "页面不存在"),
          t(`There is no page at ${method} ${path}.`, `${method} ${path} 没有对应的页面。`),
        ),
      );
    },
    { onError: answerError },
  );
  return { sessions, handler };
}

/**
 * Who is logged in: the session's `username` when it is text. A Flask app sharing the cookie
 * (cookie:flask) may have put anything there; anything else is nobody.
 */
function usernameOf(session: Session<DemoSession>): string | undefined {
  const username: unknown = session.get("username");
  return typeof username === "string" && username !== "" ? username : undefined;
}

/** Where a form's page sends the language switch back to. */
const RETURN_TO: Readonly<Record<string, string>> = {
  "/cookies/set": "/cookies",
  "/cookies/delete": "/cookies",
  "/login": "/login",
  "/sessions/revoke": "/sessions",
};

/** The lab's view of this request's cookies, with the verified value of signed ones. */
function labFacts(
  cookies: Cookies,
  choice: LabChoice,
  sent: readonly string[],
  sessionCookie: string,
) {
  const listed = Object.entries(cookies.all()).map(([name, value]) => {
    const signed = cookies.verifySigned(name)?.value;
    const cookie = { name: shown(name), value: shown(value), session: name === sessionCookie };
    return signed === undefined ? cookie : { ...cookie, signed: shown(signed) };
  });
  return { cookies: listed, choice, sent };
}

/** The lab leaves the session cookie to the session: the tamper button changes it on purpose. */
function sessionCookieRefusal(name: string, lang: Lang): string {
  return lang === "zh"
    ? `cookie 实验室不会改动会话 cookie（${name}）：它由会话管理。想看篡改它会怎样，请用“检查会话”页面上的篡改按钮；想结束会话，请退出登录。`
    : `The lab leaves the session cookie (${name}) alone: the session manages it. To see what tampering with it does, use the tamper button on the Inspect page; to end the session, log out.`;
}

/** Why tessera refused a cookie, in Chinese too: the known cases explained, the rest quoted. */
const REFUSALS_ZH: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /has the __Host- prefix/,
    "__Host- 前缀的 cookie 必须带 Secure、Path=/，并且不能有 Domain，否则浏览器会拒绝。",
  ],
  [/has the __Secure- prefix/, "__Secure- 前缀的 cookie 必须带 Secure，否则浏览器会拒绝。"],
  [/SameSite=None but is not Secure/, "SameSite=None 的 cookie 必须带 Secure，否则浏览器会拒绝。"],
  [/Partitioned but not Secure/, "Partitioned 的 cookie 必须带 Secure，否则浏览器会拒绝。"],
  [
    /over the 4096-byte limit/,
    "cookie 太大：名称、值和属性加起来超过了浏览器的 4096 字节上限，浏览器会丢掉它。",
  ],
  [
    /both maxAge and expires/,
    "Max-Age 和 Expires 只能选一个：只认其中一个的客户端会对过期时间有不同的理解（tessera 的 maxAge 会同时发送对应的 Expires）。",
  ],
  [
    /^Cookie name .* contains/,
    "cookie 名称里有不允许的字符：名称只能由字母、数字和部分符号组成，不能有空格、分号、等号、引号或非 ASCII 字符。",
  ],
  [/does not start with "\/"/, "Path 必须以“/”开头，否则浏览器会忽略它。"],
  [/Set-Cookie Path/, "Path 里有不允许的字符（比如分号或控制字符）。"],
  [
    /Domain attribute cannot hold|is not a valid host name|domain option/,
    "Domain 必须是一个有效的主机名，比如 example.com。",
  ],
  [/outside the years 1601 to 9999/, "Expires 必须在 1601 年到 9999 年之间。"],
  [
    /lands after the year 9999/,
    "Max-Age 太大，过期时间超过了 9999 年；浏览器本来最多也只保存 400 天。",
  ],
];

/** tessera's reason for refusing a cookie (to set, or to delete), in the page's language. */
function refusal(message: string, lang: Lang, action: "set" | "delete" = "set"): string {
  if (lang === "en")
    return `The cookie was not ${action === "set" ? "set" : "deleted"}: ${message}`;
  const known = REFUSALS_ZH.find(([pattern]) => pattern.test(message));
  const lead = action === "set" ? "没有设置 cookie" : "没有删除 cookie";
  return known === undefined
    ? `${lead}：tessera 拒绝了它，原因如下（英文）：${message}`
    : `${lead}：${known[1]}`;
}

/** `index:from:to` from the tamper redirect, checked: the page only repeats what makes sense. */
function tamperedOf(
  setting: string | null,
): { index: number; from: string; to: string } | undefined {
  const match =
    setting === null ? null : /^(\d{1,4}):([A-Za-z0-9_-]?):([A-Za-z0-9_-])$/.exec(setting);
  if (match === null) return undefined;
  return { index: Number(match[1]), from: match[2] ?? "", to: match[3] ?? "" };
}

function withoutDoctype(html: string): string {
  return html.replace(/^<!doctype html>\n/, "");
}

/**
 * A request that failed before it answered: HTML for the browser's pages, JSON under /api/,
 * with the engine's status (503 and Retry-After for a store outage, 500 otherwise).
 */
function answerError(error: unknown, req: IncomingMessage, res: ServerResponse): void {
  const answer = errorResponse(error);
  if (answer.log) console.error("tessera demo: request failed:", error);
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  if (answer.status === 503) res.setHeader("Retry-After", "1");
  const lang = chooseLanguage(
    parseCookieHeader(req.headers.cookie)[LANGUAGE_COOKIE],
    req.headers["accept-language"],
  );
  const t = translator(lang);
  const message =
    answer.status === 503
      ? t(
          "The session store is not answering; try again shortly.",
          "会话存储没有响应，请稍后再试。",
        )
      : t("Something went wrong on the server; it has been logged.", "服务器出错了，已记录日志。");
  if (pathOf(req.url).startsWith("/api/")) sendJson(res, answer.status, { error: message });
  else {
    const title =
      answer.status === 503
        ? t("Try again shortly", "请稍后再试")
        : t("Server error", "服务器错误");
    sendHtml(
      res,
      answer.status,
      errorPage({ lang, path: req.url ?? "/" }, answer.status, title, message),
    );
  }
}

function tooLarge(req: IncomingMessage, res: ServerResponse, page: PageContext): void {
  res.setHeader("Connection", "close");
  const t = translator(page.lang);
  const message = t(
    `Form bodies are limited to ${FORM_LIMIT_BYTES} bytes; nothing was changed.`,
    `表单内容最多 ${FORM_LIMIT_BYTES} 字节；没有做任何改变。`,
  );
  if (pathOf(req.url).startsWith("/api/")) sendJson(res, 413, { error: message });
  else sendHtml(res, 413, errorPage(page, 413, t("Too large", "内容过大"), message));
}
