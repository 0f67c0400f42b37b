import { Worker } from "node:worker_threads";
import type { FuzzCase } from "./cases.js";
import { showCase } from "./cases.js";

/**
 * Runs fuzz calls on worker threads, each under a time limit per call and a heap limit (resourceLimits), with
 * tsflow's largest tensor capped (TSFLOW_MAX_TENSOR_MB) so that memory stays bounded: a call that hangs is
 * a hang, a worker that dies (out of memory, a native crash) is a crash, each with its call as the
 * reproduction; the worker is replaced and the run goes on.
 */
export interface Failure {
  readonly kind: "unclean" | "mismatch" | "hang" | "crash";
  readonly detail: string;
  readonly call: string;
}
export interface Summary {
  calls: number;
  ok: number;
  clean: number;
  unclean: number;
  mismatches: number;
  hangs: number;
  crashes: number;
  failures: Failure[];
}
export interface PoolOptions {
  readonly workers: number;
  /** Per call, milliseconds. */
  readonly timeoutMs: number;
  readonly heapMb: number;
  readonly maxTensorMb: number;
  /** Extra environment for the workers (TSFLOW_CUDA=off, ...). */
  readonly env?: Record<string, string>;
  readonly onProgress?: (s: Summary) => void;
}

/**
 * The worker's entry, next to this file: compiled JavaScript (tmp/gpu-test, on a machine without tsx) loads
 * worker.js as is; TypeScript loads worker.ts through tsx's loader, registered in the thread first (Node 20
 * does not pass --import on to workers).
 */
const compiled = import.meta.url.endsWith(".js");
const WORKER = new URL(compiled ? "./worker.js" : "./worker.ts", import.meta.url);
const BOOT = compiled
  ? `import(${JSON.stringify(WORKER.href)});`
  : `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(WORKER.href)}); });`;

export async function runPool(calls: readonly FuzzCase[], o: PoolOptions): Promise<Summary> {
  const s: Summary = { calls: 0, ok: 0, clean: 0, unclean: 0, mismatches: 0, hangs: 0, crashes: 0, failures: [] };
  let next = 0;
  const record = (kind: Failure["kind"], detail: string, call: FuzzCase) => {
    if (kind === "unclean") s.unclean++;
    else if (kind === "mismatch") s.mismatches++;
    else if (kind === "hang") s.hangs++;
    else s.crashes++;
    s.failures.push({ kind, detail, call: showCase(call) });
  };

  const lane = (): Promise<void> =>
    new Promise((done) => {
      let current: FuzzCase | null = null;
      let timer: NodeJS.Timeout | undefined;
      let w: Worker;
      const start = () => {
        w = new Worker(BOOT, {
          eval: true,
          resourceLimits: { maxOldGenerationSizeMb: o.heapMb, maxYoungGenerationSizeMb: 64 },
          env: { ...process.env, ...o.env, TSFLOW_MAX_TENSOR_MB: String(o.maxTensorMb) },
          stderr: true,
          stdout: true,
        });
        w.stderr.resume();
        w.stdout.resume();
        let alive = true;
        w.on("message", (m: { ready?: true; id?: number; verdict?: { kind: string; detail?: string } }) => {
          if (m.ready) return send();
          clearTimeout(timer);
          const v = m.verdict!;
          s.calls++;
          if (v.kind === "ok") s.ok++;
          else if (v.kind === "clean") s.clean++;
          else record(v.kind as Failure["kind"], v.detail ?? "", current!);
          if (s.calls % 1000 === 0) o.onProgress?.(s);
          current = null;
          send();
        });
        const died = (why: string) => {
          if (!alive) return;
          alive = false;
          clearTimeout(timer);
          if (current) {
            s.calls++;
            record("crash", why, current);
            current = null;
          }
          if (next < calls.length) start();
          else done();
        };
        w.on("error", (e) => died(`worker died: ${e.name}: ${e.message}`));
        w.on("exit", (code) => died(`worker exited with code ${code}`));
      };
      const send = () => {
        if (next >= calls.length) {
          void w.terminate();
          return;
        }
        current = calls[next++];
        const call = current;
        w.postMessage({ id: next, call });
        timer = setTimeout(() => {
          if (current !== call) return;
          s.calls++;
          record("hang", `no answer within ${o.timeoutMs} ms`, call);
          current = null;
          void w.terminate();
        }, o.timeoutMs);
      };
      start();
    });

  await Promise.all(Array.from({ length: Math.max(1, o.workers) }, lane));
  return s;
}
