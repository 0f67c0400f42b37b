import { InternalError } from "../core/errors.js";
import type { DType } from "../core/dtype.js";
import type { Operation } from "../graph/operation.js";
import { FusedOp, programKey } from "../core/fused.js";
import { FusedStep, isRef, keptSlots, OpStep, Plan, PlanStep, withFrees } from "./plan.js";

/**
 * Graph-mode elementwise fusion: groups of a Session plan's elementwise ops (op-table rows with
 * `elementwise`, Cast, SelectV2) placed on one device, whose intermediate values nobody else needs, become one
 * plan step running one fused kernel (Backend.runFused). The grouping (findFusionGroups) is a pure function of
 * the plan's data flow; fusePlan turns its groups into fused plan nodes.
 *
 * A group runs where its last node (the root) ran, so every member moves later, never earlier: its inputs
 * are ready (they precede their readers), and slots are written once, so they still hold the same values.
 * What could observe the move is kept out: members other than the root must not order anything through
 * control edges, no member reads a variable reference directly (reads go through W/read, which is not
 * fused), and stateful ops never join.
 */

/** What the grouping needs to know of one plan node. */
export interface FusionNodeInfo {
  readonly inputSlots: readonly number[];
  readonly outputSlots: readonly number[];
  /** Nodes group only with nodes of the same device (compared by identity). */
  readonly device: unknown;
  /** May join a group: one output, a fusible op on its dtypes for its device's backend, not stateful. */
  readonly fusible: boolean;
  /** May be a member other than the root: nothing is ordered after it by a control edge. */
  readonly canBeInterior: boolean;
}

export interface FusionGroup {
  /** Plan node indices, ascending; the last is the root, whose output the group computes. */
  readonly members: readonly number[];
  /** Slots the group reads from outside, in order of first use: the fused program's inputs. */
  readonly inputs: readonly number[];
}

export interface FusionLimits {
  /** External inputs per group (a kernel's parameters are bounded). */
  readonly maxInputs: number;
  readonly maxOps: number;
}

const DEFAULT_LIMITS: FusionLimits = { maxInputs: 8, maxOps: 32 };

/**
 * Groups of fusible nodes: each grows from a root (latest first) by taking the producer of one of its
 * inputs when that producer is fusible on the same device, may be interior, and its output is read by
 * group members only (`keep`: fetched and fed slots, which are read from outside the plan). Groups of one
 * node are not returned.
 */
export function findFusionGroups(nodes: readonly FusionNodeInfo[], keep: ReadonlySet<number>, limits: FusionLimits = DEFAULT_LIMITS): FusionGroup[] {
  const producer = new Map<number, number>();
  const readers = new Map<number, Set<number>>();
  nodes.forEach((n, i) => {
    for (const s of n.outputSlots) if (s >= 0) producer.set(s, i);
    for (const s of n.inputSlots) {
      let r = readers.get(s);
      if (!r) readers.set(s, (r = new Set()));
      r.add(i);
    }
  });
  const externals = (members: ReadonlySet<number>): number[] => {
    const ins: number[] = [];
    for (const m of [...members].sort((a, b) => a - b)) {
      for (const s of nodes[m].inputSlots) {
        const p = producer.get(s);
        if ((p === undefined || !members.has(p)) && !ins.includes(s)) ins.push(s);
      }
    }
    return ins;
  };
  const assigned = new Uint8Array(nodes.length);
  const groups: FusionGroup[] = [];
  for (let root = nodes.length - 1; root >= 0; root--) {
    const r = nodes[root];
    if (!r.fusible || assigned[root]) continue;
    const members = new Set([root]);
    const rejected = new Set<number>();
    for (let changed = true; changed && members.size < limits.maxOps; ) {
      changed = false;
      for (const m of [...members]) {
        for (const s of nodes[m].inputSlots) {
          const p = producer.get(s);
          if (p === undefined || members.has(p) || assigned[p] || rejected.has(p)) continue;
          const n = nodes[p];
          if (!n.fusible || !n.canBeInterior || n.device !== r.device || keep.has(s) || n.outputSlots.length !== 1) continue;
          // Read by a node outside the group (so far: it may join later, then this is tried again).
          if (![...readers.get(s)!].every((x) => members.has(x))) continue;
          members.add(p);
          if (externals(members).length > limits.maxInputs || members.size > limits.maxOps) {
            members.delete(p);
            rejected.add(p);
            continue;
          }
          changed = true;
        }
      }
    }
    if (members.size < 2) continue;
    for (const m of members) assigned[m] = 1;
    groups.push({ members: [...members].sort((a, b) => a - b), inputs: externals(members) });
  }
  return groups.reverse();
}

