import type { Operation } from "../graph/operation.js";
import { isRef, keptSlots, OpStep, Plan, PlanStep, stepOps, UpdateGroupStep, withFrees } from "./plan.js";

/**
 * Op types whose updates of one device run as one group: per type, one launch where the backend groups
 * them (runKernelGroup; the assignments group as their AddV2 / Sub).
 */
const GROUPED: ReadonlySet<string> = new Set(["ApplyGradientDescent", "ApplyMomentum", "AssignAdd", "AssignSub"]);

/** Ops that only name a variable: they read and write none. */
const VARIABLE_SOURCES: ReadonlySet<string> = new Set(["VariableV2"]);

/**
 * Grouped variable updates: the ApplyGradientDescent, ApplyMomentum, AssignAdd and AssignSub steps of one device whose
 * backend groups updates are held back and become one "update_group" step, placed before the first later
 * step that could see the difference, or at the end:
 * - a step that reads one of the group's variables (through any reference to it), or a reference whose
 *   variable is unknown; a second update of a variable reads it too, and starts a new group (the group reads
 *   all its inputs before any member runs: one update per variable);
 * - a stateful op that is not a member and not a mere variable source (it may touch state in ways a plan
 *   cannot see), a branch or a loop;
 * - a member of another device.
 * Nothing between a member's own place and the group's reads or writes its variable, so the group computes
 * what the members would have computed in their own places. Control edges order effects on state, and every
 * step that could observe state ends the group, so a step waiting on a member may pass it (Keras's iteration
 * counter after the updates, and the constants made under the same control scope). Plans with TensorFlow 1
 * branches (Switch) are left alone: one dead member would make the whole group dead. Moving a Keras step's
 * metric and iteration counters behind the optimizer's updates makes them one group: in a captured CUDA
 * graph, two launches instead of four.
 */
export function groupUpdates(plan: Plan): Plan {
  if (plan.steps.some((s) => s.kind === "op" && s.op.type === "Switch")) return plan;
  const root = refRoots(plan);
  const steps: PlanStep[] = [];
  let group: OpStep[] = [];
  let written = new Set<Operation>();
  let grouped = false;
  const flush = () => {
    if (group.length === 0) return;
    const g: UpdateGroupStep = {
      kind: "update_group",
      members: group,
      inputSlots: group.flatMap((m) => m.inputSlots),
      outputSlots: group.flatMap((m) => m.outputSlots),
      freeAfter: [],
      device: group[0].device,
    };
    steps.push(g);
    group = [];
    written = new Set();
    grouped = true;
  };
  const readsGroupState = (s: PlanStep) =>
    s.inputSlots.some((x) => {
      const v = root.get(x);
      return v === null || (v !== undefined && written.has(v));
    });
  for (const s of plan.steps) {
    // The variables a candidate writes (an update's variable and slots): all known, or it does not join.
    const vs =
      s.kind === "op" && GROUPED.has(s.op.type) && s.device.backend.runKernelGroup ? (s.op.def.refInputs ?? [0]).map((i) => root.get(s.inputSlots[i])) : [];
    const joins = vs.length > 0 && vs.every((v) => v !== undefined && v !== null);
    if (group.length > 0) {
      const conflicts = joins ? group[0].device.backend !== s.device.backend : touchesState(s);
      if (conflicts || readsGroupState(s)) flush();
    }
    if (joins) {
      group.push(s as OpStep);
      for (const v of vs) written.add(v!);
    } else steps.push(s);
  }
  flush();
  return grouped ? { ...plan, steps: withFrees(steps, keptSlots(plan)) } : plan;
}

/** Whether a step may touch state outside what references show: a stateful op of its own, a branch, a loop. */
function touchesState(s: PlanStep): boolean {
  if (s.kind === "copy") return false;
  if (s.kind === "if" || s.kind === "while" || s.kind === "while_grad") return true;
  return stepOps(s).some((op) => op.def.stateful === true && !VARIABLE_SOURCES.has(op.type));
}

/**
 * Per slot holding a variable reference, the variable it refers to: a variable source's own op, an
 * assignment's or training op's variable input followed back; null where the plan cannot tell.
 */
function refRoots(plan: Plan): Map<number, Operation | null> {
  const root = new Map<number, Operation | null>();
  for (const s of plan.steps) {
    // Only op steps produce references (variables, assignments, training ops); the passes before this one
    // group elementwise nodes and products only.
    if (s.kind !== "op") continue;
    s.outputSlots.forEach((slot, j) => {
      if (slot < 0 || !isRef(s.op.outputs[j])) return;
      if (VARIABLE_SOURCES.has(s.op.type)) root.set(slot, s.op);
      else {
        const refInput = s.op.def.refInputs?.[j] ?? 0;
        root.set(slot, root.get(s.inputSlots[refInput]) ?? null);
      }
    });
  }
  return root;
}
