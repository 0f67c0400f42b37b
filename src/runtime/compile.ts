import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import type { Backend } from "../core/backend.js";
import { LocalDevice, placeOp } from "../backends/placement.js";
import { debugOn, getSetting } from "../core/settings.js";
import type { GraphFunction } from "../graph/func_graph.js";
import { type BodyCompiler, controlFlowSteps } from "./control_flow.js";
import { foldGradientCasts } from "./cast_updates.js";
import { foldConstants } from "./constant_folding.js";
import { insertCopies } from "./copies.js";
import { epiloguePlan } from "./epilogue.js";
import { fusePlan } from "./fusion.js";
import { groupUpdates } from "./grouped_updates.js";
import { HOST_INPUT_OPS, OpStep, Plan, PlanStep, planToString, pruneAndOrder, RUNTIME_OPS, withFrees } from "./plan.js";

/** What a session tells plan compilation. */
export interface CompileOptions {
  readonly allowSoftPlacement: boolean;
  /**
   * ConfigProto.logDevicePlacement (or TSFLOW_DEBUG=placement): print each op's device the first time it is
   * placed (`logged` remembers).
   */
  readonly logDevicePlacement: boolean;
  readonly logged: Set<Operation>;
}

/** The settings a plan depends on (constant folding, fusion, epilogues, folded gradient casts, grouped updates): part of a plan-cache key. */
export function settingsKey(): string {
  return `${getSetting("constantFolding")}|${getSetting("fusion")}|${getSetting("epilogues")}|${getSetting("foldGradientCasts")}|${getSetting("groupUpdates")}`;
}

/**
 * Compiles one Session.run signature into a plan: the ops `fetches` and `targets` need (not looking behind
 * fed tensors) in topological order, each placed on a device (runtime/devices.ts), slots numbered, frees after
 * last readers; then the passes: cross-device copies (copies.ts), product epilogues (epilogue.ts), gradient
 * casts folded into updates (cast_updates.ts), elementwise fusion (fusion.ts) and grouped optimizer updates
 * (grouped_updates.ts), as the executor settings enable them. TSFLOW_DEBUG=plan prints each plan compiled.
 */
export function compilePlan(fetches: readonly SymbolicTensor[], targets: readonly Operation[], fed: readonly SymbolicTensor[], opts: CompileOptions): Plan {
  const place = (op: Operation): LocalDevice => {
    const { device, softPlaced } = placeOp(op.name, op.type, op.device, opts.allowSoftPlacement, RUNTIME_OPS.has(op.type));
    op.assignedDevice = device.name;
    if ((opts.logDevicePlacement || debugOn("placement")) && !opts.logged.has(op)) {
      opts.logged.add(op);
      console.log(`${op.name}: (${op.type}): ${device.name}${softPlaced ? ` (soft placement: requested ${op.device})` : ""}`);
    }
    return device;
  };
  // Function bodies of If and While nodes become plans of their own, compiled once with this one.
  const functions = new Map<GraphFunction, Map<boolean, Plan>>();
  const bodies: BodyCompiler = {
    function: (fn, effects) => {
      let byEffects = functions.get(fn);
      if (!byEffects) functions.set(fn, (byEffects = new Map()));
      let p = byEffects.get(effects);
      if (!p) byEffects.set(effects, (p = bodies.custom(fn.outputs, effects ? fn.targets : [], fn.inputs)));
      return p;
    },
    custom: (f, t, i) => runPasses(controlFlowSteps(orderedPlan(f, t, i, place), bodies)),
  };
  const plan = runPasses(controlFlowSteps(orderedPlan(fetches, targets, fed, place), bodies));
  if (debugOn("plan"))
    process.stderr.write(`tsflow plan (fusion ${getSetting("fusion")}, epilogues ${getSetting("epilogues") ? "on" : "off"}):\n${planToString(plan)}\n`);
  return plan;
}

/**
 * The plan before its passes: one op step per needed node in topological order, on the device `place`
 * chooses (tests pass their own placements), each slot freed after its last reader.
 */
