/**
 * The functional engine: calling a layer on KerasTensors records a node (installed into layer.ts as it
 * loads), and a functional model runs its recorded nodes in order on concrete or traced tensors.
 *
 * Output shapes come from the layer's computeOutputShape; a layer without one (Lambda, subclassed layers and
 * models) is probed: called once eagerly on zeros of the input's shape (unknown dims as 1), and the batch
 * dimension of what it returns is set back to unknown.
 */
import type { DType } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import { tidy } from "../../eager/memory.js";
import { zeros } from "../../ops/creation.js";
import { type CallOptions, installSymbolicCall, type Layer, type LayerIO, type SymbolicIO } from "./layer.js";
import { KerasTensor, type KerasNode } from "./keras_tensor.js";

/** The nodes each layer was called in, in call order (Keras's inbound nodes: `dense[1][0]` is node 1's output 0). */
const inboundNodes = new WeakMap<object, KerasNode[]>();
export function nodesOf(layer: object): readonly KerasNode[] {
  return inboundNodes.get(layer) ?? [];
}
/** A layer that can say its output shape without running (every built-in layer). */
interface ShapeInferring {
  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[];
}
function infersShape(layer: object): layer is ShapeInferring {
  return typeof (layer as Partial<ShapeInferring>).computeOutputShape === "function";
}

function isShapeList(s: Shape | Shape[]): s is Shape[] {
  // A single shape holds numbers and nulls; a list of shapes holds arrays (null for one of unknown rank).
  return Array.isArray(s) && (s as unknown[]).some((d) => Array.isArray(d));
}

/** Output shapes and dtypes by running the layer once on zeros (batch 1), for layers without computeOutputShape. */
function probe(layer: Layer, inputs: readonly KerasTensor[], listInput: boolean, options: CallOptions): { shape: Shape; dtype: DType }[] {
  return tidy(() => {
    const concrete = inputs.map((t) => {
      if (t.shape === null)
        throw new InvalidArgumentError(`Layer ${layer.name}: cannot infer the output shape of an input of unknown rank; give the layer computeOutputShape`);
      return zeros(
        t.shape.map((d) => d ?? 1),
        t.dtype,
      );
    });
    const out = layer.invoke(listInput ? concrete : concrete[0], { ...options, training: false }) as Tensor | Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const batchUnknown = inputs.some((t) => t.shape?.[0] === null);
    return outs.map((o) => ({ shape: (o.shape ?? []).map((d, i) => (i === 0 && batchUnknown ? null : d)), dtype: o.dtype }));
  }) as { shape: Shape; dtype: DType }[];
}

function symbolicCall(layer: Layer, io: SymbolicIO, options: CallOptions): SymbolicIO {
  const listInput = Array.isArray(io);
  const inputs: readonly KerasTensor[] = listInput ? (io as readonly KerasTensor[]) : [io as KerasTensor];
  const inShape: Shape | Shape[] = listInput ? inputs.map((t) => t.shape) : inputs[0].shape;
  if (!layer.built) {
    layer.build(inShape);
    layer.built = true;
  }
  let outs: { shape: Shape; dtype: DType }[];
  if (infersShape(layer)) {
    const s = layer.computeOutputShape(inShape);
    const dtype = outputDType(layer, inputs);
    outs = isShapeList(s) ? s.map((shape) => ({ shape, dtype })) : [{ shape: s as Shape, dtype }];
  } else {
    outs = probe(layer, inputs, listInput, options);
  }
  const nodeIndex = nodesOf(layer).length;
  const outputs = outs.map((o, i) => new KerasTensor(o.shape, o.dtype, outs.length === 1 && nodeIndex === 0 ? layer.name : `${layer.name}/${nodeIndex}/${i}`));
  const { training: _ignored, ...kept } = options;
  const node: KerasNode = { layer, inputs, outputs, options: kept, listInput, listOutput: outs.length > 1 };
  for (const t of outputs) t.node = node;
  recordNode(layer, node);
  return outs.length > 1 ? outputs : outputs[0];
}

