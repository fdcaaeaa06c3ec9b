/** /inspect: the request's cookie, its parts and signature, the stored record, the Set-Cookie sent. */
import { FlaskTuple, FlaskUUID, Markup } from "../../src/codecs/flask/tagged-json.ts";
import { type Translate, translator } from "../i18n.ts";
import type { CookieAnatomy, PartKind } from "../inspect/cookie-anatomy.ts";
import type { RecordView } from "../inspect/record.ts";
import { escapeHtml, layout, type PageContext } from "./layout.ts";

export interface InspectFacts {
  readonly cookieHeader: string | undefined;
  readonly cookieName: string;
  /** The session cookie the engine used: the first that verifies, else the first. */
  readonly cookieValue: string | undefined;
  /** How many cookies of the session cookie's name the request carried. */
  readonly sameNameCookies: number;
  readonly anatomy: CookieAnatomy | undefined;
  /** Names the demo's secret without revealing it. */
  readonly keyFingerprint: string;
  readonly format: "id" | "flask" | "sealed";
  readonly storeDescription: string;
  /** The record under the cookie's id, as the store holds it (id cookies that verify). */
  readonly record: RecordView | undefined;
  /** The session as the application sees it on this request. */
  readonly session: {
    readonly isNew: boolean;
    readonly data: unknown;
    readonly expiresAt: number | undefined;
    readonly permanent: boolean;
  };
  /** The Set-Cookie lines this very response carried. */
  readonly setCookie: readonly string[];
  /** Set after the tamper button: which character was changed. */
  readonly tampered:
    | { readonly index: number; readonly from: string; readonly to: string }
    | undefined;
}

function partName(kind: PartKind, t: Translate, format: InspectFacts["format"]): string {
  switch (kind) {
    case "value":
      return t("value", "值");
    case "id":
      return t("session id (256 random bits)", "会话 id（256 位随机数）");
    case "signature":
      // itsdangerous signs Flask's cookie with HMAC-SHA1 (27 characters); tessera's ids with SHA-256.
      return format === "flask"
        ? t(
            "signature (HMAC-SHA1 with the secret, as Flask)",
            "签名（与 Flask 相同，用密钥计算的 HMAC-SHA1）",
          )
        : t("signature (HMAC-SHA256 with the secret)", "签名（用密钥计算的 HMAC-SHA256）");
    case "payload":
      return t(
        "payload: the session data, base64 (readable by anyone)",
        "载荷：会话数据的 base64（任何人都能读）",
      );
    case "timestamp":
      return t("timestamp: when it was signed", "时间戳：签名的时间");
    case "header":
      return t("header: format version and key id", "头部：格式版本和密钥 id");
    case "sealed":
      return t(
        "sealed: nonce, AES-256-GCM ciphertext and tag",
        "密封部分：随机数、AES-256-GCM 密文和认证标签",
      );
  }
}

const PART_CLASS: Record<PartKind, string> = {
  value: "part-id",
  id: "part-id",
  signature: "part-sig",
  payload: "part-id",
  timestamp: "part-ts",
  header: "part-head",
  sealed: "part-sig",
};

/**
 * JSON of the session, with Flask's own types shown as their values (what the app reads): a
 * tuple as a list, bytes as Python writes them, a UUID as its hex, Markup as its HTML.
 */
function json(value: unknown): string {
  function plain(this: Record<string, unknown>, key: string, item: unknown): unknown {
    const original = this[key]; // before toJSON: a Buffer arrives here as itself
    if (original instanceof FlaskTuple) return original.items;
    if (original instanceof Uint8Array) return `b'${Buffer.from(original).toString("latin1")}'`;
    if (original instanceof FlaskUUID) return original.hex;
    if (original instanceof Markup) return original.html;
    return item;
  }
  return escapeHtml(JSON.stringify(value, plain, 2) ?? "undefined");
}

