import assert from "node:assert/strict";
import { test } from "node:test";
import { localPath } from "../../demo/http.ts";

test("localPath keeps paths on this site, percent-encoded, and turns anything else into /", () => {
  assert.equal(localPath("/inspect"), "/inspect");
  assert.equal(localPath("/inspect?tampered=1#tamper"), "/inspect?tampered=1#tamper");
  assert.equal(localPath("/中"), "/%E4%B8%AD", "safe in a Location header");
  assert.equal(localPath("/%E4%B8%AD"), "/%E4%B8%AD");
  assert.equal(localPath("/x\u0000y"), "/x%00y");
  for (const away of [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "/\t/evil.example", // browsers drop tabs and newlines: "//evil.example"
    "/\n/evil.example",
    "\\\\evil.example",
    "evil.example",
    "",
  ]) {
    assert.equal(localPath(away), "/", JSON.stringify(away));
  }
  assert.equal(localPath(null), "/");
  assert.equal(localPath(undefined), "/");
});
