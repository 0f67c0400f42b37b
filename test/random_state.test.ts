import assert from "node:assert/strict";
import { it } from "node:test";
import { Philox } from "../src/core/philox.js";

it("Philox4x32-10 matches the Random123 known-answer vector (key 0, counter 0)", () => {
  const p = new Philox(0, 0);
  assert.deepEqual(
    [0, 1, 2, 3].map(() => p.nextUint32()),
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  );
});
