import type { Handle } from "../core/backend.js";
import { eagerDeviceRequest, executingEagerly } from "../core/context.js";
import { InvalidArgumentError } from "../core/errors.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { EagerTensor } from "../eager/tensor.js";
import { tapesRecording } from "../eager/tape.js";
import { convertToTensor } from "../ops/creation.js";
import { Executor } from "../runtime/executor.js";
import { ResourceStore, VARIABLE } from "../runtime/resources.js";
import { ConcreteFunction, Runner } from "./concrete_function.js";
import { exactKey, fits, InputSpec, isPlainObject, rankKey, relax, specKey, specOf, tensorLeaves } from "./structure.js";
import { TensorSpec } from "./tensor_spec.js";
import { traceFunction } from "./trace.js";

/** tf.config.run_functions_eagerly: every tf.function runs its body eagerly (debugging), without tracing. */
let runEagerly = false;

/** tf.config.run_functions_eagerly(run_eagerly). */
export const runFunctionsEagerly = defineFunction(
  signature(
    "config.run_functions_eagerly",
    "Runs the bodies of tf.functions eagerly instead of tracing them (for debugging: breakpoints and prints on every call).",
    [param("runEagerly", K.boolean, "Whether tf.functions run eagerly.")],
    { skip: "changes global state (test/function.test.ts sets and restores it)" },
  ),
  (value): void => {
    runEagerly = value;
  },
);
/** tf.config.functions_run_eagerly(). */
export const functionsRunEagerly = defineFunction(
  signature("config.functions_run_eagerly", "Whether tf.functions run their bodies eagerly (tf.config.runFunctionsEagerly).", [], { args: () => [] }),
  (): boolean => runEagerly,
);

/** What tf.function returns for a function: graph tensors come back as eager tensors. */
type Eager<T> = T extends Tensor
  ? EagerTensor
  : T extends readonly unknown[]
    ? { [K in keyof T]: Eager<T[K]> }
    : T extends object
      ? { [K in keyof T]: Eager<T[K]> }
      : T;

/** The parameters of the wrapped function, where a tensor may also be given as a JS value (converted). */
type Loose<P> = { [K in keyof P]: P[K] extends Tensor ? P[K] | TensorLike : P[K] };

/** A tf.function: call it like the function it wraps; its graphs are traced per input signature. */
export interface TracedFunction<F extends (...args: never[]) => unknown> {
  (...args: Loose<Parameters<F>>): Eager<ReturnType<F>>;
  /** The function that was wrapped (TensorFlow's python_function). */
  readonly pythonFunction: F;
  readonly inputSignature: readonly unknown[] | null;
  /** How many times the function was traced (TensorFlow's experimental_get_tracing_count). */
  experimentalGetTracingCount(): number;
  /**
   * The ConcreteFunction for these arguments (tensors, TensorSpecs, other values), traced now if needed
   * (without arguments when the tf.function has an inputSignature).
   */
  getConcreteFunction(...args: unknown[]): ConcreteFunction;
  /** Every trace made so far, oldest first (what tf.saved_model.save writes; TensorFlow's _list_all_concrete_functions). */
  _listAllConcreteFunctions(): ConcreteFunction[];
}

/**
 * The traces of one tf.function (TensorFlow's polymorphic Function): a cache from the exact key of the
 * arguments (tensor dtypes and shapes, other values) to a ConcreteFunction, and the traces by rank for
 * relaxed shapes. A hit costs one key walk and one precompiled plan run.
 */
class Polymorphic {
  readonly #byKey = new Map<string, ConcreteFunction>();
  /** Traces by rankKey, newest first: calls whose shapes a relaxed trace accepts share it. */
  readonly #byRank = new Map<string, ConcreteFunction[]>();
  readonly #runner: Runner;
  readonly #signature: readonly unknown[] | null;
  #fixed: ConcreteFunction | null = null;
  tracingCount = 0;

  constructor(
    readonly fn: (...args: unknown[]) => unknown,
    inputSignature: readonly unknown[] | null,
    readonly reduceRetracing: boolean,
  ) {
    const store = new ResourceStore();
    this.#runner = { executor: new Executor(store), variables: store.table<Handle>(VARIABLE) };
    if (inputSignature !== null) {
      if (!Array.isArray(inputSignature))
        throw new InvalidArgumentError("tf.function: inputSignature must be an array (one entry per argument) of tf.TensorSpec");
      for (const leaf of flatSignature(inputSignature)) {
        if (!(leaf instanceof TensorSpec)) throw new InvalidArgumentError(`tf.function: inputSignature must hold tf.TensorSpec objects, got ${String(leaf)}`);
      }
    }
    this.#signature = inputSignature;
  }

