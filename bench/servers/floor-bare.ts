/**
 * The floor: node:http answering the JSON with no session work at all. With BENCH_AWAIT=1 the
 * handler is async and awaits one settled promise first, as any handler that awaits anything
 * (`await session()`) does: what that one hop through the microtask queue costs on its own.
 */
import { EXPECTED_BODY } from "../expected.ts";
import { sendJson, serve } from "./serve.ts";

const settled = Promise.resolve();

serve(
  process.env.BENCH_AWAIT === "1"
    ? async (_req, res) => {
        await settled;
        sendJson(res, 200, EXPECTED_BODY);
      }
    : (_req, res) => sendJson(res, 200, EXPECTED_BODY),
);
