/**
 * The Hono floor: Hono on @hono/node-server, served as every Hono contender is
 * (hono-common.ts), answering the JSON with no session middleware. A session contender in Hono
 * divided by this is the cost of its sessions in that framework.
 */
import { Hono } from "hono";
import { honoJson, serveHono } from "./hono-common.ts";

const app = new Hono();
app.get("*", (c) => honoJson(c, 200, { username: "alice" }));

serveHono(app);
