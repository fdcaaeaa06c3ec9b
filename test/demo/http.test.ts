import assert from "node:assert/strict";
import { test } from "node:test";
import { localPath, pathOf } from "../../demo/http.ts";

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
    "/.//evil.example", // resolves to the path "//evil.example"
    "/..//evil.example",
    "/a/..//evil.example",
    "/%2e//evil.example",
    "/./%5cevil.example",
    "/.//%09evil.example",
    "evil.example",
    "",
  ]) {
    assert.equal(localPath(away), "/", JSON.stringify(away));
  }
  assert.equal(localPath(null), "/");
  assert.equal(localPath(undefined), "/");
});

test("pathOf reads the path of an origin-form or absolute-form request target", () => {
  assert.equal(pathOf("/inspect?tampered=1"), "/inspect");
  assert.equal(pathOf("http://127.0.0.1:3000/inspect?x=1"), "/inspect");
  assert.equal(pathOf("http://127.0.0.1:3000"), "/");
  assert.equal(pathOf(undefined), "/");
});
