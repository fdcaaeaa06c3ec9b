/**
 * A minimal browser stand-in over fetch: keeps cookies by name from Set-Cookie (honouring
 * deletion by Max-Age=0), sends them back, and never follows redirects on its own.
 */
export class CookieClient {
  readonly base: string;
  readonly jar = new Map<string, string>();

  constructor(base: string) {
    this.base = base;
  }

  async request(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<ClientResponse> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
    if (cookie && headers.cookie === undefined) headers.cookie = cookie;
    if (init.body !== undefined) headers["content-type"] ??= "application/x-www-form-urlencoded";
    const send = () =>
      fetch(new URL(path, this.base), {
        method,
        headers,
        redirect: "manual",
        ...(init.body === undefined ? {} : { body: init.body }),
      });
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      // A kept-alive connection the server closed meanwhile (a restart): browsers send an
      // idempotent request again on a new connection, and so does this.
      if (!(method === "GET" && isStaleConnection(error))) throw error;
      response = await send();
    }
    const setCookies = response.headers.getSetCookie();
    for (const header of setCookies) this.#store(header);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      setCookies,
      text,
      json: () => JSON.parse(text),
    };
  }

  get(path: string, headers?: Record<string, string>): Promise<ClientResponse> {
    return this.request("GET", path, headers ? { headers } : {});
  }

  post(path: string, body = "", headers?: Record<string, string>): Promise<ClientResponse> {
    return this.request("POST", path, headers ? { body, headers } : { body });
  }

  #store(header: string): void {
    const [pair, ...attributes] = header.split(";");
    const eq = (pair ?? "").indexOf("=");
    const name = (pair ?? "").slice(0, eq).trim();
    const value = (pair ?? "").slice(eq + 1).trim();
    const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
    if (expired) this.jar.delete(name);
    else this.jar.set(name, value);
  }
}

export interface ClientResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly setCookies: string[];
  readonly text: string;
  json(): any;
}

function isStaleConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === "UND_ERR_SOCKET" || code === "ECONNRESET";
}