function time(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

function cookieSection(facts: InspectFacts, t: Translate): string {
  const { anatomy, cookieName } = facts;
  const name = `<code>${escapeHtml(cookieName)}</code>`;
  if (anatomy === undefined) {
    return `<p>${t(`No ${name} cookie came with this request.`, `这个请求没有带 ${name} cookie。`)}</p>
<p class="explain">${t(
      "Without a session cookie there is no session to load: the server reads nothing from the store. Log in, and the next request carries one.",
      "没有会话 cookie 就没有会话可加载：服务器不会读取存储。登录之后，下一个请求就会带上它。",
    )}</p>`;
  }
  const coloured = anatomy.parts
    .map((part) => `<span class="${PART_CLASS[part.kind]}">${escapeHtml(part.text)}</span>`)
    .join(".");
  const rows = anatomy.parts
    .map(
      (part) =>
        `<tr><th>${partName(part.kind, t, facts.format)}</th><td><code>${escapeHtml(part.text)}</code></td></tr>`,
    )
    .join("");
  const key = `<code>${facts.keyFingerprint}</code>`;
  const verdict = anatomy.verified
    ? `<p class="ok">✓ ${t(
        `Verifies with the current key (SECRET_KEY, fingerprint ${key}).`,
        `用当前密钥验证通过（SECRET_KEY，指纹 ${key}）。`,
      )}</p>`
    : `<p class="bad">✗ ${t(
        `Does not verify with the current key (fingerprint ${key}): the server ignores it and starts a fresh, empty session.`,
        `用当前密钥（指纹 ${key}）验证失败：服务器忽略它，开始一个全新的空会话。`,
      )}</p>`;
  const extra: string[] = [];
  if (anatomy.signedAt !== undefined) {
    extra.push(`<tr><th>${t("signed at", "签名时间")}</th><td>${time(anatomy.signedAt)}</td></tr>`);
  }
  if (anatomy.keyId !== undefined) {
    extra.push(
      `<tr><th>${t("key id", "密钥 id")}</th><td><code>${escapeHtml(anatomy.keyId)}</code></td></tr>`,
    );
  }
  if (anatomy.expiresAt !== undefined) {
    extra.push(
      `<tr><th>${t("sealed until", "有效期至")}</th><td>${time(anatomy.expiresAt)}</td></tr>`,
    );
  }
  const explanation =
    anatomy.format === "session-id"
      ? t(
          "The cookie holds only an id and its signature; the data stays on the server. The signature is an HMAC of the id with the secret, so nobody without the secret can make a cookie the server accepts, and guessing another user's id is hopeless (2<sup>256</sup> possibilities).",
          "cookie 里只有 id 和它的签名，数据留在服务器上。签名是用密钥对 id 计算的 HMAC，没有密钥的人无法伪造服务器接受的 cookie，猜别人的 id 也毫无希望（2<sup>256</sup> 种可能）。",
        )
      : anatomy.format === "flask"
        ? t(
            "Flask's own format (itsdangerous): payload.timestamp.signature. The payload is only base64, so anyone can read it (a leading dot means it is compressed); the signature stops anyone without the secret from changing it. A Flask app with the same secret_key reads this very cookie.",
            "Flask 自己的格式（itsdangerous）：载荷.时间戳.签名。载荷只是 base64，谁都能读（开头有点号表示已压缩）；签名让没有密钥的人无法修改它。使用同一个 secret_key 的 Flask 应用可以读取这个 cookie。",
          )
        : anatomy.format === "sealed"
          ? t(
              "A sealed cookie is encrypted and authenticated (AES-256-GCM): nobody without the secret can read or change it. The key id names the key that sealed it, so secrets can rotate.",
              "密封 cookie 经过加密和认证（AES-256-GCM）：没有密钥的人既不能读也不能改。密钥 id 指明封装它的密钥，因此密钥可以轮换。",
            )
          : t(
              `This is not a cookie this app could have issued: it is not in the format this app uses (${facts.format === "id" ? "an id and its signature" : facts.format === "flask" ? "Flask's payload.timestamp.signature" : "a sealed v1 token"}), so the server ignores it.`,
              `这不可能是本应用发出的 cookie：它不是本应用使用的格式（${facts.format === "id" ? "id 加签名" : facts.format === "flask" ? "Flask 的 载荷.时间戳.签名" : "密封的 v1 令牌"}），所以服务器忽略它。`,
            );
  const duplicates =
    facts.sameNameCookies > 1
      ? `<p class="note">${t(
          `The request carried ${facts.sameNameCookies} cookies named ${cookieName} (another path or subdomain can add one). As the engine does, this is the first of them that verifies, or the first when none does.`,
          `请求带了 ${facts.sameNameCookies} 个名为 ${cookieName} 的 cookie（别的路径或子域名可能再加一个）。和引擎一样，这里显示第一个验证通过的；都不通过时显示第一个。`,
        )}</p>`
      : "";
  return `${duplicates}<pre class="cookie"><code>${escapeHtml(cookieName)}=${coloured}</code></pre>
<table>${rows}${extra.join("")}</table>
${verdict}
<p class="explain">${explanation}</p>`;
}

function recordSection(facts: InspectFacts, t: Translate): string {
  const { record, anatomy } = facts;
  if (facts.format !== "id") {
    const payload = anatomy?.verified ? anatomy.payload : undefined;
    return `${payload === undefined ? `<p>${t("No session data is in the cookie.", "cookie 中没有会话数据。")}</p>` : `<pre><code>${json(payload)}</code></pre>`}
<p class="explain">${t(
      "Sessions here travel whole in the cookie, decoded above: nothing is stored on the server, so there is no record to show. The price: the data goes back and forth on every request, it is limited to about 4 KB, and a cookie already issued cannot be revoked.",
      "这里的会话整个放在 cookie 里（上面是解码结果）：服务器上什么都不存，所以没有记录可看。代价是：数据每个请求都来回传输，大小限制约 4 KB，已经发出的 cookie 无法撤销。",
    )}</p>`;
  }
  if (record === undefined) {
    return `<p>${t("No record is looked up: the request has no session cookie that verifies.", "没有查询记录：请求中没有通过验证的会话 cookie。")}</p>`;
  }
  const view =
    record.transcript !== undefined
      ? `<pre><code>${escapeHtml(record.transcript)}</code></pre>`
      : record.found
        ? `<pre><code>${escapeHtml(record.command)}</code></pre><table>${record.fields
            .map(
              ([column, value]) =>
                `<tr><th>${escapeHtml(column)}</th><td><code>${escapeHtml(value)}</code></td></tr>`,
            )
            .join("")}</table>`
        : `<pre><code>${escapeHtml(record.command)}</code></pre>`;
  const countdown =
    record.expiresAt === undefined
      ? ""
      : record.expiry === "ttl"
        ? `<p>${t("Its TTL: Redis deletes it in", "它的 TTL：Redis 将在")} <span class="countdown" id="ttl" data-expires="${record.expiresAt}" data-gone="${t("0 s: gone (reload)", "0 秒：已删除（刷新）")}"></span>${t(".", " 后删除它。")}</p>`
        : `<p>${t("It expires in", "它将在")} <span class="countdown" id="ttl" data-expires="${record.expiresAt}" data-gone="${t("0 s: expired (reload)", "0 秒：已过期（刷新）")}"></span>${t(
            ": from then on every read refuses it, and a periodic sweep deletes the record later.",
            " 后过期：从那时起任何读取都会拒绝它，之后定期清理会删除这条记录。",
          )}</p>`;
  const found = record.found
    ? ""
    : `<p class="bad">${t("There is no record under this id (it expired, or the session was revoked).", "这个 id 下没有记录（已过期或会话已被撤销）。")}</p>`;
  return `${found}${view}${countdown}
<p class="explain">${t(
    `This is the record as the store (${escapeHtml(facts.storeDescription)}) holds it, read the way an operator would (the SQL row, what redis-cli prints; the memory store can only be read from inside its process). The cookie's id leads here; the record holds the data, when it was created, and when it expires. Deleting it ends the session wherever its cookie is.${record.transcript === undefined ? "" : " In Redis each session key is a hash (one field per key, its value as JSON, and @created), its TTL is the session's remaining life, and the sorted set under the prefix's user: key (ZRANGE above) lists the user's sessions for Your sessions and log out everywhere."}`,
    `这是存储（${escapeHtml(facts.storeDescription)}）中的原始记录，按运维人员查看的方式读取（SQL 的行、redis-cli 的输出；内存存储只能在进程内部读取）。cookie 中的 id 指向这里；记录保存数据、创建时间和过期时间。删除它，无论 cookie 在哪里，这个会话都结束了。${record.transcript === undefined ? "" : "在 Redis 中，每个会话键是一个哈希（每个 key 一个字段，值为 JSON，外加 @created），它的 TTL 就是会话的剩余寿命；前缀加 user: 的有序集合（上面的 ZRANGE）列出这个用户的所有会话，供“你的会话”和“在所有设备上退出”使用。"}`,
  )}</p>`;
}

function setCookieSection(facts: InspectFacts, t: Translate): string {
  if (facts.setCookie.length === 0) {
    return `<p>${t("This response sent no Set-Cookie.", "这个响应没有发送 Set-Cookie。")}</p>
