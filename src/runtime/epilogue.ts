import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { EpilogueStep, isRef, keptSlots, OpStep, Plan, PlanStep, withFrees } from "./plan.js";

/**
 * Graph-mode product epilogues: a 2-D MatMul (or an NHWC Conv2D) whose only reader adds a 1-D bias along its
 * last dim (AddV2 or BiasAdd in NHWC), optionally followed by a Relu that is the add's only reader, becomes
 * one plan node that the device's backend computes as one product (Backend.matmulEpilogue: cuBLASLt's bias
 * and ReLU epilogues on GPUs; Backend.conv2dEpilogue: the CPU's direct convolutions), saving the
 * intermediate tensors and one or two kernels each.
 *
 * Like elementwise fusion (fusion.ts), the group runs where its last node ran, so the product and the add
 * move later, never earlier: they must not order anything through control edges, their outputs must not be
 * fetched, fed or read by anything else, and their inputs must not be variable references. One exception:
 * a Shape node after the group may read an intermediate (the AddV2 gradient takes Shape(product) when the
 * batch dim is unknown); intermediates have the result's shape and dtype, so it is given the result.
 * Gradients read MatMul's inputs and the Relu's output (ReluGrad), never the intermediates.
 */

/** One group found in a plan. */
export interface EpilogueGroup {
  /** Plan node indices, ascending: the MatMul (or Conv2D), the add, then the Relu when there is one (the root). */
  readonly members: readonly number[];
  /** The fused node's inputs: the product's operands (a, b; or input, filter) and the bias. */
  readonly inputs: readonly [number, number, number];
  readonly relu: boolean;
  /** Intermediate slots read (after the root) by Shape nodes only: they get the result. */
  readonly shapeSlots: readonly number[];
}

const FLOAT: ReadonlySet<string> = new Set(["float32", "float64"]);

/** A graph tensor's static shape as numbers, or null where its rank or a dim is unknown. */
function knownShape(t: SymbolicTensor): number[] | null {
  const s = t.shape;
  if (s === null || s.some((d) => d === null)) return null;
  return s as number[];
}

/** The product's last (bias) dim when it is known: a 2-D MatMul's columns, an NHWC Conv2D's channels. */
function lastDim(op: Operation): number | null {
  const s = op.outputs[0].shape;
  const want = op.type === "MatMul" ? 2 : 4;
  if (op.type === "Conv2D") {
    const f = op.attrs.data_format;
    if (f !== undefined && f !== null && f !== "NHWC") return null;
  }
  if (s === null || s.length !== want) return null;
  const d = s[want - 1];
  return typeof d === "number" ? d : null;
}

/**
 * The groups of a plan (pure: `offers` says which nodes' devices compute epilogues; tests pass a predicate).
 * Each product yields at most one group, so groups never overlap.
 */