  get name(): string {
    return this.fn.name || "function";
  }

  call(args: unknown[]): unknown {
    // Inside a graph being built (another tf.function's trace, a TensorFlow 1 graph) the body is inlined;
    // under a recording GradientTape it runs eagerly, so that the tape sees its ops (TensorFlow records the
    // call as one op with a gradient function instead; its JavaScript side effects then happen once only).
    if (!executingEagerly() || tapesRecording() || runEagerly) return this.fn(...args);
    if (this.#signature !== null) return this.#callWithSignature(args);
    const tensors: EagerTensor[] = [];
    const key = scoped(exactKey(args, tensors));
    const cf = this.#byKey.get(key) ?? this.#miss(key, args, tensors);
    return cf.callFlat(tensors);
  }

  #callWithSignature(args: unknown[]): unknown {
    const sig = this.#signature!;
    if (args.length > sig.length) {
      throw new InvalidArgumentError(`tf.function ${this.name} has an inputSignature of ${sig.length} argument(s) and was called with ${args.length}`);
    }
    const cf =
      this.#fixed ??
      (this.#fixed = this.#trace(
        sig,
        flatSignature(sig).map((s) => specOf(s as TensorSpec)),
      ));
    const specs = cf.inputSpecs;
    const leaves = flatArgs(args, sig, this.name);
    if (leaves.length !== specs.length) {
      throw new InvalidArgumentError(
        `tf.function ${this.name}: the arguments do not match the inputSignature's structure (${specs.length} tensors expected, ${leaves.length} given)`,
      );
    }
    for (let i = 0; i < leaves.length; i++) {
      const x = leaves[i];
      const t = x instanceof EagerTensor ? x : null;
      if (t && !fits(specs[i], t.dtype, t.shape)) {
        throw new InvalidArgumentError(
          `Python inputs incompatible with input_signature: inputs (${describe(leaves)}), input_signature (${flatSignature(sig).join(", ")}) [tf.function ${this.name}]`,
        );
      }
    }
    return cf.callFlat(leaves);
  }

  /** A call no trace has the exact key of: a compatible relaxed trace, else a new trace. */
  #miss(key: string, args: unknown[], tensors: readonly EagerTensor[]): ConcreteFunction {
    const rk = scoped(rankKey(args));
    const same = this.#byRank.get(rk);
    if (same) {
      for (const cf of same) {
        if (tensors.every((t, i) => fits(cf.inputSpecs[i], t.dtype, t.shape))) {
          this.#byKey.set(key, cf);
          return cf;
        }
      }
    }
    let specs = tensors.map(specOf);
    // reduceRetracing: a retrace for other shapes of the same ranks generalises the dims that differ to null.
    if (this.reduceRetracing && same && same.length > 0) specs = specs.map((s, i) => relax(same[0].inputSpecs[i], s));
    const cf = this.#trace(args, specs);
    this.#byKey.set(key, cf);
    if (same) same.unshift(cf);
    else this.#byRank.set(rk, [cf]);
    return cf;
  }

  #trace(args: readonly unknown[], specs: readonly InputSpec[]): ConcreteFunction {
    const first = this.tracingCount === 0;
    this.tracingCount++;
    return new ConcreteFunction(traceFunction(this.name, this.fn, args, specs, first, eagerDeviceRequest()), this.#runner);
  }

  /** Every trace, oldest first. */
  all(): ConcreteFunction[] {
    const out = new Set<ConcreteFunction>();
    if (this.#fixed) out.add(this.#fixed);
    for (const cf of this.#byKey.values()) out.add(cf);
    return [...out];
  }

  getConcreteFunction(args: unknown[]): ConcreteFunction {
    if (this.#signature !== null) {
      if (args.length === 0)
        return (this.#fixed ??= this.#trace(
          this.#signature,
          flatSignature(this.#signature).map((s) => specOf(s as TensorSpec)),
        ));
      const specs = tensorLeaves(args).map(specOf);
      const fixed = this.getConcreteFunction([]);
      if (specs.length !== fixed.inputSpecs.length || specs.some((s, i) => !fits(fixed.inputSpecs[i], s.dtype, s.shape))) {
        throw new InvalidArgumentError(`tf.function ${this.name}: getConcreteFunction's arguments do not match the inputSignature`);
      }
      return fixed;
    }
    const key = scoped(specKey(args));
    const hit = this.#byKey.get(key);
    if (hit) return hit;
    const leaves = tensorLeaves(args);
    if (leaves.every((l) => l instanceof EagerTensor)) return this.#miss(key, args, leaves as EagerTensor[]);
    const cf = this.#trace(args, leaves.map(specOf));
    this.#byKey.set(key, cf);
    const rk = scoped(rankKey(args));
    const same = this.#byRank.get(rk);
    if (same) same.unshift(cf);
    else this.#byRank.set(rk, [cf]);
    return cf;
  }
}

/** The TensorSpecs of an input signature, in order. */
function flatSignature(sig: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) for (const y of x) walk(y);
    else if (isPlainObject(x)) for (const k in x) walk(x[k]);
    else out.push(x);
  };
  walk(sig);
  return out;
}

