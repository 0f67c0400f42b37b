/**
 * tf.profiler.experimental: start(logdir) ... stop() records every eager op and every Session / tf.function
 * step on every device (op, device, start, duration, bytes allocated; GPU kernels timed with CUDA events),
 * and stop() writes it as a Chrome trace under logdir/plugins/profile/<run>/<host>.trace.json.gz: the
 * older TensorBoard profile plugin's layout. TensorFlow 2.2+ writes XPlane protos (.xplane.pb) there
 * instead; tsflow writes the Chrome-trace form, which chrome://tracing and Perfetto open as they are.
 * The recording itself is core/profiler.ts.
 */
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { AlreadyExistsError, InvalidArgumentError, UnavailableError } from "../core/errors.js";
import { beginRecording, endRecording, profiling, recordTrace } from "../core/profiler.js";
import { body, declare, defineFunction, K, kind, optional, param, parseArgs, positionalOnly, signature, withDefault } from "../core/signature.js";
import type { StepStats } from "../core/step_stats.js";
import { writeFileAtomic } from "../io/atomic_file.js";
import { chromeTrace, Timeline } from "./timeline.js";

interface ProfilerOptionsFields {
  hostTracerLevel?: number;
  pythonTracerLevel?: number;
  deviceTracerLevel?: number;
  delayMs?: number | null;
}

const optionsSignature = signature(
  "profiler.experimental.ProfilerOptions",
  "Options of a profile: what is traced.",
  [
    withDefault("hostTracerLevel", K.int, 2, "Host (CPU) tracing: 1 critical, 2 info, 3 verbose; 0 records no host ops (tsflow records ops at 1-3 alike)."),
    withDefault("pythonTracerLevel", K.int, 0, "Accepted; tsflow has no Python to trace."),
    withDefault("deviceTracerLevel", K.int, 1, "Device (GPU) tracing: 1 times each GPU op with events, 0 does not."),
    optional("delayMs", kind<number | null>("number | null"), "Accepted; the profile starts at once."),
  ],
  { args: () => [3, 0, 1] },
);

/** tf.profiler.experimental.ProfilerOptions (a namedtuple in TensorFlow). */
export class ProfilerOptions {
  readonly hostTracerLevel: number;
  readonly pythonTracerLevel: number;
  readonly deviceTracerLevel: number;
  readonly delayMs: number | null;
  constructor(
    ...args: [hostTracerLevel?: number, pythonTracerLevel?: number, deviceTracerLevel?: number, delayMs?: number | null] | [options: ProfilerOptionsFields]
  ) {
    const [host, python, device, delay] = parseArgs(optionsSignature, args);
    for (const [name, v] of [
      ["hostTracerLevel", host],
      ["pythonTracerLevel", python],
      ["deviceTracerLevel", device],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`ProfilerOptions: ${name} must be an integer >= 0, got ${v}`);
    }
    this.hostTracerLevel = host;
    this.pythonTracerLevel = python;
    this.deviceTracerLevel = device;
    this.delayMs = delay ?? null;
  }
}
declare(ProfilerOptions, optionsSignature);

/** start's and Profile's options: a ProfilerOptions or its fields, so only by position (API.md rule 2). */
const OPTIONS = positionalOnly(
  optional(
    "options",
    kind<ProfilerOptions | ProfilerOptionsFields>("ProfilerOptions"),
    "A tf.profiler.experimental.ProfilerOptions, or its fields as a plain object.",
  ),
);

/** The profile being recorded: where stop() writes it and whether host ops are kept. */
let session: { logdir: string; keepHost: boolean } | null = null;

