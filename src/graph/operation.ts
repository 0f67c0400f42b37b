import { inspect } from "node:util";
import type { Attrs } from "../core/schema/types.js";
import type { OpDef } from "../ops/registry.js";
import type { Graph } from "./graph.js";
import { SymbolicTensor } from "./tensor.js";
import type { OutSpec } from "../core/schema/types.js";
import { evalInSession } from "./eval_hook.js";

/** A node of a graph: an op type applied to input tensors, with attributes and a requested device. */
export class Operation {
  readonly outputs: SymbolicTensor[];
  /** The device this node was placed on by the last session that ran it (TensorFlow's assigned device). */
  assignedDevice = "";
  constructor(
    readonly graph: Graph,
    readonly def: OpDef,
    readonly name: string,
    readonly inputs: readonly SymbolicTensor[],
    readonly controlInputs: readonly Operation[],
    readonly attrs: Attrs,
    outSpecs: readonly OutSpec[],
    readonly device: string,
    /** Position in the graph, used for topological order and derived op seeds. */
    readonly id: number,
  ) {
    this.outputs = outSpecs.map((s, i) => new SymbolicTensor(this, i, s.dtype, s.shape));
  }
  get type(): string {
    return this.def.type;
  }
  /** Runs this op in `session` (default: the default session). */
  run(feedDict?: unknown, session?: unknown): void {
    evalInSession(this, feedDict, session);
  }
  getAttr(name: string): Attrs[string] {
    return this.attrs[name];
  }
  toString(): string {
    const ins = this.inputs.map((t) => `"${t.name}"`).concat(this.controlInputs.map((o) => `"^${o.name}"`));
    return `name: "${this.name}"\nop: "${this.type}"${ins.map((i) => `\ninput: ${i}`).join("")}${this.device ? `\ndevice: "${this.device}"` : ""}`;
  }
  [inspect.custom](): string {
    return `<tf.Operation '${this.name}' type=${this.type}>`;
  }
}
