import type { Backend } from "../core/backend.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import type { LocalDevice } from "../backends/placement.js";
import { CopyStep, isRef, OpStep, Plan, PlanStep, withFrees, keptSlots } from "./plan.js";

/**
 * Cross-device copies as steps of the plan: where a step reads a value produced on another device, a "copy"
 * step moving it to the reader's device is inserted right before the first such reader, and every reader on
 * that device reads the copy's slot (one transfer per value and device, freed after its last reader).
 *
 * Values whose device is known only when the step runs are not copied here: fed values (they come from
 * wherever the caller made them) and variables (they live where their last assignment ran). The executor
 * moves those when it reads them, as it moves the result of a backend's own CPU fallback.
 */
export function insertCopies(plan: Plan): Plan {
  const producer = new Map<number, { device: LocalDevice; tensor: SymbolicTensor }>();
  for (const s of plan.steps) {
    if (s.kind !== "op") continue;
    s.outputSlots.forEach((slot, j) => {
      const t = s.op.outputs[j];
      if (slot >= 0 && !isRef(t)) producer.set(slot, { device: s.device, tensor: t });
    });
  }
  let numSlots = plan.numSlots;
  /** Per produced slot and reading device (its backend: placement makes a device record per op): the slot of its copy there. */
  const copies = new Map<number, Map<Backend, number>>();
  const steps: PlanStep[] = [];
  for (const s of plan.steps) {
    if (s.kind !== "op") {
      steps.push(s);
      continue;
    }
    let inputSlots: number[] | null = null;
    s.inputSlots.forEach((slot, i) => {
      const p = producer.get(slot);
      if (!p || p.device.backend === s.device.backend) return;
      let byDevice = copies.get(slot);
      if (!byDevice) copies.set(slot, (byDevice = new Map()));
      let copied = byDevice.get(s.device.backend);
      if (copied === undefined) {
        copied = numSlots++;
        byDevice.set(s.device.backend, copied);
        const copy: CopyStep = { kind: "copy", tensor: p.tensor, from: p.device, device: s.device, inputSlots: [slot], outputSlots: [copied], freeAfter: [] };
        steps.push(copy);
      }
      (inputSlots ??= [...s.inputSlots])[i] = copied;
    });
    steps.push(inputSlots ? ({ ...s, inputSlots } satisfies OpStep) : s);
  }
  if (numSlots === plan.numSlots) return plan;
  // Fetched values stay in the producer's slot: a fetch is read on the host, from any device.
  return { ...plan, steps: withFrees(steps, keptSlots(plan)), numSlots };
}
