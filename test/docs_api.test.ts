import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { API_MD, apiReference } from "../scripts/docs_api.js";

describe("docs/API.md", () => {
  it("is the reference generated from the declarations (run npm run docs:api after changing a public signature)", () => {
    assert.equal(readFileSync(API_MD, "utf8"), apiReference(), "docs/API.md is out of date: run npm run docs:api");
  });
});
