/** The demo's HTML, kept apart from its routing. Every interpolated value is escaped. */

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function layout(title: string, body: string, flashes: readonly string[] = []): string {
  const messages = flashes.map((message) => `<p class="flash">${escapeHtml(message)}</p>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · tessera demo</title></head>
<body>
<nav><a href="/">Home</a> · <a href="/cookies">Cookies</a> · <a href="/api/me">/api/me</a></nav>
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

export function loginPage(error?: string): string {
  return layout(
    "Log in",
    `${error ? `<p class="error">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/login">
  <label>Username <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Log in</button>
</form>`,
  );
}

export function cookiePage(value: string | undefined): string {
  return layout(
    "Cookies",
    `<p>The <code>user</code> cookie is ${value === undefined ? "not set" : `<strong>${escapeHtml(value)}</strong>`}.</p>
<form method="post" action="/cookies/set">
  <label>Value <input name="value" required></label>
  <button type="submit">Set cookie</button>
</form>
<form method="post" action="/cookies/delete"><button type="submit">Delete cookie</button></form>`,
  );
}
