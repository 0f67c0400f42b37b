import type { Operation } from "../graph/operation.js";
import { isRef, keptSlots, OpStep, Plan, PlanStep, UpdateGroupStep, withFrees } from "./plan.js";

/** Op types whose updates of one device run as one group (backends' runKernelGroup). */
const GROUPED: ReadonlySet<string> = new Set(["ApplyGradientDescent"]);

/**
 * Grouped optimizer updates: ApplyGradientDescent steps of one device whose backend groups them are held
 * back and become one "update_group" step (one launch for up to 32 variables where the backend groups them),
 * placed where the first later step that reads or writes variables runs (a stateful op, or a reader of a
 * variable reference), or at the end. Nothing between a member and the group's step touches variables, so
 * the group reads the same values the members would have read in their own places; all members' inputs are
 * read before any of them runs.
 */
export function groupUpdates(plan: Plan): Plan {
  const refSlots = new Set<number>();
  for (const s of plan.steps) {
    if (s.kind !== "op") continue;
    s.outputSlots.forEach((slot, j) => {
      if (slot >= 0 && isRef(s.op.outputs[j])) refSlots.add(slot);
    });
  }
  const steps: PlanStep[] = [];
  let group: OpStep[] = [];
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
    grouped = true;
  };
  for (const s of plan.steps) {
    if (s.kind === "op" && GROUPED.has(s.op.type) && s.device.backend.runKernelGroup && (group.length === 0 || group[0].device.backend === s.device.backend)) {
      group.push(s);
      continue;
    }
    const op: Operation | null = s.kind === "copy" || s.kind === "update_group" ? null : s.op;
    if (group.length > 0 && (op?.def.stateful || s.inputSlots.some((x) => refSlots.has(x)))) flush();
    steps.push(s);
  }
  flush();
  return grouped ? { ...plan, steps: withFrees(steps, keptSlots(plan)) } : plan;
}
