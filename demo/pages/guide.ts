/**
 * GET /guide: the Flask cookie-and-session walkthrough this project grew from, step by step.
 * Each step puts the Flask code beside the same thing in tessera, says what differs, and links
 * to the page of this demo that shows it live. The Chinese follows docs/zh/README.md's terms.
 */
import { type Translate, translator } from "../i18n.ts";
import { escapeHtml, layout, type PageContext } from "./layout.ts";

export interface GuideSetup {
  /** How sessions travel in this demo run: "id" (server-side store) or a cookie format. */
  readonly format: "id" | "flask" | "sealed";
  /** Human description of where sessions are, e.g. "sqlite at data/sessions.db". */
  readonly storeDescription: string;
}

/**
 * One step of the walkthrough. Code is plain text (escaped when rendered); prose is HTML.
 * Code lines stay within 50 columns (a CJK character takes two): what one column of the grid
 * shows at the page's full width, so that no line breaks in the middle of a word there.
 */
interface Step {
  /** The anchor: /guide#cookies. */
  readonly id: string;
  readonly title: string;
  readonly flask: string;
  readonly tessera: string;
  readonly explain: string;
  /** HTML after the explanation, e.g. commands to run this demo another way. */
  readonly more?: string;
  readonly live: ReadonlyArray<readonly [href: string, text: string]>;
}

export function guidePage(page: PageContext, setup: GuideSetup): string {
  const t = translator(page.lang);
  const steps = [cookiesStep(t), sessionStep(t, setup), redisStep(t), loginStep(t), inspectStep(t)];
  const body = `<h1>${t("From Flask to tessera", "从 Flask 到 tessera")}</h1>
<p>${t(
    "This guide follows the Flask cookie-and-session walkthrough in order: each Flask snippet beside the same thing in tessera, what differs, and the page of this demo that shows it live.",
    "本页按 Flask cookie 与 session 教程的顺序，把每一段 Flask 代码和对应的 tessera 代码并排列出，说明两者的差别，并链接到演示站点上可以实际操作的页面。",
  )}</p>
<p class="note">${t("This run keeps sessions:", "本次运行的 session 位置：")} <strong>${escapeHtml(setup.storeDescription)}</strong>. ${modeSentence(t, setup.format)}</p>
<ol class="steps">
${steps.map((step) => renderStep(t, step)).join("\n")}
</ol>`;
  return layout(page, t("Guide", "教程"), body);
}

/** What the cookie holds in this run, which decides what /inspect can show. */
function modeSentence(t: Translate, format: GuideSetup["format"]): string {
  switch (format) {
    case "id":
      return t(
        "The session cookie holds only a signed id; the data is in the store (steps 3 and 5).",
        "session cookie 里只有签名的 id，数据在存储里（见第 3、5 步）。",
      );
    case "flask":
      return t(
        "The whole session travels in Flask's own signed cookie, as in step 2: there is no store record, and a Flask app with the same secret reads the cookie.",
        "整个 session 都在 Flask 格式的签名 cookie 里，和第 2 步一样：没有存储记录，使用同一密钥的 Flask 应用可以读取这个 cookie。",
      );
    case "sealed":
      return t(
        "The whole session travels in an encrypted cookie (AES-256-GCM): there is no store record, and the browser can neither read nor change it.",
        "整个 session 都在加密的 cookie 里（AES-256-GCM）：没有存储记录，浏览器既读不了也改不了。",
      );
  }
}

function renderStep(t: Translate, step: Step): string {
  const live = step.live.map(([href, text]) => `<a href="${href}">${text}</a>`).join(" · ");
  return `<li id="${step.id}"><section class="card">
<h2>${escapeHtml(step.title)}</h2>
<div class="grid">
<div><h3>Flask</h3><pre><code>${escapeHtml(step.flask)}</code></pre></div>
<div><h3>tessera</h3><pre><code>${escapeHtml(step.tessera)}</code></pre></div>
</div>
<p class="explain">${step.explain}</p>${step.more ?? ""}
<p>${t("See it live:", "在演示中查看：")} ${live}</p>
</section></li>`;
}

