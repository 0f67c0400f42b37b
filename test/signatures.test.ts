/**
 * Every declared public function and class, called both ways (API.md rule 2): its example arguments by
 * position, then the same arguments as one options object (positional-only parameters stay positional).
 * The two results must agree: values for tensors, the same class and fields for objects. Driven by the
 * declarations themselves (core/signature.ts), found by walking the tf namespace.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";

interface Param {
  name: string;
  required: boolean;
  positionalOnly: boolean;
  variadic: boolean;
}
interface Example {
  args?: (t: typeof tf) => readonly unknown[];
  graph?: boolean;
  skip?: string;
}
interface Signature {
  name: string;
  params: Param[];
  example?: Example;
}
const SIGNATURE = Symbol.for("tsflow.signature");
const signatureOf = (f: unknown): Signature | undefined => (f as { [SIGNATURE]?: Signature } | null)?.[SIGNATURE];

/** Every public value that has a declaration, with the first path it is reachable by. */
function declared(): { path: string; f: unknown; sig: Signature; isClass: boolean }[] {
  const out: { path: string; f: unknown; sig: Signature; isClass: boolean }[] = [];
  const seen = new Set<unknown>();
  const walk = (obj: object, path: string, depth: number) => {
    for (const key of Object.keys(obj).sort()) {
      const v = (obj as Record<string, unknown>)[key];
      if (v === null || (typeof v !== "object" && typeof v !== "function") || seen.has(v)) continue;
      seen.add(v);
      const sig = signatureOf(v);
      if (sig) out.push({ path: `${path}.${key}`, f: v, sig, isClass: /^[A-Z]/.test(key) && /^class\b/.test(Function.prototype.toString.call(v)) });
      if (typeof v === "object" && depth < 3 && key !== "errors") walk(v, `${path}.${key}`, depth + 1);
    }
  };
  walk(tf, "tf", 0);
  return out;
}

/** A layer config without its (and its sublayers') unique names. */
function withoutNames(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(withoutNames);
  if (x === null || typeof x !== "object") return typeof x === "function" ? "function" : x;
  return Object.fromEntries(
    Object.entries(x)
      .filter(([k]) => k !== "name")
      .map(([k, v]) => [k, withoutNames(v)]),
  );
}

/** A comparable summary of a result: tensor values, an object's class and own scalar fields, a function's members. */
function summary(x: unknown): unknown {
  // Keras layers are callable instances (functions): compared by class and config, less the unique default
  // names (also those of wrapped layers: Bidirectional's and TimeDistributed's configs hold their layers').
  if (x instanceof tf.keras.layers.Layer) return { class: x.constructor.name, config: withoutNames(x.getConfig()) };
  // Callable instances (Keras losses, metrics, schedules) are functions whose class is not Function: summarised as objects.
  const callableInstance = typeof x === "function" && Object.getPrototypeOf(x) !== Function.prototype;
  // A function returned (tf.function's traced callable): its own members.
  if (typeof x === "function" && !callableInstance) return { function: Object.keys(x).sort() };
  if (x === null || x === undefined || (typeof x !== "object" && !callableInstance)) return x;
  if (Array.isArray(x)) return x.map(summary);
  if (x instanceof tf.EagerTensor) return { dtype: x.dtype, shape: x.shape, values: x.arraySync() };
  if (x instanceof tf.SymbolicTensor) return { dtype: x.dtype, shape: x.shape, op: x.op.type };
  if (x instanceof tf.Operation) return { op: x.type, inputs: x.inputs.length };
  if (x instanceof tf.Variable) return { variable: x.dtype, shape: x.shape, trainable: x.trainable, value: x.graph ? null : summary(x.value()) };
  const fields: Record<string, unknown> = { class: (x as object).constructor.name };
  for (const [k, v] of Object.entries(x)) if (v === null || typeof v !== "object") fields[k] = typeof v === "function" ? "function" : v;
  return fields;
}

function call(entry: { f: unknown; isClass: boolean }, args: readonly unknown[]): unknown {
  const f = entry.f as (...a: unknown[]) => unknown;
  return entry.isClass ? new (f as unknown as new (...a: unknown[]) => unknown)(...args) : f(...args);
}

/** The example's arguments as one options object, positional-only (and variadic) ones left in front. */
function asOptions(sig: Signature, args: readonly unknown[]): unknown[] {
  if (sig.params[0]?.variadic) return [...args, {}];
  const front: unknown[] = [];
  const named: Record<string, unknown> = {};
  args.forEach((v, i) => {
    const p = sig.params[Math.min(i, sig.params.length - 1)];
    if (p.positionalOnly || p.variadic) front.push(v);
    else if (v !== undefined) named[p.name] = v;
  });
  // Only positional-only parameters (tf.dispose): nothing to name.
  if (front.length > 0 && Object.keys(named).length === 0) return front;
  return [...front, named];
}

