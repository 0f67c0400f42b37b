import { describe as nodeDescribe, it as nodeIt } from "node:test";
import type { TestContext, TestOptions } from "node:test";
import * as tf from "../../src/index.js";
import { cudaUnavailableReason } from "../../src/backends/cuda/index.js";

/**
 * Device loops and skip reporting for the test suites.
 *
 * `forEachDevice(() => { describe(...) ... })` declares the suites once per device, each inside
 * `describe("/device:CPU:0", ...)`, `describe("/device:GPU:0", ...)`; the tests of a device's block run
 * inside `tf.device(device, ...)` where there is more than one device to choose from. The devices are those `tf.config.listLogicalDevices()` lists; without a
 * GPU, the GPU:0 block is still declared and every test in it is reported as skipped with the reason
 * ("no CUDA GPU: ..."), so the runner's summary says what did not run.
 *
 * Test files import `describe`, `it` and `test` from here instead of node:test: outside a device loop they
 * behave as node:test's, except that a suite given `{ skip: "reason" }` reports each of its tests as skipped
 * (node:test counts a skipped suite as no test at all).
 */

/** A device the suites run on, or that they would run on and are skipped for. */
export interface TestDevice {
  /** The logical device name, as tf.config.listLogicalDevices() gives it: "/device:CPU:0". */
  readonly name: string;
  /** Why its tests do not run here, or false. */
  readonly skip: string | false;
}

/** Why the GPU tests cannot run here (null when a CUDA GPU is visible). */
export function noGpuReason(): string | null {
  const reason = cudaUnavailableReason();
  if (reason !== null) return `no CUDA GPU: ${reason}`;
  return tf.config.listLogicalDevices("GPU").length === 0 ? "no CUDA GPU: none visible" : null;
}

let devices: TestDevice[] | undefined;
/** The CPU and each visible GPU; GPU:0 marked skipped when there is none. */
export function testDevices(): readonly TestDevice[] {
  if (devices) return devices;
  const listed = tf.config.listLogicalDevices().map((d): TestDevice => ({ name: d.name, skip: false }));
  const reason = noGpuReason();
  if (reason !== null) listed.push({ name: "/device:GPU:0", skip: reason });
  devices = listed;
  return devices;
}

/** What the suite being declared runs on: its device, and why its tests are skipped. */
interface Scope {
  readonly device: string | null;
  readonly skip: string | false;
}
const scopes: Scope[] = [];
const current = (): Scope | undefined => scopes[scopes.length - 1];

/** The device whose tests are running now (null outside a device loop); see `onTestDevice`. */
let running: string | null = null;

/**
 * Whether tests must ask for their device: not where it is the only one, as on CI, since the default
 * placement is then that device and an eager op inside tf.device takes the placer's slower path (which
 * doubled the CPU suites' time).
 */
let scoping: boolean | undefined;
const mustScope = (): boolean => (scoping ??= testDevices().filter((d) => !d.skip).length > 1);

function declare(scope: Scope, body: () => void): void {
  scopes.push(scope);
  try {
    body();
  } finally {
    scopes.pop();
  }
}

/** Declares `body`'s suites once per test device, each in `describe(device)` and run inside `tf.device(device)`. */
export function forEachDevice(body: (device: string) => void): void {
  for (const d of testDevices()) {
    nodeDescribe(d.name, () => declare({ device: d.name, skip: d.skip || (current()?.skip ?? false) }, () => body(d.name)));
  }
}

/**
 * Places the ops of a graph being built on the running test's device: the CPU block pins them to the CPU;
 * the GPU block leaves the graph placer's default, which prefers GPU:0 (naming GPU:0 explicitly would make
 * a Session without soft placement reject the ops that have no GPU kernel, which the default sends to the
 * CPU). Eager ops need nothing: the device loop runs each test inside tf.device.
 */
export function onTestDevice<T>(fn: () => T): T {
  return running !== null && /CPU/.test(running) && mustScope() ? tf.device(running, fn) : fn();
}

/** `g.asDefault(fn)` with fn's ops on the running test's device (as `onTestDevice` places them). */
export function withGraph<T>(g: tf.Graph, fn: () => T): T {
  return g.asDefault(() => onTestDevice(fn));
}

type TestFn = (t: TestContext) => void | Promise<void>;
type SuiteFn = () => void;

function splitArgs<F>(a: TestOptions | F | undefined, b: F | undefined): [TestOptions, F | undefined] {
  return typeof a === "function" ? [{}, a as F] : [(a as TestOptions | undefined) ?? {}, b];
}

/** node:test's describe; a `skip` reason is passed down to each test (reported skipped) instead. */
export function describe(name: string, fn: SuiteFn): void;
export function describe(name: string, options: TestOptions, fn: SuiteFn): void;
export function describe(name: string, a: TestOptions | SuiteFn, b?: SuiteFn): void {
  const [{ skip, ...options }, fn] = splitArgs(a, b);
  const outer = current();
  const reason = typeof skip === "string" ? skip : skip === true ? "skipped" : false;
  nodeDescribe(name, options, () => declare({ device: outer?.device ?? null, skip: reason || (outer?.skip ?? false) }, fn ?? (() => {})));
}

/** node:test's it, run on the enclosing device loop's device, or reported skipped with its suite's reason. */
export function it(name: string, fn: TestFn): void;
export function it(name: string, options: TestOptions, fn: TestFn): void;
export function it(name: string, a: TestOptions | TestFn, b?: TestFn): void {
  const [options, fn] = splitArgs(a, b);
  const scope = current();
  if (scope?.skip) {
    nodeIt(name, { ...options, skip: scope.skip });
    return;
  }
  const device = scope?.device ?? null;
  if (device === null || fn === undefined || !mustScope()) {
    nodeIt(name, options, fn);
    return;
  }
  nodeIt(name, options, (t) => {
    running = device;
    let async = false;
    try {
      const r = tf.device(device, () => fn(t));
      if (r instanceof Promise) {
        // The eager device scope covers only the test's synchronous part: tf.device is a scoped call.
        async = true;
        return r.finally(() => (running = null));
      }
      return r;
    } finally {
      if (!async) running = null;
    }
  });
}

export const test = it;