/** Op types a fused program may hold besides the op table's elementwise rows. */
const EXTRA_TYPES: ReadonlySet<string> = new Set(["Cast", "SelectV2"]);
/** Integer forms the CPU kernels check (division by zero, negative powers): left unfused. */
const CHECKED_INTEGER: ReadonlySet<string> = new Set(["FloorDiv", "FloorMod", "Pow"]);

/** The dtypes an op computes in and produces, as a fused program records them; null when it is not fusible. */
function fusedTypes(op: Operation): { inDType: DType; outDType: DType } | null {
  if (op.outputs.length !== 1 || op.def.stateful) return null;
  if (!op.def.elementwise && !EXTRA_TYPES.has(op.type)) return null;
  const inDType = op.type === "SelectV2" ? op.inputs[1]?.dtype : op.inputs[0]?.dtype;
  if (inDType === undefined) return null;
  if (CHECKED_INTEGER.has(op.type) && inDType !== "float32" && inDType !== "float64") return null;
  if (op.inputs.some(isRef)) return null;
  return { inDType, outDType: op.outputs[0].dtype };
}

/**
 * The plan with each fusion group replaced by one step at its root's place: inputs the group's external
 * slots, outputs the root's, freeing what its members freed. `enabled` says which devices fuse.
 */
export function fusePlan(plan: Plan, enabled: (n: OpStep) => boolean, limits?: FusionLimits): Plan {
  const controlled = new Set<Operation>();
  for (const n of plan.steps) if (n.kind !== "copy" && n.kind !== "update_group") for (const c of n.op.controlInputs) controlled.add(c);
  const types = plan.steps.map((n) => {
    // Only plain ops fuse: a product with an epilogue (runtime/epilogue.ts) is not the elementwise op its `op` names,
    // and a folded node (runtime/constant_folding.ts) runs once, where a fused kernel would run at every step.
    if (n.kind !== "op" || n.folded || !enabled(n)) return null;
    const t = fusedTypes(n.op);
    const b = n.device.backend;
    return t && b.runFused && b.canFuse?.(n.op.type, t.inDType, t.outDType) ? t : null;
  });
  const infos: FusionNodeInfo[] = plan.steps.map((n, i) => ({
    inputSlots: n.inputSlots,
    outputSlots: n.outputSlots,
    device: n.device.backend,
    fusible: types[i] !== null,
    canBeInterior: n.kind === "op" && !controlled.has(n.op),
  }));
  const keep = keptSlots(plan);
  const groups = findFusionGroups(infos, keep, limits);
  if (groups.length === 0) return plan;
  const replaced = new Map<number, PlanStep>();
  const member = (m: number) => plan.steps[m] as OpStep;
  const dropped = new Set<number>();
  for (const g of groups) {
    const pos = new Map<number, number>(g.members.map((m, k) => [plan.steps[m].outputSlots[0], k]));
    const ops: FusedOp[] = g.members.map((m) => {
      const n = member(m);
      return {
        type: n.op.type,
        args: n.inputSlots.map((s) => pos.get(s) ?? -1 - g.inputs.indexOf(s)),
        inDType: types[m]!.inDType,
        outDType: types[m]!.outDType,
      };
    });
    const inputDTypes = g.inputs.map((s) => {
      for (const m of g.members) {
        const k = member(m).inputSlots.indexOf(s);
        if (k >= 0) return member(m).op.inputs[k].dtype;
      }
      throw new InternalError("fusion: a group input no member reads");
    });
    const members = g.members.map(member);
    const root = members[members.length - 1];
    const inner = new Set(members.slice(0, -1).map((m) => m.outputSlots[0]));
    const innerFree = members.map((m) => m.freeAfter.filter((x) => inner.has(x)));
    const step: FusedStep = {
      kind: "fused",
      op: root.op,
      program: { inputDTypes, ops, key: programKey(inputDTypes, ops) },
      members,
      innerFree,
      inputSlots: g.inputs,
      outputSlots: root.outputSlots,
      freeAfter: [],
      device: root.device,
    };
    replaced.set(g.members[g.members.length - 1], step);
    for (const m of g.members.slice(0, -1)) dropped.add(m);
  }
  const steps = plan.steps.flatMap((n, i) => (dropped.has(i) ? [] : [replaced.get(i) ?? n]));
  // Frees move with the reads: a group's inputs now live until its step (a node between a member and the
  // root may have been their last reader before). Intermediates are never stored, except when a group runs
  // its nodes one by one, which then frees what each of them freed in the unfused plan.
  return { ...plan, steps: withFrees(steps, keep) };
}
