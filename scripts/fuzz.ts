/**
 * The op fuzzer's long mode: `npm run fuzz -- --calls 1000000 [--seed N] [--backend cpu|cuda] [--workers W]
 * [--timeout MS] [--out docs/FUZZ.md]`. Generates calls over every op of the op table (test/fuzz/cases.ts),
 * runs them eagerly and in graphs in worker processes with time and memory limits (test/fuzz/pool.ts), prints
 * a summary (calls, ok, clean errors, unclean, hangs, crashes, mismatches) and each distinct failure with its
 * reproduction, and writes them into the results section of --out (its row names the machine: --machine, else
 * the host name and CPU count). Exits 1 when anything failed.
 *
 * On the GPU machine (no tsx there), from the compiled GPU build: `npm run fuzz:build` here, then with
 * .devpack and tmp/gpu-test carried, `source .devpack/setup.sh && node tmp/gpu-test/scripts/fuzz.js --backend
 * cuda ...`. --backend cuda stops at once when no GPU is visible, rather than fuzz the CPU under its name.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { callArb, fuzzableOps } from "../test/fuzz/cases.js";
import { type Failure, runPool, type Summary } from "../test/fuzz/pool.js";

const USAGE =
  "usage: npm run fuzz -- [--calls N] [--seed N] [--backend cpu|cuda] [--workers N] [--timeout MS] [--out FILE] [--machine TEXT]";
let args;
try {
  args = parseArgs({
    options: {
      calls: { type: "string", default: "10000" },
      seed: { type: "string", default: "1" },
      backend: { type: "string", default: "cpu" },
      workers: { type: "string", default: String(Math.max(1, Math.min(cpus().length, 8))) },
      timeout: { type: "string", default: "20000" },
      out: { type: "string" },
      machine: { type: "string" },
    },
  }).values;
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  process.exit(1);
}
const calls = Number(args.calls);
const seed = Number(args.seed);
if (!(calls > 0) || !Number.isInteger(seed) || !["cpu", "cuda"].includes(args.backend)) {
  console.error(USAGE);
  process.exit(1);
}

if (args.backend === "cuda") {
  // The workers load the same libraries in this process: a GPU visible here is visible to them.
  const { noGpuReason } = await import("../test/util/devices.js");
  const reason = noGpuReason();
  if (reason !== null) {
    console.error(`fuzz --backend cuda stops: ${reason}`);
    process.exit(1);
  }
}

const ops = fuzzableOps();
const arb = callArb(ops);
const CHUNK = 25000;
const total: Summary = { calls: 0, ok: 0, clean: 0, unclean: 0, mismatches: 0, hangs: 0, crashes: 0, failures: [] };
const t0 = Date.now();
const line = (s: Summary) =>
  `calls ${s.calls}, ok ${s.ok}, clean errors ${s.clean}, unclean ${s.unclean}, hangs ${s.hangs}, crashes ${s.crashes}, mismatches ${s.mismatches}`;
for (let done = 0, chunk = 0; done < calls; chunk++) {
  const n = Math.min(CHUNK, calls - done);
  // Each chunk from its own seed: the same --seed gives the same calls, chunk by chunk.
  const batch = fc.sample(arb, { seed: seed * 1_000_003 + chunk, numRuns: n });
  const s = await runPool(batch, {
    workers: Number(args.workers),
    timeoutMs: Number(args.timeout),
    heapMb: 1024,
    maxTensorMb: 8,
    env: args.backend === "cpu" ? { TSFLOW_CUDA: "off" } : {},
    onProgress: (p) => {
      if (p.calls % 5000 === 0) console.log(`[${((Date.now() - t0) / 1000).toFixed(0)} s]   chunk ${chunk}: ${line(p)}`);
    },
  });
  for (const k of ["calls", "ok", "clean", "unclean", "mismatches", "hangs", "crashes"] as const) total[k] += s[k];
  total.failures.push(...s.failures);
  done += n;
  console.log(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${line(total)}`);
  // Printed as found, so that a run cut short still shows what it found.
  for (const f of s.failures) console.log(`  ${f.kind}: ${f.detail.replace(/\n/g, " ").slice(0, 300)}\n    ${f.call.slice(0, 600)}`);
}

/** One failure per op, kind and message shape (numbers blanked), for the report. */
function distinct(fs: readonly Failure[]): Failure[] {
  const seen = new Map<string, Failure>();
  for (const f of fs) {
    const op = /"op":"([^"]+)"/.exec(f.call)?.[1] ?? "?";
    const key = `${f.kind} ${op} ${f.detail.replace(/\d+/g, "#").slice(0, 100)}`;
    if (!seen.has(key)) seen.set(key, f);
  }
  return [...seen.values()];
}
const secs = (Date.now() - t0) / 1000;
const unique = distinct(total.failures);
console.log(`\n${line(total)} in ${secs.toFixed(0)} s (${ops.length} ops, seed ${seed}, backend ${args.backend})`);
for (const f of unique.slice(0, 100)) console.log(`\n${f.kind}: ${f.detail}\n  ${f.call}`);

if (args.out) {
  const date = new Date().toISOString().slice(0, 10);
  const row = `| ${date} | ${args.machine ?? `${hostname()} (${cpus().length} CPUs)`} | ${args.backend} | ${seed} | ${[total.calls, total.ok, total.clean, total.unclean, total.hangs, total.crashes, total.mismatches].map((n) => n.toLocaleString("en-US")).join(" | ")} | ${secs.toFixed(0)} s |`;
  const text = readFileSync(args.out, "utf8");
  const marker = "<!-- fuzz:runs -->";
  const failures = unique.length ? unique.slice(0, 30).map((f) => `- ${f.kind}: ${f.detail.replace(/\n/g, " ")}\n  \`${f.call.slice(0, 600)}\``).join("\n") : "- none";
  writeFileSync(args.out, text.replace(marker, `${marker}\n${row}`) + `\n### Failures of the run of ${date}, seed ${seed}, ${args.backend}\n\n${failures}\n`);
}
process.exit(total.failures.length ? 1 : 0);
