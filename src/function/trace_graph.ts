import { InvalidArgumentError } from "../core/errors.js";
import type { Handle } from "../core/backend.js";
import { EagerTensor } from "../eager/tensor.js";
import { CapturedVariableNodes, FunctionGraphHooks, Graph } from "../graph/graph.js";
import type { Operation } from "../graph/operation.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { pruneAndOrder } from "../runtime/plan.js";
import { compilePlan } from "../runtime/compile.js";
import { Executor } from "../runtime/executor.js";
import { ResourceStore, ResourceTable, VARIABLE } from "../runtime/resources.js";
import { Variable } from "../variables/variable.js";

/**
 * The graph a tf.function traces into (TensorFlow's TraceGraph): an ordinary tf.Graph whose hooks let the
 * layers below take part. Eager variables used in it become VariableV2 nodes bound to the variables' own
 * buffers when the function runs (variables/variable.ts builds them); tf.Variables created in it are made
 * eagerly, on the first trace only; and it lifts out of itself for TensorFlow's init_scope
 * (core/context.ts liftOutOfFunctionGraphs reads `isFunctionGraph`).
 */
export class TraceGraph extends Graph {
  readonly name: string;
  constructor(name: string, firstTrace: boolean) {
    super();
    this.name = name;
    this.functionHooks = new TraceHooks(this, name, firstTrace);
  }
  /** The eager variables the trace used, each with its VariableV2 node, in first-use order. */
  capturedVariables(): { variable: Variable; nodes: CapturedVariableNodes }[] {
    return [...this.functionHooks!.captures].map(([v, nodes]) => ({ variable: v as Variable, nodes }));
  }
}

class TraceHooks implements FunctionGraphHooks {
  readonly captures = new Map<object, CapturedVariableNodes>();
  constructor(
    readonly graph: TraceGraph,
    readonly fnName: string,
    readonly firstTrace: boolean,
  ) {}

  variableCreated(name: string): void {
    if (this.firstTrace) return;
    // TensorFlow's ValueError, word for word.
    throw new InvalidArgumentError(
      `tf.function only supports singleton tf.Variables created on the first call. Make sure the tf.Variable is only created once or created outside tf.function (variable "${name}" created while retracing ${this.fnName}). See https://www.tensorflow.org/guide/function#creating_tfvariables for more information.`,
    );
  }

  /** Runs the part of the trace `t` needs, once, reading the captured variables' current values. */
  evaluate(t: SymbolicTensor): EagerTensor {
    const needed = pruneAndOrder([t], [], new Set());
    const input = needed.find((op) => op.type === "Placeholder");
    if (input) {
      throw new InvalidArgumentError(
        `tf.function ${this.fnName}: the initial value of a tf.Variable created inside the function depends on the function's input ${input.outputs[0].name}; compute it from values known at trace time, or create the variable outside the function`,
      );
    }
    const store = new ResourceStore();
    const exec = new Executor(store);
    const table = store.table(VARIABLE);
    bindCaptured(this.graph.capturedVariables(), table);
    try {
      const plan = compilePlan([t], [], [], { allowSoftPlacement: true, logDevicePlacement: false, logged: new Set() });
      return new EagerTensor(exec.run(plan, new Map())[0]);
    } finally {
      exec.close();
      // The store is dropped, not cleared: its entries are the variables' own buffers.
      exec.releaseConstants();
    }
  }
}

/** A captured variable as a running function sees it: its VariableV2 node and the buffer shared last. */
export interface BoundVariable {
  readonly variable: Variable;
  readonly op: Operation;
  handle: Handle;
}

/** Puts each captured variable's own buffer in `table` (shared, not copied); returns what was bound. */
export function bindCaptured(list: readonly { variable: Variable; nodes: CapturedVariableNodes }[], table: ResourceTable<Handle>): BoundVariable[] {
  return list.map(({ variable, nodes }) => {
    const handle = Variable.handleOf(variable);
    table.set(nodes.op, handle);
    return { variable, op: nodes.op, handle };
  });
}
