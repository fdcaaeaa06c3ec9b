/**
 * What every Express contender shares, so the floor, tessera and express-session differ only in
 * the session middleware: Express 5 with ETag and X-Powered-By off (tessera's node:http servers
 * send neither, and hashing every body would charge each contender for work that is not about
 * sessions), and one way of answering JSON.
 */
import express, { type Express, type Response } from "express";

export function createExpressApp(): Express {
  const app = express();
  app.set("etag", false);
  app.set("x-powered-by", false);
  return app;
}

/** The body as given, with the headers the node:http servers' sendJson sends. */
export function sendExpressJson(res: Response, status: number, body: unknown): void {
  res.status(status).set("Cache-Control", "no-store").type("application/json");
  res.send(JSON.stringify(body));
}
