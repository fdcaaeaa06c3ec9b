/**
 * Every error tessera throws on purpose is a TesseraError with a stable `code`, so applications
 * can branch on the kind of failure without parsing messages, and messages can stay written for
 * people: what was wrong, with which value, and what to do.
 */
export class TesseraError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration mistake found at startup (short secret, bad cookie options, unknown store). */
export class ConfigError extends TesseraError {
  constructor(message: string, options?: ErrorOptions) {
    super("TESSERA_CONFIG", message, options);
  }
}

/** A cookie that cannot be sent as asked (bad name or value, prefix rules, over 4096 bytes). */
export class CookieError extends TesseraError {
  constructor(message: string, options?: ErrorOptions) {
    super("TESSERA_COOKIE", message, options);
  }
}

/**
 * The session store failed or did not answer in time. Adapters answer 503 for it: the request
 * cannot be served correctly, but the process stays up and the next request tries again.
 */
export class StoreUnavailableError extends TesseraError {
  readonly operation: string;
  constructor(operation: string, message: string, options?: ErrorOptions) {
    super("TESSERA_STORE_UNAVAILABLE", message, options);
    this.operation = operation;
  }
}
