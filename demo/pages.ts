/** The demo's HTML, kept apart from its routing. Every interpolated value is escaped. */

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Usernames longer than this are refused at login with a message saying so. */
export const MAX_USERNAME_LENGTH = 64;

/** The tab icon, at /favicon.ico: a small tile, drawn inline (the demo loads nothing external). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f4e79"/><rect x="6" y="6" width="9" height="9" rx="1.5" fill="#f2c14e"/><rect x="17" y="6" width="9" height="9" rx="1.5" fill="#fff"/><rect x="6" y="17" width="9" height="9" rx="1.5" fill="#fff"/><rect x="17" y="17" width="9" height="9" rx="1.5" fill="#f2c14e"/></svg>`;

/** Readable on a phone and a desktop, with no external assets (the demo may run offline). */
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;color:#1b1b1b}
nav{display:flex;gap:1rem;flex-wrap:wrap;padding-bottom:.5rem;border-bottom:1px solid #ddd;margin-bottom:1rem}
a{color:#1f4e79}form{margin:.75rem 0}label{display:block;margin:.5rem 0}
input{font:inherit;padding:.4rem;width:100%;max-width:20rem;box-sizing:border-box;display:block}
button{font:inherit;padding:.4rem 1rem;cursor:pointer}
.flash{background:#e8f4e8;border-left:4px solid #3a7d44;padding:.5rem .75rem}
.error{background:#fdecea;border-left:4px solid #b3261e;padding:.5rem .75rem}
.note{color:#555;font-size:.9rem}`;

function layout(title: string, body: string, flashes: readonly string[] = []): string {
  const messages = flashes.map((message) => `<p class="flash">${escapeHtml(message)}</p>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>${STYLE}</style>
<title>${escapeHtml(title)} · tessera demo</title></head>
<body>
<nav><a href="/">Home</a> <a href="/cookies">Cookies</a> <a href="/api/me">/api/me</a></nav>
${messages}
${body}
</body></html>
`;
}

export function homePage(
  username: string | undefined,
  flashes: readonly string[],
  options: { readonly everywhere?: boolean } = {},
): string {
  if (username === undefined) {
    return layout(
      "Home",
      `<p>You are not logged in.</p><p><a href="/login">Log in</a></p>`,
      flashes,
    );
  }
  // Only a store with a per-user index (Redis) can end a user's sessions on every machine.
  const everywhere = options.everywhere
    ? `\n<form method="post" action="/logout-everywhere"><button type="submit">Log out everywhere</button></form>`
    : "";
  return layout(
    "Home",
    `<p>Hello, ${escapeHtml(username)}</p>
<form method="post" action="/logout"><button type="submit">Log out</button></form>${everywhere}`,
    flashes,
  );
}

export function loginPage(
  options: { readonly error?: string; readonly flashes?: readonly string[] } = {},
): string {
  return layout(
    "Log in",
    `${options.error ? `<p class="error">${escapeHtml(options.error)}</p>` : ""}
<form method="post" action="/login">
  <label>Username <input name="username" autocomplete="username" required maxlength="${MAX_USERNAME_LENGTH}"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Log in</button>
</form>
<p class="note">This is a demo: any password is accepted, and the username is all that is kept.</p>`,
    options.flashes,
  );
}

/** GET /logout: logging out changes state, so it is a form (a POST), never a link. */
export function logoutPage(username: string | undefined): string {
  return layout(
    "Log out",
    username === undefined
      ? `<p>You are not logged in. <a href="/login">Log in</a></p>`
      : `<p>Logged in as ${escapeHtml(username)}. Logging out ends this session:</p>
<form method="post" action="/logout"><button type="submit">Log out</button></form>
<p class="note">Logging out is a POST, so a link or an image on another site cannot log you out.</p>`,
  );
}

export function cookiePage(value: string | undefined, error?: string): string {
  return layout(
    "Cookies",
    `${error ? `<p class="error">${escapeHtml(error)}</p>` : ""}
<p>The <code>user</code> cookie is ${value === undefined ? "not set" : `<strong>${escapeHtml(value)}</strong>`}.</p>
<form method="post" action="/cookies/set">
  <label>Value <input name="value" required></label>
  <button type="submit">Set cookie</button>
</form>
<form method="post" action="/cookies/delete"><button type="submit">Delete cookie</button></form>`,
  );
}

/** An error page for the browser; /api/ routes answer JSON instead. */
export function errorPage(status: number, title: string, message: string): string {
  return layout(
    `${status} ${title}`,
    `<h1>${status} ${escapeHtml(title)}</h1>
<p class="error">${escapeHtml(message)}</p>
<p><a href="/">Back to the home page</a></p>`,
  );
}