/** Inline code in prose: escaped, since snippets such as `<id>` are full of angle brackets. */
function c(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

function cookiesStep(t: Translate): Step {
  return {
    id: "cookies",
    title: t("Cookies: set, read, delete", "Cookie：设置、读取、删除"),
    flask: `from flask import Flask, make_response, request

app = Flask(__name__)

@app.route("/set")
def set_cookie():
    resp = make_response("Cookie set")
    # ${t("a week", "一周")}
    resp.set_cookie("user", "ada",
                    max_age=7 * 24 * 3600)
    return resp

@app.route("/get")
def get_cookie():
    return request.cookies.get("user", "none")

@app.route("/delete")
def delete_cookie():
    resp = make_response("Cookie deleted")
    resp.delete_cookie("user")
    return resp`,
    tessera: `import { createServer } from "node:http";
import { createSessions } from "tessera";
import { withSessions } from "tessera/node";

const sessions = createSessions({
  secret: process.env.SECRET_KEY!,
});

const app = withSessions(
  sessions,
  async (req, res, { cookies }) => {
    if (req.url === "/set") {
      // ${t("HttpOnly, SameSite=Lax by default", "默认 HttpOnly、SameSite=Lax")}
      cookies.set("user", "ada", {
        maxAge: "7d",
      });
      res.end("Cookie set");
    } else if (req.url === "/get") {
      res.end(cookies.get("user") ?? "none");
    } else if (req.url === "/delete") {
      // ${t("the path/domain it was set with", "path/domain 要与设置时相同")}
      cookies.delete("user");
      res.end("Cookie deleted");
    } else {
      res.writeHead(404).end();
    }
  },
);
createServer(app).listen(3000);`,
    explain: t(
      `The request's cookies come with ${c("withSessions")}, in the handler's third argument. Unlike Flask's ${c("set_cookie")}, ${c("cookies.set")} defaults to ${c("HttpOnly")} and ${c("SameSite=Lax")}, and adds ${c("Secure")} over HTTPS; ${c("maxAge")} takes seconds or ${c('"15m"')}, ${c('"12h"')}, ${c('"7d"')}. As in Flask, ${c("cookies.get")} reads what the request carried, not what this response sets. ${c("cookies.setSigned")} / ${c("cookies.getSigned")} sign a cookie with the secret, as itsdangerous does.`,
      `请求的 cookie 由 ${c("withSessions")} 通过处理函数的第三个参数提供。与 Flask 的 ${c("set_cookie")} 不同，${c("cookies.set")} 默认带 ${c("HttpOnly")} 和 ${c("SameSite=Lax")}，HTTPS 下自动加 ${c("Secure")}；${c("maxAge")} 可以是秒数，也可以写成 ${c('"15m"')}、${c('"12h"')}、${c('"7d"')}。和 Flask 一样，${c("cookies.get")} 读取的是请求带来的值，而不是本次响应要设置的值。${c("cookies.setSigned")} / ${c("cookies.getSigned")} 用密钥给 cookie 签名，相当于 itsdangerous。`,
    ),
    live: [
      [
        "/cookies",
        t(
          "the cookie lab: set, read and delete the user cookie",
          "Cookie 实验室：设置、读取、删除 user cookie",
        ),
      ],
    ],
  };
}

function sessionStep(t: Translate, setup: GuideSetup): Step {
  // Flask's session is the cookie itself; say where this run differs, since /inspect shows it.
  const thisRun =
    setup.format === "flask"
      ? t(
          "This run uses that format, so the cookie /inspect shows is the one Flask would write.",
          "本次运行用的就是这种格式，所以「检查会话」页显示的 cookie 正是 Flask 会写出的那个。",
        )
      : setup.format === "sealed"
        ? t(
            "This run uses the sealed format: the cookie /inspect shows opens only with the secret.",
            "本次运行用的是加密格式：「检查会话」页显示的 cookie 只有用密钥才能打开。",
          )
        : t(
            "This run uses the default: the cookie /inspect shows is an id and its signature.",
            "本次运行用的是默认方式：「检查会话」页显示的 cookie 是一个 id 加上它的签名。",
          );
  return {
    id: "session",
    title: t(
      "The session: secret_key and session['username']",
      "Session：secret_key 与 session['username']",
    ),
    flask: `from flask import Flask, session

app = Flask(__name__)
# ${t("in real life: os.urandom(24)", "实际使用时：os.urandom(24)")}
app.secret_key = "change-me"

@app.route("/visit")
def visit():
    session["username"] = "ada"
    return "saved"

@app.route("/whoami")
def whoami():
    return session.get("username", "nobody")`,
    tessera: `type Data = { username: string };

const sessions = createSessions<Data>({
  // ${t("app.secret_key; make one with", "即 app.secret_key，")}
  // ${t("npx tessera secret", "用 npx tessera secret 生成")}
  secret: process.env.SECRET_KEY!,
  // PERMANENT_SESSION_LIFETIME
  lifetime: "31d",
});

const app = withSessions(
  sessions,
  async (req, res, { session }) => {
    // ${t("loaded on first call", "第一次调用时才加载")}
    const s = await session();
    if (req.url === "/visit") {
      // session["username"] = "ada"
      s.set("username", "ada");
      return res.end("saved");
    }
    // session.get("username", "nobody")
    res.end(s.get("username") ?? "nobody");
  },
);
createServer(app).listen(3000);`,
    explain: t(
      `Flask keeps the whole session in the ${c("session")} cookie, signed with ${c("app.secret_key")}: the browser can read it (it is only base64) but not change it. tessera's default keeps only a signed id in the cookie, ${c("<id>.<HMAC-SHA256>")}, and the data in a store (SQLite in ${c("data/sessions.db")} unless you pass one; step 3). ${c('format: "flask"')} writes Flask's own cookie byte for byte, so a Flask app with the same secret shares the login; ${c('format: "sealed"')} encrypts it. ${c("secret")} may be a list, newest first: the newest signs, all verify. ${thisRun}`,
      `Flask 把整个 session 放在 ${c("session")} cookie 里，用 ${c("app.secret_key")} 签名：浏览器能读到内容（只是 base64），但改不了。tessera 默认只在 cookie 里放签名的 id，${c("<id>.<HMAC-SHA256>")}，数据放在存储里（不指定时是 ${c("data/sessions.db")} 的 SQLite；见第 3 步）。${c('format: "flask"')} 逐字节写出 Flask 自己的 cookie，使用同一密钥的 Flask 应用可以共用登录；${c('format: "sealed"')} 则把它加密。${c("secret")} 也可以是一个列表，最新的在前：用新密钥签名，旧密钥仍可验证。${thisRun}`,
    ),
    live: [
      [
        "/inspect",
        t("Inspect: this session's cookie and data", "检查会话：本次 session 的 cookie 与数据"),
      ],
    ],
  };
}

function redisStep(t: Translate): Step {
  const run = `npm start  # ${t("default: SQLite, data/sessions.db", "默认：SQLite，data/sessions.db")}
SESSION_STORE=redis://127.0.0.1:6379 npm start
SESSION_STORE=postgres://postgres@127.0.0.1:5432/postgres npm start
SESSION_STORE=cookie:flask npm start  # ${t("Flask's own cookie, no store", "Flask 自己的 cookie，不用存储")}`;
  return {
    id: "redis",
    title: t(
      "Redis: the session moves server-side (Flask-Session)",
      "Redis：把 session 放到服务器端（Flask-Session）",
    ),
    flask: `from datetime import timedelta

import redis
from flask import Flask
from flask_session import Session

app = Flask(__name__)
app.secret_key = "change-me"
app.config.update(
    SESSION_TYPE="redis",
    SESSION_REDIS=redis.from_url(
        "redis://127.0.0.1:6379"
    ),
    SESSION_PERMANENT=True,
    PERMANENT_SESSION_LIFETIME=timedelta(days=31),
    SESSION_USE_SIGNER=True,
    SESSION_KEY_PREFIX="session:",
)
Session(app)`,
    tessera: `import { createClient } from "redis";
import { createSessions } from "tessera";
import { redisStore } from "tessera/redis";

// ${t("SESSION_REDIS (node-redis; ioredis works too)", "SESSION_REDIS（node-redis；ioredis 也可以）")}
const client = await createClient({
  url: "redis://127.0.0.1:6379",
}).connect();

const sessions = createSessions<Data>({
  secret: process.env.SECRET_KEY!,
  // SESSION_TYPE="redis", SESSION_KEY_PREFIX
  store: redisStore({
    client,
    prefix: "session:",
    // ${t("index each user's sessions", "按用户索引 session")}
    userKey: "username",
  }),
  permanent: true, // SESSION_PERMANENT
  lifetime: "31d", // PERMANENT_SESSION_LIFETIME
  // ${t("SESSION_USE_SIGNER: always on, the cookie", "SESSION_USE_SIGNER：始终开启，cookie 是")}
  // ${t("is <id>.<HMAC-SHA256>", "<id>.<HMAC-SHA256>")}
});
// ${t("The handlers of step 2 do not change.", "第 2 步的处理函数不用改。")}`,
    explain: t(
      `With Flask-Session the cookie keeps only the session id and the data moves to Redis, under ${c("session:<id>")}, with the lifetime as its TTL. tessera does the same with ${c("redisStore")}, and nothing else in the app changes. Its record is a hash with one field per session key, so a request writes only the keys it changed, atomically; the TTL moves on use, at most once per ${c("touchAfter")}. ${c("userKey")} keeps an index of each user's sessions, to list them and log out everywhere. ${c("postgresStore")} and the default ${c("sqliteStore")} work the same way. To share sessions with a running Flask-Session app, use ${c('format: "flask-session"')} and the store's ${c('layout: "flask-session"')}.`,
      `使用 Flask-Session 后，cookie 里只剩 session id，数据搬到 Redis 的 ${c("session:<id>")} 下，TTL 就是 session 的寿命。tessera 用 ${c("redisStore")} 做同样的事，应用的其他部分不用改。它的记录是一个 hash，每个 session key 一个字段，所以一次请求只原子地写入它改过的 key；使用时 TTL 会顺延，每个 ${c("touchAfter")} 最多一次。${c("userKey")} 按用户索引 session，用来列出某个用户的所有 session 或全部登出。${c("postgresStore")} 和默认的 ${c("sqliteStore")} 用法相同。要和正在运行的 Flask-Session 应用共用同一份 session，用 ${c('format: "flask-session"')} 加上 store 的 ${c('layout: "flask-session"')}。`,
    ),
    more: `
<p>${t("Run this demo on Redis, on PostgreSQL, or with Flask's own cookie:", "用 Redis、PostgreSQL 或 Flask 自己的 cookie 运行本演示：")}</p>
<pre><code>${escapeHtml(run)}</code></pre>`,
    live: [
      [
        "/inspect",
        t("Inspect: the record as the store holds it", "检查会话：存储里保存的记录原样"),
      ],
    ],
  };
}

function loginStep(t: Translate): Step {
  return {
    id: "login",
    title: t("Logging in and out", "登录与登出"),
    flask: `from flask import redirect, request, session
from flask import url_for

@app.route("/")
def index():
    if "username" in session:
        name = session["username"]
        return f"Logged in as {name}"
    return "You are not logged in"

@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        name = request.form["username"]
        session["username"] = name
        return redirect(url_for("index"))
    return """
        <form method="post">
          <input name="username">
          <button>Login</button>
        </form>
    """

@app.route("/logout")
def logout():
    # ${t("or session.clear()", "或 session.clear()")}
    session.pop("username", None)
    return redirect(url_for("index"))`,
    tessera: `import { text } from "node:stream/consumers";

const loginForm = \`<form method="post">
  <input name="username">
  <button>Login</button>
</form>\`;

const app = withSessions(
  sessions,
  async (req, res, { session }) => {
    const s = await session();
    const post = req.method === "POST";
    if (req.url === "/login" && post) {
      const body = await text(req);
      const form = new URLSearchParams(body);
      const name = form.get("username") ?? "";
      // ${t("a new id on login: no session fixation", "登录时换新 id，防止 session 固定攻击")}
      s.regenerate();
      s.set("username", name);
      res.writeHead(303, { Location: "/" });
      return res.end();
    }
    if (req.url === "/login") {
      return res.end(loginForm);
    }
    if (req.url === "/logout" && post) {
      // ${t("the record deleted, the cookie cleared", "删除记录并清除 cookie")}
      s.destroy();
      res.writeHead(303, { Location: "/" });
      return res.end();
    }
    const name = s.get("username");
    res.end(
      name
        ? \`Logged in as \${name}\`
        : "You are not logged in",
    );
  },
);
createServer(app).listen(3000);
// session.pop("username"): s.delete("username")
// session.clear(): s.clear()`,
    explain: t(
      `${c("regenerate()")} gives the session a new id at login, so an id planted in the browser beforehand is worthless (Flask's quickstart does not; Flask-Session 0.7+ has ${c("regenerate")}). ${c("destroy()")} is logout: the record is deleted and the cookie cleared; ${c('s.delete("username")')} and ${c("s.clear()")} are ${c("session.pop")} and ${c("session.clear()")}. The session is saved before the 303 leaves, so the page it leads to sees the login. This demo logs out with a POST form, not a link, so another site cannot log you out; it accepts any password.`,
      `${c("regenerate()")} 在登录时给 session 换一个新 id，这样登录前被植入浏览器的 id 就失效了（Flask 快速入门没有这样做；Flask-Session 0.7 起提供 ${c("regenerate")}）。${c("destroy()")} 用于登出：删除记录并清除 cookie；${c('s.delete("username")')} 和 ${c("s.clear()")} 对应 ${c("session.pop")} 和 ${c("session.clear()")}。session 在 303 发出之前就已保存，所以跳转后的页面能看到登录状态。本演示用 POST 表单登出而不是链接，其他网站无法让你登出；任何密码都接受。`,
    ),
    live: [["/login", t("log in", "登录")]],
  };
}

function inspectStep(t: Translate): Step {
  // A real id from README's run; the listings shorten it with … to fit the column.
  const id = "FzpeO0jg-B-m9VculSd3GbLbamgCVUUepWRNXrhP_FA";
  const short = `${id.slice(0, 20)}…`;
  return {
    id: "inspect",
    title: t(
      "Inspecting: the cookie in the browser, the record in Redis",
      "查看：浏览器里的 cookie，Redis 里的记录",
    ),
    flask: `# ${t("Browser: DevTools → Application → Cookies", "浏览器：开发者工具 → Application → Cookies")}
# ${t("Flask-Session: the cookie holds the id", "Flask-Session：cookie 里只有 id")}
redis-cli keys '*'
#   session:${short}
ID=${id}
redis-cli get "session:$ID"
#   ${t("one string: the dict as MessagePack", "一个字符串：MessagePack 编码的字典")}
redis-cli ttl "session:$ID"
#   (integer) 2678399`,
    tessera: `# ${t("Browser: session = <id>.<signature>", "浏览器：session = <id>.<签名>")}
redis-cli keys '*'
#   session:${short}
#   session:user:ada  # ${t("ada's sessions", "ada 的所有 session")}
ID=${id}
redis-cli hgetall "session:$ID"
#   1) "@created"   2) "1795657578859"
#   3) "username"   4) "\\"ada\\""
redis-cli ttl "session:$ID"
#   (integer) 2678398  # ${t("pttl: in ms", "pttl：毫秒")}

# ${t("Any store, with the tessera command:", "任何存储都可以用 tessera 命令查看：")}
npx tessera sessions list \\
  --store sqlite:data/sessions.db
#   ${t("or", "或")} --store redis://127.0.0.1:6379
npx tessera decode COOKIE`,
    explain: t(
      `In the browser's developer tools (Application → Cookies in Chrome, Storage in Firefox) the ${c("session")} cookie is ${c("HttpOnly")}: the page's scripts cannot read it. With a store, the part before the dot is the id, and ${c("session:<id>")} is its record. Flask-Session keeps the dict as one MessagePack string (${c("get")}); tessera keeps a hash (${c("hgetall")}): each value as JSON, plus ${c("@created")}, the creation time in ms. ${c("ttl")} is the seconds left. ${c("keys '*'")} walks the whole keyspace and blocks Redis while it does: on a shared server use ${c("redis-cli --scan --pattern 'session:*'")}. The ${c("tessera")} command reads any store — ${c("npx tessera sessions list --store sqlite:data/sessions.db")}, then ${c("show ID")}, ${c("revoke ID")}, ${c("revoke-user USER")} — and ${c("npx tessera decode COOKIE")} shows what a cookie of any format holds and, given ${c("--secret")}, whether it verifies.`,
      `在浏览器的开发者工具里（Chrome 的 Application → Cookies，Firefox 的“存储”）可以看到 ${c("session")} cookie；它带 ${c("HttpOnly")}，页面脚本读不到。使用存储时，点号前面是 id，${c("session:<id>")} 就是它的记录。Flask-Session 把字典存成一个 MessagePack 字符串（用 ${c("get")} 查看）；tessera 存成一个 hash（用 ${c("hgetall")} 查看）：每个值是 JSON，另有 ${c("@created")}，即创建时间（毫秒）。${c("ttl")} 是剩余秒数。${c("keys '*'")} 会遍历整个键空间，期间阻塞 Redis：在共用的服务器上请用 ${c("redis-cli --scan --pattern 'session:*'")}。${c("tessera")} 命令可以读取任何存储——${c("npx tessera sessions list --store sqlite:data/sessions.db")}，以及 ${c("show ID")}、${c("revoke ID")}、${c("revoke-user USER")}——${c("npx tessera decode COOKIE")} 显示任何格式的 cookie 里有什么，加上 ${c("--secret")} 还会检查它能否通过验证。`,
    ),
    live: [
      [
        "/inspect",
        t("Inspect: the cookie, decoded, and the record", "检查会话：解码后的 cookie 与记录"),
      ],
      [
        "/sessions",
        t(
          "Your sessions: every session of your user; revoke one",
          "你的会话：你这个用户的所有 session，可逐个撤销",
        ),
      ],
    ],
  };
}
