/**
 * What tf.saved_model.load gives back: the objects of a SavedObjectGraph rebuilt in JavaScript. User
 * objects are RestoredObjects carrying their children as properties, tf.functions are RestoredFunctions
 * (callable, choosing the trace whose input signature fits), signatures and traces are
 * RestoredConcreteFunctions (callable, keyword arguments in one object).
 */
import { inspect } from "node:util";
import { InvalidArgumentError } from "../../core/errors.js";
import { EagerTensor } from "../../eager/tensor.js";
import type { ConcreteFunction } from "../../function/concrete_function.js";
import { TensorSpec } from "../../function/tensor_spec.js";
import { fits } from "../../function/structure.js";
import { flattenSpecs } from "./structure.js";

/** A user object of the SavedModel (TensorFlow's _UserObject): its children are its properties. */
export class RestoredObject {
  [name: string]: unknown;
  constructor(identifier: string) {
    Object.defineProperty(this, "_identifier", { value: identifier, enumerable: false });
  }
  [inspect.custom](): string {
    return `<RestoredObject ${(this as unknown as { _identifier: string })._identifier} {${Object.keys(this).join(", ")}}>`;
  }
}

/** A SavedAsset: the absolute path of its file under the SavedModel's assets/. */
export class RestoredAsset {
  constructor(readonly assetPath: string) {}
}

/** How a restored concrete function is built (on first call) and described. */
export interface ConcreteFunctionSource {
  readonly name: string;
  /** The structure of the arguments: [positional args, keyword args]. */
  readonly argsSpec: readonly unknown[];
  readonly kwargsSpec: Readonly<Record<string, unknown>>;
  /** The keywords a signature is called with (SavedBareConcreteFunction.argument_keywords). */
  readonly argumentKeywords: readonly string[];
  readonly outputSignature: unknown;
  /** Traces the FunctionDef into a tsflow ConcreteFunction taking the flat tensors. */
  build(): ConcreteFunction;
}

export interface RestoredConcreteFunction {
  // biome-ignore lint/style/useShorthandFunctionType: merged with the class of the same name below
  (...args: unknown[]): unknown;
}