export function orderedPlan(
  fetches: readonly SymbolicTensor[],
  targets: readonly Operation[],
  fed: readonly SymbolicTensor[],
  place: (op: Operation) => LocalDevice,
): Plan {
  const fedSet = new Set(fed);
  const order = pruneAndOrder(fetches, targets, fedSet);
  const slotOf = new Map<SymbolicTensor, number>();
  let numSlots = 0;
  const slot = (t: SymbolicTensor) => {
    let s = slotOf.get(t);
    if (s === undefined) slotOf.set(t, (s = numSlots++));
    return s;
  };
  const feedSlots = new Map<SymbolicTensor, number>();
  for (const t of fed) feedSlots.set(t, slot(t));
  const needed = new Set<SymbolicTensor>([...fetches]);
  for (const op of order) for (const t of op.inputs) needed.add(t);
  const steps: OpStep[] = order.map((op) => {
    const inputSlots = op.inputs.map(slot);
    const outputSlots = op.outputs.map((t) => (needed.has(t) && !fedSet.has(t) ? slot(t) : -1));
    return { kind: "op", op, inputSlots, outputSlots, freeAfter: [], device: place(op) };
  });
  const fetchSlots = fetches.map(slot);
  const keep = new Set([...fetchSlots, ...feedSlots.values()]);
  return {
    steps: withFrees(steps, keep),
    numSlots,
    feedSlots,
    fetchSlots,
    variables: order.filter((op) => op.type === "VariableV2"),
    captureOn: null,
  };
}

/** The passes over an ordered plan, as the executor settings enable them; then whether it can be recorded. */
export function runPasses(ordered: Plan): Plan {
  let plan = insertCopies(ordered);
  // Nodes computed from constants alone run once and are kept (runtime/constant_folding.ts); before fusion,
  // which would otherwise take them into kernels that run every step.
  if (getSetting("constantFolding")) plan = foldConstants(plan);
  // MatMul or Conv2D + bias (+ Relu) become one product where the device's backend offers it
  // (runtime/epilogue.ts); before fusion, which would otherwise take the add and the Relu into an elementwise kernel.
  if (getSetting("epilogues")) {
    plan = epiloguePlan(plan, (n) => typeof (n.op.type === "Conv2D" ? n.device.backend.conv2dEpilogue : n.device.backend.matmulEpilogue) === "function");
  }
  // A 16-bit gradient's Cast to float32 feeding only its update is read by the update itself where the device's
  // kernel takes it (runtime/cast_updates.ts); before fusion, which could otherwise take the Cast into a chain.
  if (getSetting("foldGradientCasts")) plan = foldGradientCasts(plan, (u, dtypes) => u.device.backend.takesNarrowGradient?.(u.op.type, dtypes) === true);
  // Elementwise chains become one kernel each where the setting enables their device (runtime/fusion.ts).
  const fusion = getSetting("fusion");
  if (fusion !== "off") plan = fusePlan(plan, (n) => fusion === "all" || n.device.backend.deviceType === "GPU");
  if (getSetting("groupUpdates")) plan = groupUpdates(plan);
  return { ...plan, captureOn: captureBackend(plan.steps) };
}

/**
 * The backend a plan may be recorded on (Backend.stepCapture): every step there, at least one that is not the
 * runtime's own, no random op (a replay would repeat its numbers), no host-side state check, no dataset read.
 */
function captureBackend(steps: readonly PlanStep[]): Backend | null {
  const first = steps[0]?.device.backend;
  if (!first?.stepCapture) return null;
  let computes = false;
  for (const s of steps) {
    if (s.device.backend !== first) return null;
    // A branch or loop reads its predicate on the host and runs a data-dependent number of steps.
    if (s.kind === "if" || s.kind === "while" || s.kind === "while_grad") return null;
    const ops = s.kind === "copy" ? [] : s.kind === "op" ? [s.op] : s.members.map((m) => m.op);
    for (const op of ops) {
      if (op.type === "IsVariableInitialized" || op.type === "Switch" || HOST_INPUT_OPS.has(op.type) || (op.def.stateful && "seed" in op.attrs)) return null;
      if (!RUNTIME_OPS.has(op.type)) computes = true;
    }
  }
  return computes ? first : null;
}
