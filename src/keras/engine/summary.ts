/**
 * model.summary(): the table Keras (2.13 to 2.15) prints. A model whose layers form a chain (Sequential, or a
 * functional chain) gets three columns at 65 characters; any other functional model gets a fourth column,
 * "Connected to" (`['dense[0][0]', ...]`), at 98. Rows start with a space and each is followed by a blank line;
 * long cells wrap at "),", "]," and "'," as Keras wraps them. Totals give counts and sizes (4 bytes per
 * float32 weight, in Byte/KB/MB with 1024 steps).
 */
import { bytesPerElement, type DType } from "../../core/dtype.js";
import { nodesOf, pyShape } from "./functional.js";
import { InputLayer } from "./input_layer.js";
import type { KerasNode } from "./keras_tensor.js";
import type { Layer } from "./layer.js";
import type { Model } from "./model.js";

export interface SummaryOptions {
  lineLength?: number;
  /** Column ends: fractions of lineLength (all <= 1) or absolute positions. */
  positions?: number[];
  /** Where lines go (default console.log). */
  printFn?: (line: string) => void;
}

function printRow(fields: string[], positions: number[], print: (s: string) => void): void {
  const left = [...fields];
  while (left.some((f) => f.length > 0)) {
    let line = "";
    for (let col = 0; col < left.length; col++) {
      const start = col > 0 ? positions[col - 1] : 0;
      const end = positions[col];
      const space = col !== positions.length - 1 ? 2 : 0;
      let cutoff = end - start - space;
      let fit = left[col].slice(0, cutoff);
      const breaks = ["),", "},", "],", "',"].map((b) => (fit.indexOf(b) >= 0 ? fit.indexOf(b) + b.length : -1)).filter((i) => i >= 0);
      if (breaks.length > 0) {
        cutoff = Math.min(...breaks);
        fit = fit.slice(0, cutoff);
      }
      if (col === 0) line += " ";
      line += fit + " ".repeat(space);
      left[col] = left[col].slice(cutoff);
      line += " ".repeat(Math.max(0, positions[col] - line.length));
    }
    print(line);
  }
}

/** Byte, KB, MB, ... with two decimals (Keras's readable_memory_size). */
function readableSize(bytes: number): string {
  const units = ["Byte", "KB", "MB", "GB", "TB", "PB"];
  let v = bytes;
  for (const unit of units) {
    if (v / 1024 < 1) return `${v.toFixed(2)} ${unit}`;
    v /= 1024;
  }
  return `${v.toFixed(2)} PB`;
}

function weightStats(vars: readonly { shape: (number | null)[] | null; dtype: string }[]): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const v of vars) {
    const n = (v.shape ?? []).reduce<number>((a, d) => a * (d ?? 0), 1);
    count += n;
    bytes += n * bytesPerElement(v.dtype as DType);
  }
  return { count, bytes };
}

/** A layer's output shape as Keras shows it: InputLayers as a list, layers called more than once "multiple". */
function outputShapeOf(layer: Layer, model: Model): string {
  if (!model.isGraphNetwork) return "multiple";
  const nodes = nodesOf(layer).filter((n) => model.graphNodes.includes(n) || (layer instanceof InputLayer && model.inputs.includes(n.outputs[0])));
  if (nodes.length !== 1) return "multiple";
  const outs = nodes[0].outputs.map((t) => pyShape(t.shape));
  return layer instanceof InputLayer || outs.length > 1 ? `[${outs.join(", ")}]` : outs[0];
}

function paramsOf(layer: Layer): string {
  return layer.built ? String(layer.countParams()) : "0 (unused)";
}

/** Whether every layer is called once on one tensor, in a chain: then Keras prints the short table. */
function isChain(model: Model): boolean {
  if (!model.isGraphNetwork) return true;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return false;
  const seen = new Set<object>();
  for (const node of model.graphNodes) {
    if (node.inputs.length > 1 || node.outputs.length > 1 || seen.has(node.layer)) return false;
    seen.add(node.layer);
  }
  return true;
}

function connections(node: KerasNode): string {
  const refs = node.inputs.map((t) => {
    const from = t.node as KerasNode;
    const index = nodesOf(from.layer).indexOf(from);
    return `'${(from.layer as Layer).name}[${index}][${from.outputs.indexOf(t)}]'`;
  });
  return refs.length > 0 ? `[${refs.join(", ")}]` : "[]";
}

export function printSummary(model: Model, options: SummaryOptions): void {
  const print = options.printFn ?? ((s: string) => console.log(s));
  const chain = isChain(model);
  const lineLength = options.lineLength ?? (chain ? 65 : 98);
  let positions = options.positions ?? (chain ? [0.45, 0.85, 1] : [0.33, 0.55, 0.67, 1]);
  if (positions[positions.length - 1] <= 1) positions = positions.map((p) => Math.floor(lineLength * p));
  const header = chain ? ["Layer (type)", "Output Shape", "Param #"] : ["Layer (type)", "Output Shape", "Param #", "Connected to"];
  print(`Model: "${model.name}"`);
  print("_".repeat(lineLength));
  printRow(header, positions, print);
  print("=".repeat(lineLength));
  const layers = model.layers;
  for (const layer of layers) {
    const fields = [`${layer.name} (${layer.constructor.name})`, outputShapeOf(layer, model), paramsOf(layer)];
    if (!chain) {
      const nodes = model.graphNodes.filter((n) => n.layer === layer);
      fields.push(nodes.length > 0 ? nodes.map(connections).join(", ") : "[]");
    }
    printRow(fields, positions, print);
    print(" ".repeat(lineLength));
  }
  print("=".repeat(lineLength));
  const trainable = weightStats(model.trainableWeights);
  const nonTrainable = weightStats(model.nonTrainableWeights);
  print(`Total params: ${trainable.count + nonTrainable.count} (${readableSize(trainable.bytes + nonTrainable.bytes)})`);
  print(`Trainable params: ${trainable.count} (${readableSize(trainable.bytes)})`);
  print(`Non-trainable params: ${nonTrainable.count} (${readableSize(nonTrainable.bytes)})`);
  print("_".repeat(lineLength));
}
