/** The floor: node:http answering the JSON with no session work at all. */
import { EXPECTED_BODY } from "../expected.ts";
import { sendJson, serve } from "./serve.ts";

serve((_req, res) => sendJson(res, 200, EXPECTED_BODY));