/** The arguments at the signature's tensor positions, JS values converted to the spec's dtype. */
function flatArgs(args: readonly unknown[], sig: readonly unknown[], name: string): unknown[] {
  const out: unknown[] = [];
  const walk = (x: unknown, s: unknown) => {
    if (s instanceof TensorSpec) {
      out.push(x instanceof EagerTensor ? x : convertToTensor(x as never, { dtype: s.dtype }));
    } else if (Array.isArray(s)) {
      if (!Array.isArray(x) || x.length !== s.length)
        throw new InvalidArgumentError(`tf.function ${name}: argument ${String(x)} does not match the inputSignature's structure`);
      s.forEach((y, i) => walk(x[i], y));
    } else if (isPlainObject(s)) {
      if (!isPlainObject(x)) throw new InvalidArgumentError(`tf.function ${name}: argument ${String(x)} does not match the inputSignature's structure`);
      for (const k in s) walk(x[k], s[k]);
    }
  };
  sig.forEach((s, i) => {
    if (i < args.length) walk(args[i], s);
  });
  return out;
}

function describe(leaves: readonly unknown[]): string {
  return leaves.map((x) => (x instanceof EagerTensor ? `tf.Tensor(shape=[${x.shape}], dtype=${x.dtype})` : String(x))).join(", ");
}

const tfFunctionSignature = signature(
  "function",
  "Traces a function into a graph per input signature (dtypes and shapes of its tensors, the values of its other arguments) and runs the cached graph after that.",
  [
    param(
      "func",
      kind<(...args: never[]) => unknown>("(...args) => T"),
      "The function to trace: tensors in, any nesting of arrays and objects of tensors out.",
    ),
    optional(
      "inputSignature",
      kind<readonly unknown[] | null>("(TensorSpec | nested TensorSpecs)[] | null"),
      "One TensorSpec (or nesting of them) per argument: one trace for every call, null dims accepting any size.",
    ),
    withDefault(
      "autograph",
      K.boolean,
      true,
      "Accepted for compatibility: JavaScript control flow runs at trace time (use tf.cond / tf.whileLoop for graph control flow).",
    ),
    optional(
      "jitCompile",
      kind<boolean | null>("boolean | null"),
      "Accepted: the graph already runs through the Session plan's fusion and, on a GPU, CUDA-graph capture.",
    ),
    withDefault(
      "reduceRetracing",
      K.boolean,
      false,
      "Generalise shapes on a retrace: dims that differ from the previous trace's become null, so later sizes reuse it.",
    ),
  ],
  { args: (tf: { square: (x: unknown) => unknown }) => [(x: unknown) => tf.square(x), null, true, false, true] },
);

/** tf.function(func, inputSignature, autograph, jitCompile, reduceRetracing): see TracedFunction. */
export const tfFunction = defineFunction(tfFunctionSignature, (func, inputSignature, _autograph, _jitCompile, reduceRetracing) => {
  if (typeof func !== "function") throw new InvalidArgumentError(`tf.function: func must be a function, got ${String(func)}`);
  const poly = new Polymorphic(func as (...args: unknown[]) => unknown, inputSignature ?? null, reduceRetracing);
  const traced = (...args: unknown[]) => poly.call(args);
  return Object.assign(traced, {
    pythonFunction: func,
    inputSignature: inputSignature ?? null,
    experimentalGetTracingCount: () => poly.tracingCount,
    getConcreteFunction: (...args: unknown[]) => poly.getConcreteFunction(args),
    _listAllConcreteFunctions: () => poly.all(),
  });
}) as unknown as {
  <F extends (...args: never[]) => unknown>(
    func: F,
    options?: { inputSignature?: readonly unknown[] | null; autograph?: boolean; jitCompile?: boolean | null; reduceRetracing?: boolean },
  ): TracedFunction<F>;
  <F extends (...args: never[]) => unknown>(
    func: F,
    inputSignature?: readonly unknown[] | null,
    autograph?: boolean,
    jitCompile?: boolean | null,
    reduceRetracing?: boolean,
  ): TracedFunction<F>;
};

/** A cache key within the enclosing tf.device scope: a trace belongs to the scope it was made under (TensorFlow keys its cache by it too). */
function scoped(key: string): string {
  const device = eagerDeviceRequest();
  return device ? `${device}|${key}` : key;
}
