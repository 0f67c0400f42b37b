import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FuzzCase } from "./cases.js";
import { showCase } from "./cases.js";

/**
 * Runs fuzz calls in worker processes, each under a time limit per call and a heap limit, with tsflow's
 * largest tensor capped (TSFLOW_MAX_TENSOR_MB) so that memory stays bounded: a call that hangs is a hang, a
 * worker that dies (out of memory, a native crash in a CUDA library) is a crash, each with its call as the
 * reproduction; the worker is replaced and the run goes on. Processes rather than threads: V8's fatal
 * out-of-memory and a native fault end the whole process, so only a process keeps the run alive.
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
 * The worker's entry, next to this file: compiled JavaScript (tmp/gpu-test, on a machine without tsx) runs
 * worker.js as is; TypeScript runs worker.ts through tsx's loader.
 */
const compiled = import.meta.url.endsWith(".js");
const WORKER = fileURLToPath(new URL(compiled ? "./worker.js" : "./worker.ts", import.meta.url));
const LOADER = compiled ? [] : ["--import", "tsx"];

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
    new Promise((done, fail) => {
      let current: FuzzCase | null = null;
      // Workers that die before their first answer cannot start at all: stop rather than restart forever.
      let deathsBeforeReady = 0;
      let timer: NodeJS.Timeout | undefined;
      let w: ChildProcess;
      const start = () => {
        w = fork(WORKER, [], {
          execArgv: [...LOADER, `--max-old-space-size=${o.heapMb}`],
          env: { ...process.env, ...o.env, TSFLOW_MAX_TENSOR_MB: String(o.maxTensorMb) },
          // Structured clone: the calls carry BigInt and typed-array values.
          serialization: "advanced",
          stdio: ["ignore", "ignore", "pipe", "ipc"],
        });
        // The end of what a dying worker printed (V8's out-of-memory report, a native fault) goes with its crash.
        let stderrTail = "";
        w.stderr?.on("data", (d: Buffer) => {
          stderrTail = (stderrTail + d.toString()).slice(-4000);
        });
        if (process.env.FUZZ_DEBUG) process.stderr.write(`fuzz: worker ${w.pid} started\n`);
        let alive = true;
        w.on("message", (m: { ready?: true; id?: number; verdict?: { kind: string; detail?: string } }) => {
          if (m.ready) {
            deathsBeforeReady = 0;
            return send();
          }
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
          if (process.env.FUZZ_DEBUG) process.stderr.write(`fuzz: worker ${w.pid} ${why}\n`);
          if (!alive) return;
          alive = false;
          clearTimeout(timer);
          if (!current && next < calls.length && ++deathsBeforeReady >= 3) {
            fail(new Error(`fuzz workers die before their first call: ${why}: ${stderrTail.trim()}`));
            return;
          }
          if (current) {
            s.calls++;
            const said = stderrTail
              .trim()
              .split("\n")
              .filter((l) => /error|fault|abort/i.test(l))
              .slice(-2)
              .join(" / ");
            record("crash", said ? `${why}: ${said}` : why, current);
            current = null;
          }
          if (next < calls.length) start();
          else done();
        };
        w.on("error", (e) => died(`worker died: ${e.name}: ${e.message}`));
        w.on("exit", (code, signal) => died(`worker exited with ${signal ?? `code ${code}`}`));
      };
      const send = () => {
        if (next >= calls.length) {
          // Asked to exit, then killed if it has not: a process with CUDA loaded ignored SIGTERM on the GPU
          // machine, and the run waited for it until its time limit.
          w.send({ stop: true });
          setTimeout(() => w.kill("SIGKILL"), 2000).unref();
          return;
        }
        current = calls[next++];
        const call = current;
        w.send({ id: next, call });
        timer = setTimeout(() => {
          if (current !== call) return;
          s.calls++;
          record("hang", `no answer within ${o.timeoutMs} ms`, call);
          current = null;
          w.kill("SIGKILL");
        }, o.timeoutMs);
      };
      start();
    });

  await Promise.all(Array.from({ length: Math.max(1, o.workers) }, lane));
  return s;
}
