#!/usr/bin/env node
// The `tessera` command. From a clone it runs the TypeScript sources directly (Node strips the
// types), so `npx tessera` works right after `npm install`, with no build; the published package
// holds no sources and runs the compiled dist/ instead.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
await import(
  existsSync(source) ? source.href : new URL("../dist/cli/main.js", import.meta.url).href
);
