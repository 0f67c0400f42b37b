import type { FuzzCase } from "./cases.js";
import { runCase } from "./run_case.js";

/**
 * A fuzz worker: runs the calls it is sent one at a time and answers each with its verdict. It runs under
 * the pool's time and memory limits (fuzz/pool.ts), so a hang or a crash ends only this process.
 */
process.on("message", (msg: { id: number; call: FuzzCase; stop?: true }) => {
  if (msg.stop) process.exit(0);
  let verdict;
  try {
    verdict = runCase(msg.call);
  } catch (e) {
    verdict = { kind: "unclean", detail: `the harness raised ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  }
  process.send?.({ id: msg.id, verdict });
});
process.send?.({ ready: true });