export function findEpilogueGroups(plan: Plan, offers: (n: OpStep) => boolean): EpilogueGroup[] {
  const nodes = plan.steps;
  const keep = keptSlots(plan);
  const controlled = new Set<Operation>();
  for (const n of nodes) if (n.kind !== "copy" && n.kind !== "update_group") for (const c of n.op.controlInputs) controlled.add(c);
  // One entry per read: a node reading a slot twice is two readers.
  const readers = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    for (const s of n.inputSlots) {
      let r = readers.get(s);
      if (!r) readers.set(s, (r = []));
      r.push(i);
    }
  });
  /** The one node other than Shape nodes that reads `slot` (an interior member's output), with those Shape nodes. */
  const soleReader = (n: OpStep): { reader: number; shapes: number[] } | null => {
    if (n.outputSlots.length !== 1 || n.outputSlots[0] < 0 || keep.has(n.outputSlots[0]) || controlled.has(n.op)) return null;
    let reader = -1;
    const shapes: number[] = [];
    for (const r of readers.get(n.outputSlots[0]) ?? []) {
      const x = nodes[r];
      if (x.kind === "op" && x.op.type === "Shape") shapes.push(r);
      else if (reader !== -1) return null;
      else reader = r;
    }
    return reader === -1 ? null : { reader, shapes };
  };
  const plain = (n: PlanStep): n is OpStep => n.kind === "op" && !n.op.def.stateful;
  const groups: EpilogueGroup[] = [];
  nodes.forEach((mm, i) => {
    if (!plain(mm) || (mm.op.type !== "MatMul" && mm.op.type !== "Conv2D") || !offers(mm)) return;
    const out = mm.op.outputs[0];
    // The bias runs along the last dim: a MatMul's columns, an NHWC Conv2D's channels.
    const channels = lastDim(mm.op);
    if (!FLOAT.has(out.dtype) || channels === null) return;
    if (mm.op.inputs.some(isRef)) return;
    const first = soleReader(mm);
    if (first === null) return;
    const add = nodes[first.reader];
    if (!plain(add) || add.device.backend !== mm.device.backend) return;
    const slot = mm.outputSlots[0];
    let p: number;
    if (add.op.type === "BiasAdd") {
      const f = add.op.attrs.data_format;
      if ((f !== undefined && f !== null && f !== "NHWC") || add.inputSlots[0] !== slot) return;
      p = 0;
    } else if (add.op.type === "AddV2") {
      p = add.inputSlots[0] === slot ? 0 : 1;
    } else return;
    const biasT = add.op.inputs[1 - p];
    const biasShape = knownShape(biasT);
    if (biasShape === null || biasShape.length !== 1 || biasShape[0] !== channels || biasT.dtype !== out.dtype) return;
    if (isRef(biasT)) return;
    const members = [i, first.reader];
    const shapes = [...first.shapes];
    const shapeSlots = [slot];
    let relu = false;
    const second = soleReader(add);
    if (second !== null) {
      const r = nodes[second.reader];
      if (plain(r) && r.op.type === "Relu" && r.device.backend === mm.device.backend) {
        relu = true;
        members.push(second.reader);
        shapes.push(...second.shapes);
        shapeSlots.push(add.outputSlots[0]);
      }
    }
    // Shape readers must come after the group's node, where the result exists.
    const root = members[members.length - 1];
    if (shapes.some((s) => s < root)) return;
    groups.push({
      members,
      inputs: [mm.inputSlots[0], mm.inputSlots[1], add.inputSlots[1 - p]],
      relu,
      shapeSlots: shapeSlots.filter((s) => (readers.get(s) ?? []).some((r) => shapes.includes(r))),
    });
  });
  return groups;
}

/** The plan with each group replaced by one step at its root's place, frees recomputed as fusion.ts does. */
export function epiloguePlan(plan: Plan, offers: (n: OpStep) => boolean): Plan {
  const groups = findEpilogueGroups(plan, offers);
  if (groups.length === 0) return plan;
  const replaced = new Map<number, PlanStep>();
  const dropped = new Set<number>();
  for (const g of groups) {
    // findEpilogueGroups takes plain op steps only.
    const members = g.members.map((m) => plan.steps[m] as OpStep);
    const root = members[members.length - 1];
    const inner = new Set(members.slice(0, -1).map((m) => m.outputSlots[0]));
    const mm = members[0].op;
    const step: EpilogueStep = {
      kind: "epilogue",
      op: root.op,
      members,
      innerFree: members.map((m) => m.freeAfter.filter((x) => inner.has(x))),
      transposeA: Boolean(mm.attrs.transpose_a),
      transposeB: Boolean(mm.attrs.transpose_b),
      relu: g.relu,
      shapeSlots: g.shapeSlots,
      inputSlots: [...g.inputs],
      outputSlots: root.outputSlots,
      freeAfter: [],
      device: root.device,
    };
    replaced.set(g.members[g.members.length - 1], step);
    for (const m of g.members.slice(0, -1)) dropped.add(m);
  }
  const steps = plan.steps.flatMap((n, i) => (dropped.has(i) ? [] : [replaced.get(i) ?? n]));
  return { ...plan, steps: withFrees(steps, keptSlots(plan)) };
}