<p class="explain">${t(
      "Nothing about the cookie had to change, so the browser keeps the one it has. A session is re-sent only when it is created, changed, renewed (rolling expiry) or ended.",
      "cookie 不需要任何改变，所以浏览器继续用它已有的那个。只有会话被创建、修改、续期（滚动过期）或结束时才会重新发送。",
    )}</p>`;
  }
  const deletion = facts.setCookie.some((line) => line.startsWith(`${facts.cookieName}=;`))
    ? `<p>${t(
        "The session cookie is deleted (empty, Max-Age=0): the browser held one the server could not use, so the server tells it to drop it.",
        "会话 cookie 被删除（值为空，Max-Age=0）：浏览器带来的 cookie 服务器用不了，所以让浏览器丢掉它。",
      )}</p>`
    : "";
  return `<pre><code>${facts.setCookie.map((line) => `Set-Cookie: ${escapeHtml(line)}`).join("\n")}</code></pre>${deletion}
<p class="explain">${t(
    "HttpOnly hides the cookie from page scripts (so injected JavaScript cannot steal it); SameSite=Lax keeps it off cross-site form posts; Max-Age and Expires make it outlive the browser (a permanent session); Max-Age=0 deletes it.",
    "HttpOnly 让页面脚本看不到 cookie（注入的 JavaScript 偷不走它）；SameSite=Lax 使跨站表单提交不带它；Max-Age 和 Expires 让它在浏览器关闭后仍然存在（永久会话）；Max-Age=0 表示删除它。",
  )}</p>`;
}

function tamperSection(facts: InspectFacts, t: Translate): string {
  const tampered = facts.tampered;
  const result = facts.session.isNew
    ? `${t(
        "The signature no longer matches, so the server ignored the cookie: this request has a fresh, empty session, and you are logged out.",
        "签名不再匹配，服务器忽略了这个 cookie：这个请求得到一个全新的空会话，你已经退出登录。",
      )} ${
        facts.format === "id"
          ? t(
              "The stored record is untouched, but nothing leads to it any more.",
              "存储中的记录没有被动，但再也没有东西指向它。",
            )
          : t(
              "Nothing the cookie carried is trusted any more.",
              "cookie 里带的任何内容都不再被信任。",
            )
      }`
    : t("The session still loaded.", "会话仍然加载了。");
  const outcome =
    tampered === undefined
      ? ""
      : `<p class="error" role="status">${t(
          `Character ${tampered.index + 1} of the cookie was changed from “${escapeHtml(tampered.from)}” to “${escapeHtml(tampered.to)}”.`,
          `cookie 的第 ${tampered.index + 1} 个字符从“${escapeHtml(tampered.from)}”改成了“${escapeHtml(tampered.to)}”。`,
        )} ${result}</p>${
          facts.format === "flask"
            ? `<p class="explain">${t(
                "Flask does the same: its SecureCookieSessionInterface.open_session catches itsdangerous's BadSignature and returns a new, empty session; no error page, no crash. Nor does Flask delete the bad cookie: an empty session nobody changed writes nothing, so the browser keeps sending it until the next login replaces it. tessera, in this format, does as Flask does.",
                "Flask 的做法完全一样：SecureCookieSessionInterface.open_session 捕获 itsdangerous 的 BadSignature，返回一个新的空会话；没有错误页，也不会崩溃。Flask 也不会删除这个坏 cookie：没人改动的空会话不写任何东西，所以浏览器会一直发送它，直到下次登录把它替换掉。在这种格式下，tessera 的做法与 Flask 相同。",
              )}</p>`
            : ""
        }`;
  return `${outcome}
