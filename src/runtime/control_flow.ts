import { funcAttrName, type GraphFunction, getFunction } from "../graph/func_graph.js";
import type { Operation } from "../graph/operation.js";
import type { IfStep, OpStep, Plan, PlanStep, WhileGradStep, WhileStep } from "./plan.js";

/**
 * Functional control flow in a plan: the op steps of If, While and WhileGrad nodes become steps of their
 * own kinds carrying the compiled plans of their function bodies (each body compiled once, when the plan is;
 * `compile` caches per function). The executor (runtime/executor.ts) runs a body's plan per call or per
 * iteration with the body's arguments fed, in the same step: the same variable overlay, constants and
 * random sources. A body plan is fed its argument placeholders and fetches its outputs; a body run for
 * its effect also runs its assignments (GraphFunction.targets).
 */
export function controlFlowSteps(plan: Plan, compile: (fn: GraphFunction, effects: boolean) => Plan): Plan {
  if (!plan.steps.some(isControlFlow)) return plan;
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
      case "StatelessWhile":
        return { kind: "while", ...slots, cond: compile(fn("cond"), true), body: compile(fn("body"), true) } satisfies WhileStep;
      default:
        return {
          kind: "while_grad",
          ...slots,
          cond: compile(fn("cond"), false),
          body: compile(fn("body"), false),
          bodyGrad: compile(fn("body_grad"), false),
        } satisfies WhileGradStep;
    }
  });
  return { ...plan, steps };
}

const CONTROL_FLOW: ReadonlySet<string> = new Set(["If", "StatelessIf", "While", "StatelessWhile", "WhileGrad"]);

function isControlFlow(s: PlanStep): s is OpStep & { op: Operation } {
  return s.kind === "op" && CONTROL_FLOW.has(s.op.type);
}