/** TensorFlow's run directory name: the local time the profile was saved, "YYYY_MM_DD_HH_MM_SS". */
function runName(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}_${p(d.getMonth() + 1)}_${p(d.getDate())}_${p(d.getHours())}_${p(d.getMinutes())}_${p(d.getSeconds())}`;
}

/** Where stop() writes: logdir/plugins/profile/<run>/<host>.trace.json.gz. */
function traceFile(logdir: string, when: Date): string {
  return join(logdir, "plugins", "profile", runName(when), `${hostname()}.trace.json.gz`);
}

/** Host-side entries (the CPU and Trace spans) dropped when hostTracerLevel is 0; GPU kernel times kept. */
function withoutHost(stats: StepStats): StepStats {
  return { devStats: stats.devStats.filter((d) => d.device.includes("/stream:")) };
}

export const start = defineFunction(
  signature(
    "profiler.experimental.start",
    "Starts recording every op (eager and in Session / tf.function steps) on every device, until stop().",
    [param("logdir", K.string, "Where stop() writes the profile (logdir/plugins/profile/<run>/<host>.trace.json.gz)."), OPTIONS],
    { skip: "starts the process-wide profiler (test/profiler.test.ts starts and stops it)" },
  ),
  (logdir: string, options: ProfilerOptions | ProfilerOptionsFields | undefined): void => {
    if (session !== null || profiling) throw new AlreadyExistsError("Another profiler is running.");
    const opts = options instanceof ProfilerOptions ? options : new ProfilerOptions(options ?? {});
    session = { logdir, keepHost: opts.hostTracerLevel > 0 };
    beginRecording(opts.deviceTracerLevel > 0);
  },
);

export const stop = defineFunction(
  signature(
    "profiler.experimental.stop",
    "Stops recording and (save: true) writes the profile as a Chrome trace into the logdir given to start().",
    [withDefault("save", K.boolean, true, "Write the profile (false: discard it).")],
    { skip: "stops the process-wide profiler (test/profiler.test.ts starts and stops it)" },
  ),
  (save: boolean): void => {
    const s = session;
    if (s === null) throw new UnavailableError("Cannot export profiling results. No profiler is running.");
    session = null;
    const recorded = endRecording();
    if (!save) return;
    const stats = s.keepHost ? recorded : withoutHost(recorded);
    const file = traceFile(s.logdir, new Date());
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileAtomic(file, gzipSync(JSON.stringify(chromeTrace(stats))));
  },
);

/** A body's result, its end awaited when it is a promise (an async training loop, model.fit). */
function finallyAfter<T>(run: () => T, done: () => void): T {
  let out: T;
  try {
    out = run();
  } catch (e) {
    done();
    throw e;
  }
  if (out instanceof Promise) return out.finally(done) as T;
  done();
  return out;
}

export const Profile = defineFunction(
  signature(
    "profiler.experimental.Profile",
    "Profiles the body: start(logdir, options) before it, stop() after it (after its promise settles, for an async body).",
    [
      param("logdir", K.string, "Where the profile is written."),
      OPTIONS,
      body("body", kind<() => unknown>("() => T"), "The `with` block; its result is returned."),
    ],
    { skip: "writes a profile under logdir (test/profiler.test.ts calls it)" },
  ),
  (logdir: string, options: ProfilerOptions | ProfilerOptionsFields | undefined, fn: () => unknown) => {
    start(logdir, options);
    return finallyAfter(fn, () => {
      if (session !== null) stop();
    });
  },
) as unknown as {
  <T>(logdir: string, fn: () => T): T;
  <T>(logdir: string, options: ProfilerOptions | ProfilerOptionsFields | undefined, fn: () => T): T;
  <T>(options: { logdir: string }, fn: () => T): T;
};

export const Trace = defineFunction(
  signature(
    "profiler.experimental.Trace",
    "Marks the body as one event named `name` on the host's timeline while the profiler records (else just runs it).",
    [
      param("name", K.string, 'The event\'s name ("train", "step", ...).'),
      optional("stepNum", K.int, "The training step this event is (TensorBoard's step marker)."),
      optional("_r", K.int, "Accepted (TensorFlow's root-event flag); shown in the event's args."),
      body("body", kind<() => unknown>("() => T"), "The traced block; its result is returned."),
    ],
    { args: () => ["step", 1, 1, () => 1] },
  ),
  (name: string, stepNum: number | undefined, r: number | undefined, fn: () => unknown) => {
    if (!profiling) return fn();
    const args: Record<string, number> = {};
    if (stepNum !== undefined) args.step_num = stepNum;
    if (r !== undefined) args._r = r;
    const t0 = performance.now();
    return finallyAfter(fn, () => recordTrace(name, t0, performance.now(), args));
  },
) as unknown as {
  <T>(name: string, fn: () => T): T;
  <T>(name: string, options: { stepNum?: number; _r?: number }, fn: () => T): T;
};

/** tf.profiler: the TensorFlow 2 profiler API. */
export const profiler = {
  experimental: { start, stop, Profile, Trace, ProfilerOptions },
};

/** tensorflow.python.client.timeline (imported in TensorFlow as `from tensorflow.python.client import timeline`). */
export const python = { client: { timeline: { Timeline } } };
