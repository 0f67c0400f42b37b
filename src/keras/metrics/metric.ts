/**
 * tf.keras.metrics.Metric: a stateful metric. Its state is non-trainable tf.Variables (addWeight) updated by
 * assign ops in updateState, so a traced train step updates them inside its graph; result() computes the
 * value from the state; resetState() zeroes it. Calling the object (`metric(yTrue, yPred, sampleWeight?)`)
 * updates the state and returns the result, as Python's __call__.
 */
import { inspect } from "node:util";
import { executingEagerly } from "../../core/context.js";
import type { DType } from "../../core/dtype.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { tidy } from "../../eager/memory.js";
import { getDefaultGraph } from "../../graph/default_graph.js";
import type { Graph } from "../../graph/graph.js";
import { Operation } from "../../graph/operation.js";
import { controlDependencies } from "../../graph/scopes.js";
import { SymbolicTensor } from "../../graph/tensor.js";
import { cast } from "../../ops/cast.js";
import { constant } from "../../ops/creation.js";
import { groupNamed } from "../../train/optimizer.js";
import { Variable } from "../../variables/variable.js";
import { callableInstance } from "../callable.js";
import { inStateScope } from "../optimizers/init_scope.js";

/** A metric is callable: updates its state with the batch and returns the result. */
export interface Metric {
  (yTrue: TensorLike, yPred?: TensorLike | null, sampleWeight?: TensorLike | null): Tensor;
}

let metricCount = new Map<string, number>();
/** Keras-style default names, made unique per process. */
function uniqueName(base: string): string {
  const n = metricCount.get(base) ?? 0;
  metricCount.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}
/** @public (tf.keras.backend.clearSession resets the default names; the engine calls it) */
export function resetMetricNames(): void {
  metricCount = new Map();
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface adds the call signature of the function the constructor returns
export class Metric {
  name!: string;
  dtype!: DType;
  /** Where the state lives: null for eager variables (also used by traced steps), else a TF1 graph. */
  protected home!: Graph | null;
  protected stateVariables!: Variable[];

  constructor(name?: string, dtype: DType = "float32") {
    const self = callableInstance<Metric>(new.target.prototype, (me, args) => me.invoke(...args));
    self.name = name ?? uniqueName(snake(new.target.name));
    self.dtype = dtype;
    self.home = executingEagerly() ? null : getDefaultGraph();
    self.stateVariables = [];
    // biome-ignore lint/correctness/noConstructorReturn: a callable instance is the point (Keras metrics are called like functions)
    return self;
  }

  /** A state variable of this metric (non-trainable, named `metric/name`), filled with `initialValue`. */
  addWeight(name: string, options: { shape?: number[]; dtype?: DType; initialValue?: number } = {}): Variable {
    const dtype = options.dtype ?? this.dtype;
    const shape = options.shape ?? [];
    const v = inStateScope(
      this.home,
      () => new Variable(() => constant(options.initialValue ?? 0, { dtype, shape }), { name: `${this.name}/${name}`, trainable: false, dtype }),
    );
    this.stateVariables.push(v);
    return v;
  }
  /** The state variables. */
  get variables(): Variable[] {
    return [...this.stateVariables];
  }
  get weights(): Variable[] {
    return this.variables;
  }

  /** Accumulates a batch into the state (subclasses implement it). Graph mode returns the update op. */
  updateState(..._args: unknown[]): Operation | null {
    throw new Error(`${this.constructor.name}.updateState is not implemented`);
  }
  /** The metric's value from the state. */
  result(): Tensor {
    throw new Error(`${this.constructor.name}.result is not implemented`);
  }
  /** Zeroes the state (between epochs). Graph mode returns the op doing it. */
  resetState(): Operation | null {
    const ops = this.stateVariables.map((v) => v.assign(constant(0, { dtype: v.dtype, shape: v.shape as number[] })));
    return groupNamed(ops, `${this.name}/reset`);
  }
  /** Keras 2's name of resetState. */
  resetStates(): Operation | null {
    return this.resetState();
  }

  /** Python's __call__: updateState, then the result (after the update, in a graph). */
  invoke(...args: unknown[]): Tensor {
    if (executingEagerly()) {
      tidy(() => {
        this.updateState(...args);
      });
      return this.result();
    }
    const update = this.updateState(...args);
    return controlDependencies(update ? [update] : [], () => this.result());
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, dtype: this.dtype };
  }
  [inspect.custom](): string {
    return `<${this.constructor.name} name=${this.name}>`;
  }
  toString(): string {
    return `<${this.constructor.name} name=${this.name}>`;
  }

  /** A state variable's current value as an op input: a fresh read in a TF1 graph (so that it follows control dependencies on the update), else the variable. */
  protected read(v: Variable): Tensor {
    return v.graph !== null ? (v.readValue() as Tensor) : cast(v, v.dtype);
  }

  /** Groups state updates into the metric's update op (graph) or null (eager). */
  protected grouped(updates: readonly (Tensor | Operation | Variable | null)[]): Operation | null {
    if (executingEagerly()) return null;
    return groupNamed(
      updates.filter((u) => u instanceof Operation || u instanceof SymbolicTensor),
      `${this.name}/update`,
    );
  }
}

function snake(className: string): string {
  return className
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}
