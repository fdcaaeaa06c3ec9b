/**
 * Every error tessera throws is a TesseraError with a stable `code`, so applications can branch
 * on the kind of failure without parsing messages, and messages can stay written for people:
 * what was wrong, with which value, and what to do.
 *
 * | code                          | class                 | meaning                                          |
 * | ----------------------------- | --------------------- | ------------------------------------------------ |
 * | `TESSERA_CONFIG`              | ConfigError           | a setting is wrong; found at startup             |
 * | `TESSERA_COOKIE`              | CookieError           | a cookie cannot be sent as asked                 |
 * | `TESSERA_SESSION_VALUE`       | SessionValueError     | a value the session's format cannot keep         |
 * | `TESSERA_ARGUMENT`            | ArgumentError         | an argument a function cannot work with          |
 * | `TESSERA_RESPONSE_STARTED`    | ResponseStartedError  | a change after the response started              |
 * | `TESSERA_STORE_UNAVAILABLE`   | StoreUnavailableError | the store failed or did not answer in time (503) |
 * | `TESSERA_NO_SESSION_ID`       | TesseraError          | a cookie session has no id                       |
 * | `TESSERA_SESSION_GONE`        | TesseraError          | reload of a session the store no longer has      |
 * | `TESSERA_ALREADY_COMMITTED`   | TesseraError          | an adapter committed one request twice           |
 * | `TESSERA_UNSUPPORTED`         | TesseraError          | something this setup cannot do, and says why     |
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
 * A value the session cannot keep as it is (undefined, a function, a cycle, a bigint outside
 * Flask's format, a string the store refuses): the application's mistake, answered with 500 and
 * a message naming the key, never mistaken for a store outage.
 */
export class SessionValueError extends TesseraError {
  constructor(message: string, options?: ErrorOptions) {
    super("TESSERA_SESSION_VALUE", message, options);
  }
}

/** An argument a tessera function cannot work with (a negative list limit, an empty user id). */
export class ArgumentError extends TesseraError {
  constructor(message: string, options?: ErrorOptions) {
    super("TESSERA_ARGUMENT", message, options);
  }
}

/**
 * A change to the session or the cookies after the response started: it could reach neither the
 * store nor the browser, so it fails loudly instead of vanishing.
 */
export class ResponseStartedError extends TesseraError {
  constructor(message: string) {
    super("TESSERA_RESPONSE_STARTED", message);
  }
}

/**
 * Whether `error` is the caller's to fix (a value or an argument tessera cannot use) rather than
 * a failure of the store: a store passes it on as it is (a 500 naming the key), never as a 503.
 * TypeError and RangeError count too, for they are what a value JSON cannot hold raises.
 */
export function isCallerError(error: unknown): boolean {
  return (
    error instanceof SessionValueError ||
    error instanceof ArgumentError ||
    error instanceof TypeError ||
    error instanceof RangeError
  );
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
