import { funcAttrName, type GraphFunction, getFunction } from "../graph/func_graph.js";
import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { type IfStep, type OpStep, type Plan, type PlanStep, pruneAndOrder, type WhileGradStep, type WhileStep } from "./plan.js";

/** How control flow compiles its bodies (runtime/compile.ts provides it). */
export interface BodyCompiler {
  /** A function's plan (cached per function): fed its inputs, fetching its outputs, running its targets when `effects`. */
  function(fn: GraphFunction, effects: boolean): Plan;
  /** A plan over a function's graph with other fetches or feeds (not cached). */
  custom(fetches: readonly SymbolicTensor[], targets: readonly Operation[], fed: readonly SymbolicTensor[]): Plan;
}

/** A differentiated While of a plan and what its WhileGrad needs kept besides the loop variables. */
interface KeptLoop {
  readonly grad: Operation;
  /**
   * Outputs of the body's random ops that the body's gradient reads: kept per iteration and fed to the
   * gradient, so that it differentiates at the numbers the forward pass drew (not recomputed ones).
   */
  readonly drawn: readonly SymbolicTensor[];
}

/**
 * Functional control flow in a plan: the op steps of If, While and WhileGrad nodes become steps of their
 * own kinds carrying the compiled plans of their function bodies (each body compiled once, when the plan is;
 * `compile` caches per function). The executor (runtime/executor.ts) runs a body's plan per call or per
 * iteration with the body's arguments fed, in the same step: the same variable overlay, constants and
 * random sources. A body plan is fed its argument placeholders and fetches its outputs; a body run for
 * its effect also runs its assignments (GraphFunction.targets).
 */
export function controlFlowSteps(plan: Plan, compiler: BodyCompiler): Plan {
  if (!plan.steps.some(isControlFlow)) return plan;
  const compile = (fn: GraphFunction, effects: boolean) => compiler.function(fn, effects);
  // While nodes whose WhileGrad runs later in this plan keep their loop states (and random draws) for it.
  const whiles = new Map<string, Operation>();
  const kept = new Map<Operation, KeptLoop>();
  for (const s of plan.steps) {
    if (!isControlFlow(s)) continue;
    if (s.op.type === "While" || s.op.type === "StatelessWhile") whiles.set(s.op.name, s.op);
    else if (s.op.type === "WhileGrad") {
      const fwd = whiles.get(s.op.attrs.forward as string);
      if (!fwd) continue;
      const gradFn = getFunction(s.op.graph, funcAttrName(s.op.attrs.body_grad));
      const drawn = pruneAndOrder(gradFn.outputs, [], new Set(gradFn.inputs))
        .filter((o) => o.def.stateful === true && "seed" in o.attrs)
        .flatMap((o) => o.outputs);
      kept.set(fwd, { grad: s.op, drawn });
    }
  }
  const forwardOf = new Map<Operation, Operation>([...kept].map(([fwd, k]) => [k.grad, fwd]));
  const steps = plan.steps.map((s): PlanStep => {
    if (!isControlFlow(s)) return s;
    const op = s.op;
    const fn = (attr: string) => getFunction(op.graph, funcAttrName(op.attrs[attr]));
    const slots = { inputSlots: s.inputSlots, outputSlots: s.outputSlots, freeAfter: s.freeAfter, device: s.device, op };
    switch (op.type) {
      case "If":
      case "StatelessIf":
        return { kind: "if", ...slots, branches: [compile(fn("then_branch"), true), compile(fn("else_branch"), true)] } satisfies IfStep;
      case "While":
      case "StatelessWhile": {
        const k = kept.get(op);
        const body = fn("body");
        return {
          kind: "while",
          ...slots,
          cond: compile(fn("cond"), true),
          body: k?.drawn.length ? compiler.custom([...body.outputs, ...k.drawn], body.targets, body.inputs) : compile(body, true),
          keepStates: k !== undefined,
          drawn: k?.drawn.length ?? 0,
        } satisfies WhileStep;
      }
      default: {
        const forward = forwardOf.get(op) ?? null;
        const drawn = forward ? kept.get(forward)!.drawn : [];
        const gradFn = fn("body_grad");
        return {
          kind: "while_grad",
          ...slots,
          cond: compile(fn("cond"), false),
          body: compile(fn("body"), false),
          bodyGrad: compile(gradFn, false),
          keptBodyGrad: drawn.length > 0 ? compiler.custom(gradFn.outputs, [], [...gradFn.inputs, ...drawn]) : null,
          forward,
        } satisfies WhileGradStep;
      }
    }
  });
  return { ...plan, steps };
}

const CONTROL_FLOW: ReadonlySet<string> = new Set(["If", "StatelessIf", "While", "StatelessWhile", "WhileGrad"]);

function isControlFlow(s: PlanStep): s is OpStep & { op: Operation } {
  return s.kind === "op" && CONTROL_FLOW.has(s.op.type);
}