describe("every declared public function, called both ways", () => {
  const all = declared();
  it("finds the declarations", () => assert.ok(all.length > 50, `only ${all.length} declared`));
  for (const entry of all) {
    const ex = entry.sig.example;
    it(`${entry.path}`, { skip: ex?.skip ?? (ex?.args ? false : "no example arguments declared") }, () => {
      const run = (): [unknown, unknown] => {
        tf.setRandomSeed(7);
        const positional = summary(call(entry, ex!.args!(tf)));
        tf.setRandomSeed(7);
        const named = summary(call(entry, asOptions(entry.sig, ex!.args!(tf))));
        return [positional, named];
      };
      const [positional, named] = ex!.graph ? new tf.Graph().asDefault(run) : run();
      assert.deepEqual(named, positional);
    });
  }
});

describe("scopes take their `with` block as a trailing callback", () => {
  it("by position, after an options object, or named", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      assert.equal(
        tf.nameScope("a", (s) => s),
        "a/",
      );
      assert.equal(
        tf.nameScope({ name: "b" }, (s) => s),
        "b/",
      );
      assert.equal(tf.nameScope({ name: "c", body: (s: string) => s }), "c/");
      assert.equal(
        tf.device({ deviceName: "/cpu:0" }, () => (tf.constant(1) as tf.SymbolicTensor).op.device),
        "/device:CPU:0",
      );
    });
  });
  it("rejects unknown keys and a body given twice", () => {
    assert.throws(() => tf.nameScope({ name: "a", reuse: true } as never, () => 1), /unexpected argument "reuse".*valid names: name, body/);
    assert.throws(() => tf.nameScope({ name: "a", body: () => 1 }, () => 2), /multiple values for argument "body"/);
  });
  it("tf.variableScope(name, { reuse }, fn) and tf.variableScope({ nameOrScope, reuse }, fn)", () => {
    new tf.Graph().asDefault(() => {
      const v = tf.variableScope("rnn", () => tf.getVariable("w", [1]));
      const same = tf.variableScope("rnn", { reuse: true }, () => tf.getVariable("w", [1]));
      const named = tf.variableScope({ nameOrScope: "rnn", reuse: true }, () => tf.getVariable("w", [1]));
      const all = tf.variableScope({ nameOrScope: "rnn", reuse: true, body: () => tf.getVariable("w", [1]) });
      assert.ok(same === v && named === v && all === v);
      assert.throws(() => tf.variableScope("rnn", { reuse: true, reuseVariables: true } as never, () => 1), /unexpected argument "reuseVariables"/);
      assert.throws(() => tf.variableScope("rnn", { partitioner: () => 1 }, () => 1), /partitioner is not implemented yet/);
    });
  });
  it("tf.tidy(fn) and tf.tidy(name, fn)", () => {
    const kept = tf.tidy(() => tf.add(tf.constant([1]), 1));
    assert.deepEqual(kept.arraySync(), [2]);
    assert.deepEqual(tf.tidy("t", () => tf.constant([3])).arraySync(), [3]);
    assert.throws(() => tf.tidy("t" as never), /missing required argument "body"/);
  });
});

describe("methods with declared signatures", () => {
  it("Session.run: fetches and feedDict by position, options and runMetadata by name", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const x = tf.placeholder("float32", [2]);
      const y = tf.multiply(x, 2);
      const sess = new tf.Session();
      const meta = new tf.RunMetadata();
      const feed = new Map([[x, [1, 2]]]);
      assert.deepEqual((sess.run(y, feed) as tf.EagerTensor).arraySync(), [2, 4]);
      const named = sess.run(y, feed, { options: new tf.RunOptions({ traceLevel: tf.RunOptions.FULL_TRACE }), runMetadata: meta }) as tf.EagerTensor;
      assert.deepEqual(named.arraySync(), [2, 4]);
      assert.ok(meta.stepStats && meta.stepStats.devStats.length > 0);
      // RunOptions' fields as a plain object stay a positional RunOptions.
      assert.deepEqual((sess.run(y, feed, { traceLevel: 0 }) as tf.EagerTensor).arraySync(), [2, 4]);
      assert.throws(() => sess.run(y, feed, { runMetdata: meta } as never), /unexpected argument "runMetdata".*valid names: options, runMetadata/);
      sess.close();
    });
  });
  it("GradientTape: options in the constructor, gradient and watch by name, run({ body })", () => {
    const x = tf.constant(3);
    const tape = new tf.GradientTape({ persistent: true });
    const y = tape.run({
      body: () => {
        tape.watch({ tensor: x });
        return tf.multiply(x, x);
      },
    });
    assert.equal((tape.gradient({ target: y, sources: x }) as tf.EagerTensor).arraySync(), 6);
    assert.equal((tape.gradient(y, x, { unconnectedGradients: "zero" }) as tf.EagerTensor).arraySync(), 6);
    assert.throws(() => new tf.GradientTape({ persistant: true } as never), /unexpected argument "persistant"/);
    tape.dispose();
  });
  it("ConfigProto, RunOptions and Graph reject unknown fields", () => {
    assert.throws(() => new tf.ConfigProto({ logDevicePlacment: true } as never), /unexpected argument "logDevicePlacment"/);
    assert.throws(() => new tf.RunOptions({ trace: 3 } as never), /unexpected argument "trace"/);
    assert.throws(() => new tf.Graph({ seed: 1 } as never), /unexpected argument "seed"/);
    assert.equal(new tf.Graph().asDefault({ body: () => 5 }), 5);
  });
});