<form method="post" action="/inspect/tamper"><input type="hidden" name="permanent" value="${facts.session.permanent ? "1" : "0"}"><button type="submit" class="danger"${facts.cookieValue === undefined ? " disabled" : ""}>${t("Tamper with my cookie", "篡改我的 cookie")}</button></form>
<p class="explain">${t(
    "Changes one character of the session cookie in your browser, as someone editing it by hand would, and comes back here to show what the server makes of it.",
    "像有人手工修改一样，把浏览器中会话 cookie 的一个字符改掉，然后回到这里看服务器如何处理。",
  )}</p>`;
}

export function inspectPage(page: PageContext, facts: InspectFacts): string {
  const t = translator(page.lang);
  const header =
    facts.cookieHeader === undefined
      ? `<p>${t("(no Cookie header)", "（没有 Cookie 头）")}</p>`
      : `<pre><code>Cookie: ${escapeHtml(facts.cookieHeader)}</code></pre>`;
  return layout(
    page,
    t("Inspect", "检查会话"),
    `<h1>${t("Inspect this request", "检查这个请求")}</h1>
<section class="card" id="tamper"><h2>${t("Tamper", "篡改")}</h2>${tamperSection(facts, t)}</section>
<section class="card" id="cookie-header"><h2>${t("1. The Cookie header your browser sent", "1. 浏览器发送的 Cookie 头")}</h2>${header}
<p class="explain">${t(
      "Every request to this site carries all of its cookies in one header, as name=value pairs: the browser keeps them, the server only reads them.",
      "发往本站的每个请求都把本站所有 cookie 放在一个头里，形如 name=value：cookie 由浏览器保存，服务器只是读取。",
    )}</p></section>
<section class="card" id="session-cookie"><h2>${t("2. The session cookie, taken apart", "2. 拆开会话 cookie")}</h2>${cookieSection(facts, t)}</section>
<section class="card" id="record"><h2>${t("3. Where the session lives", "3. 会话存放在哪里")}</h2>${recordSection(facts, t)}</section>
<section class="card" id="session"><h2>${t("4. The session as the application sees it", "4. 应用看到的会话")}</h2>
<pre><code>${json(facts.session.data)}</code></pre>
<p class="explain">${
      facts.session.isNew
        ? t(
            "A new, empty session: nothing is stored and no cookie is sent unless the application puts something in it.",
            "一个新的空会话：除非应用往里放东西，否则什么都不存，也不发送 cookie。",
          )
        : t(
            "What session.get(…) reads. Flash messages wait under _flashes until a page shows them.",
            "这就是 session.get(…) 读到的内容。闪现消息存放在 _flashes 下，直到某个页面显示它们。",
          )
    }</p></section>
<section class="card" id="set-cookie"><h2>${t("5. The Set-Cookie this response sent", "5. 这个响应发送的 Set-Cookie")}</h2>${setCookieSection(facts, t)}</section>`,
  );
}