/**
 * A concrete function of a loaded SavedModel (a signature, or one trace of a tf.function): call it with
 * its positional tensors, or with one object of keyword arguments (`f({ x })`, as TensorFlow's
 * `f(x=...)`). It returns the structure TensorFlow's function returned, with eager tensors (a signature
 * returns an object of named outputs).
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface adds the call signature of the function the constructor returns
export class RestoredConcreteFunction {
  readonly name!: string;
  /** The flat input specs, in the order callFlat takes them. */
  readonly inputSpecs!: readonly TensorSpec[];
  /** [args, kwargs] with tensors as tf.TensorSpec, as TensorFlow's structured_input_signature. */
  readonly structuredInputSignature!: readonly unknown[];
  /** The returned structure with tensors as tf.TensorSpec. */
  readonly structuredOutputs!: unknown;
  protected source!: ConcreteFunctionSource;
  protected cf!: ConcreteFunction | null;

  constructor(source: ConcreteFunctionSource) {
    const self = ((...args: unknown[]) => self.call(...args)) as unknown as RestoredConcreteFunction;
    delete (self as unknown as { name?: string }).name;
    Object.setPrototypeOf(self, new.target.prototype);
    Object.assign(self, {
      name: source.name,
      source,
      cf: null,
      inputSpecs: flattenSpecs([source.argsSpec, source.kwargsSpec], source.name),
      structuredInputSignature: [source.argsSpec, source.kwargsSpec],
      structuredOutputs: source.outputSignature,
    });
    // biome-ignore lint/correctness/noConstructorReturn: a callable instance (TensorFlow's concrete functions are called like functions)
    return self;
  }

  /** The tsflow ConcreteFunction the FunctionDef was traced into (traced on first use). */
  get concreteFunction(): ConcreteFunction {
    return (this.cf ??= this.source.build());
  }

  /** The flat tensors of a call: positional tensors, or one object of keyword arguments. */
  flatten(args: readonly unknown[]): unknown[] | null {
    const s = this.source;
    const kw = s.argumentKeywords.length > 0 ? s.argumentKeywords : Object.keys(s.kwargsSpec);
    if (args.length === 1 && isPlainObject(args[0]) && kw.length > 0 && Object.keys(args[0]).every((k) => kw.includes(k))) {
      const obj = args[0] as Record<string, unknown>;
      if (s.argumentKeywords.length > 0) {
        // A signature: its keywords name its flat inputs in order.
        const missing = kw.filter((k) => !(k in obj));
        if (missing.length > 0) throw new InvalidArgumentError(`${this.name}: missing argument(s) ${missing.join(", ")} (expected ${kw.join(", ")})`);
        return kw.map((k) => obj[k]);
      }
      return flattenValues([[], pick(s.kwargsSpec, obj)], [s.argsSpec, s.kwargsSpec]);
    }
    if (s.argumentKeywords.length > 0) return args.length === this.inputSpecs.length ? [...args] : null;
    if (args.length !== s.argsSpec.length) return null;
    return flattenValues([args, {}], [s.argsSpec, s.kwargsSpec]);
  }

  /** Whether `args` fit this function's input signature (dtypes and shapes of their tensors). */
  accepts(args: readonly unknown[]): boolean {
    let flat: unknown[] | null;
    try {
      flat = this.flatten(args);
    } catch {
      return false;
    }
    if (flat === null || flat.length !== this.inputSpecs.length) return false;
    return flat.every((x, i) => {
      const spec = this.inputSpecs[i];
      if (x instanceof EagerTensor) return fits(spec, x.dtype, x.shape);
      return true;
    });
  }

  call(...args: unknown[]): unknown {
    const flat = this.flatten(args);
    if (flat === null) {
      throw new InvalidArgumentError(
        `${this.name}: expected ${this.inputSpecs.length} tensor argument(s) (${this.describeInputs()}), got ${args.length} argument(s)`,
      );
    }
    return this.concreteFunction.callFlat(flat);
  }

  describeInputs(): string {
    const kw = this.source.argumentKeywords;
    return this.inputSpecs.map((s, i) => `${kw[i] ?? s.name ?? `arg${i}`}: ${s.toString()}`).join(", ");
  }

  toString(): string {
    return `<RestoredConcreteFunction ${this.name}(${this.describeInputs()})>`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

export interface RestoredFunction {
  // biome-ignore lint/style/useShorthandFunctionType: merged with the class of the same name below
  (...args: unknown[]): unknown;
}

/** A restored tf.function: calls the first of its traces whose input signature fits the arguments. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface adds the call signature
export class RestoredFunction {
  readonly name!: string;
  readonly concreteFunctions!: readonly RestoredConcreteFunction[];

  constructor(name: string, concreteFunctions: readonly RestoredConcreteFunction[]) {
    const self = ((...args: unknown[]) => self.call(...args)) as unknown as RestoredFunction;
    delete (self as unknown as { name?: string }).name;
    Object.setPrototypeOf(self, new.target.prototype);
    Object.assign(self, { name, concreteFunctions });
    // biome-ignore lint/correctness/noConstructorReturn: a callable instance, as TensorFlow's restored functions
    return self;
  }

  call(...args: unknown[]): unknown {
    for (const cf of this.concreteFunctions) if (cf.accepts(args)) return cf.call(...args);
    const have = this.concreteFunctions.map((cf) => `  ${cf.describeInputs()}`).join("\n");
    throw new InvalidArgumentError(`Could not find matching concrete function to call loaded from the SavedModel (${this.name}). Options are:\n${have}`);
  }

  toString(): string {
    return `<RestoredFunction ${this.name} (${this.concreteFunctions.length} concrete function(s))>`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null || x instanceof EagerTensor) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

function pick(spec: Readonly<Record<string, unknown>>, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(spec)) out[k] = obj[k];
  return out;
}

/** The values at the TensorSpec positions of `spec` (flattening order), `values` shaped like it. */
function flattenValues(values: unknown, spec: unknown): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown, s: unknown) => {
    if (s instanceof TensorSpec) out.push(v);
    else if (Array.isArray(s)) {
      if (!Array.isArray(v) || v.length !== s.length)
        throw new InvalidArgumentError("the arguments do not have the structure of the function's input signature");
      s.forEach((y, i) => walk(v[i], y));
    } else if (s !== null && typeof s === "object") {
      if (!isPlainObject(v)) throw new InvalidArgumentError("the arguments do not have the structure of the function's input signature");
      for (const k of Object.keys(s).sort()) walk(v[k], (s as Record<string, unknown>)[k]);
    }
  };
  walk(values, spec);
  return out;
}