/** Records a node on its layer (InputLayer records its own node the same way). */
export function recordNode(layer: object, node: KerasNode): void {
  const list = inboundNodes.get(layer);
  if (list) list.push(node);
  else inboundNodes.set(layer, [node]);
}

/** A float layer keeps its dtype; a layer declared with a non-float input (Embedding's ints) outputs floats. */
function outputDType(layer: Layer, inputs: readonly KerasTensor[]): DType {
  const declared = (layer as { outputDType?: DType }).outputDType;
  if (declared) return declared;
  return layer.dtype ?? inputs[0]?.dtype ?? "float32";
}

/** Python's tuple form of a shape, as Keras prints it: (None, 784). */
export function pyShape(s: Shape): string {
  if (s === null) return "<unknown>";
  return `(${s.map((d) => (d === null ? "None" : String(d))).join(", ")}${s.length === 1 ? "," : ""})`;
}

installSymbolicCall(symbolicCall);

/** The nodes between a model's inputs and outputs, in an order where each node follows those it reads. */
export function topologicalNodes(inputs: readonly KerasTensor[], outputs: readonly KerasTensor[]): KerasNode[] {
  const inputSet = new Set(inputs);
  const order: KerasNode[] = [];
  const done = new Set<KerasNode>();
  const active = new Set<KerasNode>();
  const visitedLayers: string[] = [];
  const visit = (t: KerasTensor): void => {
    if (inputSet.has(t)) return;
    const node = t.node;
    if (!node) throw new InvalidArgumentError(`Graph disconnected: ${t} was not made by a layer call`);
    if (done.has(node)) return;
    if (node.inputs.length === 0) {
      throw new InvalidArgumentError(
        `Graph disconnected: cannot obtain value for tensor ${t} at layer "${(node.layer as Layer).name}". The following previous layers were accessed without issue: [${visitedLayers.map((n) => `'${n}'`).join(", ")}]`,
      );
    }
    if (active.has(node)) throw new InvalidArgumentError(`The functional graph has a cycle at layer "${(node.layer as Layer).name}"`);
    active.add(node);
    for (const i of node.inputs) visit(i);
    active.delete(node);
    done.add(node);
    order.push(node);
    visitedLayers.push((node.layer as Layer).name);
  };
  for (const o of outputs) visit(o);
  return order;
}

/** Runs the recorded nodes on concrete (or traced) tensors fed for the model's inputs. */
export function runNodes(
  nodes: readonly KerasNode[],
  inputs: readonly KerasTensor[],
  outputs: readonly KerasTensor[],
  values: readonly Tensor[],
  options: CallOptions,
): Tensor[] {
  const env = new Map<KerasTensor, Tensor>();
  // The mask each KerasTensor carries (Keras's _keras_mask): what the producing layer's computeMask gave.
  const masks = new Map<KerasTensor, Tensor | null>();
  inputs.forEach((t, i) => env.set(t, values[i]));
  for (const node of nodes) {
    const args = node.inputs.map((t) => env.get(t) as Tensor);
    const argMasks = node.inputs.map((t) => masks.get(t) ?? null);
    const layer = node.layer as Layer;
    const input = (node.listInput ? args : args[0]) as LayerIO;
    const inputMask = argMasks.every((m) => m === null) ? null : node.listInput ? argMasks : argMasks[0];
    const callOptions = inputMask === null || "mask" in node.options ? { ...node.options, ...options } : { ...node.options, ...options, mask: inputMask };
    const out = layer.invoke(input, callOptions) as Tensor | Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const outMask = layer.computeMask(input, callOptions.mask ?? null);
    node.outputs.forEach((t, i) => {
      env.set(t, outs[i]);
      const m = Array.isArray(outMask) ? (outMask[i] ?? null) : i === 0 ? (outMask as Tensor | null) : null;
      masks.set(t, m);
    });
  }
  return outputs.map((t) => env.get(t) as Tensor);
}
