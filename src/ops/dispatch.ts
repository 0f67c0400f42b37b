import { DType, tfName } from "../core/dtype.js";
import { InvalidArgumentError, OpError } from "../core/errors.js";
import { shapeStr } from "../core/shape.js";
import { HostValue, inferDType, toValues } from "../core/values.js";
import type { Attrs, KernelEnv } from "../core/backend.js";
import { defaultBackend, executingEagerly } from "../eager/context.js";
import { EagerTensor } from "../eager/tensor.js";
import type { AnyTensor, TensorLike } from "../eager/tensor_types.js";
import { recordOperation } from "../eager/tape.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Graph } from "../graph/graph.js";
import type { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { Variable } from "../variables/variable.js";
import { getOpDef, OpDef } from "./registry.js";
import type { OpType } from "../core/schema/index.js";
import type { TensorSpec } from "../core/schema/types.js";
import { normalizeAttrs } from "../core/schema/attrs.js";
import { eagerRandomSource } from "./random_state.js";
import { logEagerPlacement } from "../runtime/placement_log.js";
import { placeEager } from "../runtime/devices.js";
import type { Backend, Handle } from "../core/backend.js";

export function isTensor(x: unknown): x is AnyTensor {
  return x instanceof EagerTensor || x instanceof SymbolicTensor;
}

function dtypeOfInput(x: TensorLike): DType | null {
  if (x instanceof EagerTensor || x instanceof SymbolicTensor || x instanceof Variable) return x.dtype;
  return null;
}

/** The dtype each input must have: tensors decide their group; JS values follow, as in TensorFlow. */
function resolveDTypes(def: OpDef, inputs: readonly TensorLike[]): DType[] {
  const out: (DType | null)[] = inputs.map(dtypeOfInput);
  const groups = def.dtypeGroups ?? [];
  for (const group of groups) {
    let want: DType | null = null;
    let first = -1;
    for (const i of group) {
      if (i >= inputs.length) continue;
      const d = out[i];
      if (d === null) continue;
      if (want === null) {
        want = d;
        first = i;
      } else if (d !== want) {
        throw new InvalidArgumentError(
          `cannot compute ${def.type} as input #${i}(zero-based) was expected to be a ${tfName(want)} tensor but is a ${tfName(d)} tensor` +
          ` (input #${first} is ${tfName(want)}; tsflow, like TensorFlow, never converts between dtypes silently: use tf.cast)`,
        );
      }
    }
    for (const i of group) {
      if (i >= inputs.length || out[i] !== null) continue;
      out[i] = want ?? def.inputDTypes?.[i] ?? inferDType(inputs[i] as HostValue);
    }
  }
  return inputs.map((x, i) => out[i] ?? def.inputDTypes?.[i] ?? inferDType(x as HostValue));
}

function checkAllowed(def: OpDef, dtypes: readonly DType[], name: string): void {
  if (!def.allowedDTypes || dtypes.length === 0) return;
  const idx = def.dtypeGroups?.[0]?.[0] ?? 0;
  const d = dtypes[idx];
  if (!def.allowedDTypes.includes(d)) {
    throw new InvalidArgumentError(
      `Value for attr 'T' of ${d} is not in the list of allowed values: ${def.allowedDTypes.join(", ")} ; NodeDef: {{node ${name}}}; Op<name=${def.type}>`,
    );
  }
}

/** Runs or builds op `type`: eagerly when executing eagerly, else as a node of the default graph. */
export function execute(type: OpType, inputs: readonly TensorLike[], attrs: Attrs = {}, name?: string): AnyTensor[] {
  const def = getOpDef(type);
  if (!def) throw new InvalidArgumentError(`Op type not registered '${type}'`);
  return executingEagerly() ? executeEager(def, inputs, attrs, name) : buildNode(def, inputs, attrs, name).outputs.slice();
}

export function execute1(type: OpType, inputs: readonly TensorLike[], attrs: Attrs = {}, name?: string): AnyTensor {
  return execute(type, inputs, attrs, name)[0];
}

// ---------------------------------------------------------------- eager

/** An eager tensor for any input; JS values are written to `backend` (the CPU unless given). */
export function toEagerTensor(x: TensorLike, dtype: DType, op: string, backend?: Backend): EagerTensor {
  if (x instanceof EagerTensor) return x;
  if (x instanceof Variable) return x.readForOp();
  if (x instanceof SymbolicTensor) {
    throw new InvalidArgumentError(`${op}: got the graph tensor ${x.name} while executing eagerly; build it inside its graph's asDefault() and run it with a Session`);
  }
  const { values, shape } = toValues(x as HostValue, dtype);
  return new EagerTensor((backend ?? defaultBackend()).write(values, dtype, shape));
}

function withOpContext(e: unknown, suffix: string): never {
  if (e instanceof OpError && !e.message.includes("[Op:") && !e.message.includes("{{node ")) {
    e.message = `${e.message}${suffix}`;
  }
  throw e;
}

function executeEager(def: OpDef, inputs: readonly TensorLike[], attrs: Attrs, name: string | undefined): EagerTensor[] {
  const opName = name ?? def.name ?? def.type;
  const suffix = ` [Op:${def.type}]${name ? ` name: ${name}` : ""}`;
  let dtypes: DType[];
  try {
    attrs = normalizeAttrs(def, attrs, opName);
    dtypes = resolveDTypes(def, inputs);
    checkAllowed(def, dtypes, opName);
  } catch (e) {
    return withOpContext(e, suffix);
  }
  // Placement (runtime/devices.ts): GPU:0 for ops it has a kernel for, else the CPU; tf.device() scopes.
  let backend: Backend;
  try {
    backend = placeEager(def.type, dtypes, attrs);
  } catch (e) {
    return withOpContext(e, suffix);
  }
  const converted: EagerTensor[] = [];
  const tensors = inputs.map((x, i) => {
    // JS values go straight to the op's device, except host-side inputs (shapes, axes).
    const t = toEagerTensor(x, dtypes[i], def.type, def.hostInputs?.includes(i) ? undefined : backend);
    if (t !== x) converted.push(t);
    return t;
  });
  try {
    const specs: TensorSpec[] = tensors.map((t, i) => ({
      dtype: t.dtype,
      shape: t.shape,
      value: def.hostInputs?.includes(i) ? t.dataSync() : undefined,
    }));
    def.infer(specs, attrs, opName);
    const env: KernelEnv = def.stateful && "seed" in attrs ? { rng: eagerRandomSource(attrs) } : {};
    logEagerPlacement(def.type, backend);
    const outs = runKernelOn(backend, def.type, tensors.map((t) => t.handle), attrs, env).map((h) => new EagerTensor(h));
    recordOperation(def, tensors, outs, attrs);
    return outs;
  } catch (e) {
    return withOpContext(e, suffix);
  } finally {
    for (const t of converted) t.dispose();
  }
}

/**
 * Runs a kernel on `backend` with inputs from any device. Copies happen only where a value crosses
 * devices: the CPU's kernels read host memory, so values on a GPU are brought over first; a GPU backend
 * takes host-resident inputs itself (uploading what it computes on, leaving shapes and axes on the host).
 */
export function runKernelOn(backend: Backend, type: string, handles: readonly Handle[], attrs: Attrs, env: KernelEnv): Handle[] {
  if (backend.deviceType !== "CPU" || handles.every((h) => h.backend === backend)) return backend.runKernel(type, handles, attrs, env);
  const copies: Handle[] = [];
  const ins = handles.map((h) => {
    if (h.backend === backend) return h;
    const c = backend.write(h.backend.readSync(h), h.dtype, h.shape);
    copies.push(c);
    return c;
  });
  try {
    return backend.runKernel(type, ins, attrs, env);
  } finally {
    for (const c of copies) backend.dispose(c);
  }
}

// ---------------------------------------------------------------- graph

export function constValueOf(t: SymbolicTensor): TensorSpec["value"] {
  return t.op.type === "Const" ? (t.op.attrs.value as TensorSpec["value"]) : undefined;
}

/** A graph tensor for any input: graph tensors of this graph pass, everything else becomes a Const. */
export function toGraphTensor(x: TensorLike, dtype: DType, g: Graph, name: string): SymbolicTensor {
  if (x instanceof SymbolicTensor) {
    if (x.graph !== g) {
      throw new InvalidArgumentError(`EagerTensor ${x.toString()} must be from the same graph as the op being built; it belongs to another tf.Graph`);
    }
    return x;
  }
  if (x instanceof Variable) return x.graphValue(g);
  let values;
  let shape: number[];
  if (x instanceof EagerTensor) {
    values = x.dataSync();
    shape = x.shape;
    dtype = x.dtype;
  } else {
    ({ values, shape } = toValues(x as HostValue, dtype));
  }
  const constDef = getOpDef("Const")!;
  const attrs = { value: values, dtype, shape };
  return g.nameScope("", () => g.createOp(constDef, g.uniqueName(name), [], attrs, [{ dtype, shape }])).outputs[0];
}

/** Adds one node of `def` to the default graph and returns it. */
export function buildNode(def: OpDef, inputs: readonly TensorLike[], attrs: Attrs, name?: string, graph?: Graph): Operation {
  const g = graph ?? getDefaultGraph();
  const opName = g.uniqueName(name ?? def.name ?? def.type);
  let dtypes: DType[];
  try {
    attrs = normalizeAttrs(def, attrs, opName);
    dtypes = resolveDTypes(def, inputs);
    checkAllowed(def, dtypes, opName);
  } catch (e) {
    return withOpContext(e, ` for '{{node ${opName}}} = ${def.type}'`);
  }
  const argNames = def.inputNames ?? (inputs.length === 2 ? ["x", "y"] : inputs.map((_, i) => (i === 0 ? "x" : `input_${i}`)));
  const syms = inputs.map((x, i) => toGraphTensor(x, dtypes[i], g, `${opName}/${argNames[i] ?? `input_${i}`}`));
  const specs: TensorSpec[] = syms.map((t) => ({ dtype: t.dtype, shape: t.shape, value: constValueOf(t) }));
  let outSpecs;
  try {
    outSpecs = def.infer(specs, attrs, opName);
  } catch (e) {
    return withOpContext(e, ` for '{{node ${opName}}} = ${def.type}' with input shapes: ${syms.map((t) => shapeStr(t.shape)).join(", ")}.`);
  }
  return g.createOp(def, opName, syms, attrs, outSpecs);
}
