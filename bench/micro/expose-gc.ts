/**
 * Gives mitata V8's gc() without `--expose-gc` on the command line: mitata collects garbage
 * before each benchmark when it can, so one benchmark's garbage (the adapter cases make a few
 * KB per request) is not collected on the next one's time. Imported by main.ts before mitata,
 * which looks for gc() when it loads.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

if (typeof globalThis.gc !== "function") {
  setFlagsFromString("--expose-gc");
  globalThis.gc = runInNewContext("gc");
}
