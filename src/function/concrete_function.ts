import { inspect } from "node:util";
import type { Handle } from "../core/backend.js";
import { InvalidArgumentError } from "../core/errors.js";
import { shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { EagerTensor } from "../eager/tensor.js";
import type { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { convertToTensor } from "../ops/creation.js";
import { compilePlan, settingsKey } from "../runtime/compile.js";
import type { Executor } from "../runtime/executor.js";
import type { Plan } from "../runtime/plan.js";
import type { ResourceTable } from "../runtime/resources.js";
import { Variable } from "../variables/variable.js";
import type { TraceGraph } from "./trace_graph.js";
import { fits, InputSpec, isPlainObject, tensorLeaves } from "./structure.js";

/** Where a fetched output goes back in the structure the traced function returned. */
export class OutputSlot {
  constructor(readonly index: number) {}
}

/** What runs a tf.function's graphs: one executor and variable table per tf.function (runtime/). */
export interface Runner {
  readonly executor: Executor;
  readonly variables: ResourceTable<Handle>;
}

/** What a trace produced (function/trace.ts). */
export interface TraceResult {
  readonly graph: TraceGraph;
  readonly inputSpecs: readonly InputSpec[];
  readonly placeholders: readonly SymbolicTensor[];
  /** The structure the function was called with, tensors replaced by TensorSpecs. */
  readonly structuredInputSignature: unknown;
  /** The structure the function returned, fetched tensors replaced by OutputSlots. */
  readonly template: unknown;
  readonly outputs: readonly SymbolicTensor[];
  /** Ops that must run although nothing fetched needs them (variable writes, other stateful ops). */
  readonly targets: readonly Operation[];
}

/** A captured eager variable while the function runs: its node, and the buffer it shared on the last call. */
interface Binding {
  readonly variable: Variable;
  readonly op: Operation;
}

/**
 * One traced graph of a tf.function, callable (TensorFlow's ConcreteFunction): `cf(x)`, or `cf.callFlat([...])`
 * with the tensors in order. A call binds each captured eager variable's own buffer into the runner's
 * variable table (no copy), runs the precompiled plan with the tensors as feeds, and hands the variables the
 * buffers the step left them (an optimizer's update replaces a buffer; a CUDA-graph replay writes in place).
 */
export interface ConcreteFunction {
  // biome-ignore lint/style/useShorthandFunctionType: merged with the class of the same name below
  (...args: unknown[]): unknown;
}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface adds the call signature of the function the constructor returns
export class ConcreteFunction {
  graph!: TraceGraph;
  /** The placeholders of the tensor inputs, in order. */
  inputs!: readonly SymbolicTensor[];
  /** The fetched graph tensors, in the order of the structure returned. */
  outputs!: readonly SymbolicTensor[];
  /** The structure the traced function returned, with graph tensors (operations as null). */
  structuredOutputs!: unknown;
  /** The structure the function was traced with, tensors as TensorSpecs (the other values as given). */
  structuredInputSignature!: unknown;
  /** The dtypes and shapes (null dims accept any size) of the tensor inputs. */
  inputSpecs!: readonly InputSpec[];
  /** The eager variables the graph reads or writes. */
  variables!: readonly Variable[];
  protected trace!: TraceResult;
  protected runner!: Runner;
  protected bindings!: readonly Binding[];
  protected plan!: Plan | null;
  protected planKey!: string;
  protected feeds!: Map<SymbolicTensor, Handle>;

  constructor(trace: TraceResult, runner: Runner) {
    const self = ((...args: unknown[]) => self.call(...args)) as unknown as ConcreteFunction;
    delete (self as unknown as { name?: string }).name;
    delete (self as unknown as { length?: number }).length;
    Object.setPrototypeOf(self, new.target.prototype);
    self.trace = trace;
    self.runner = runner;
    self.graph = trace.graph;
    self.inputs = trace.placeholders;
    self.outputs = trace.outputs;
    self.inputSpecs = trace.inputSpecs;
    self.structuredInputSignature = trace.structuredInputSignature;
    self.structuredOutputs = rebuild(trace.template, trace.outputs);
    const captured = trace.graph.capturedVariables();
    self.bindings = captured.map(({ variable, nodes }) => ({ variable, op: nodes.op }));
    self.variables = captured.map((c) => c.variable);
    self.plan = null;
    self.planKey = "";
    self.feeds = new Map();
    // biome-ignore lint/correctness/noConstructorReturn: a callable instance is the point (TensorFlow's concrete functions are called like functions)
    return self;
  }

  get name(): string {
    return this.graph.name;
  }
  /** The ops run for their effect (variable writes, other stateful ops) although no output needs them. */
  get targets(): readonly Operation[] {
    return this.trace.targets;
  }
  /** The trainable variables among those the graph uses. */
  get trainableVariables(): Variable[] {
    return this.variables.filter((v) => v.trainable);
  }

  /** Calls with the structure the function was traced with (other values are ignored: they are in the graph). */
  call(...args: unknown[]): unknown {
    const leaves = tensorLeaves(args);
    return this.callFlat(leaves as EagerTensor[]);
  }

  /**
   * Runs the graph on `inputs` (one per tensor input, in order; JS values are converted to the input's
   * dtype) and returns the structure the function returned, with eager tensors.
   */
  callFlat(inputs: readonly (Tensor | unknown)[]): unknown {
    const specs = this.inputSpecs;
    if (inputs.length !== specs.length) {
      throw new InvalidArgumentError(`${this.name}: expected ${specs.length} tensor argument(s), got ${inputs.length}`);
    }
    let converted: EagerTensor[] | null = null;
    const feeds = this.feeds;
    const placeholders = this.inputs;
    for (let i = 0; i < specs.length; i++) {
      let t = inputs[i];
      if (!(t instanceof EagerTensor)) {
        t = convertToTensor(t as never, { dtype: specs[i].dtype });
        if (!(t instanceof EagerTensor)) throw new InvalidArgumentError(`${this.name}: argument ${i} is not an eager tensor`);
        (converted ??= []).push(t);
      }
      const e = t as EagerTensor;
      if (!fits(specs[i], e.dtype, e.shape)) {
        throw new InvalidArgumentError(
          `${this.name}: argument ${i} has dtype ${e.dtype} and shape ${shapeStr(e.shape)}, incompatible with the traced input ${specs[i].dtype} ${shapeStr(specs[i].shape)}`,
        );
      }
      feeds.set(placeholders[i], e.handle);
    }
    try {
      return this.run();
    } finally {
      if (converted) for (const t of converted) t.dispose();
    }
  }

  /** The hot path: feeds are set; bind the variables, run the plan, hand back the variables' buffers. */
  protected run(): unknown {
    const key = settingsKey();
    let plan = this.plan;
    if (plan === null || key !== this.planKey) {
      plan = compilePlan(this.outputs, this.trace.targets, this.inputs, { allowSoftPlacement: true, logDevicePlacement: false, logged: new Set() });
      this.plan = plan;
      this.planKey = key;
    }
    const table = this.runner.variables;
    const bindings = this.bindings;
    const shared: Handle[] = new Array(bindings.length);
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      const h = Variable.handleOf(b.variable);
      // Shared with the variable, not copied: whoever replaces it in the table releases it (executor commit,
      // CUDA-graph homes), and the variable then takes the new buffer below.
      if (table.get(b.op) !== h) table.set(b.op, h);
      shared[i] = h;
    }
    const handles = this.runner.executor.run(plan, this.feeds);
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      const now = table.get(b.op)!;
      if (now !== shared[i]) Variable.adoptHandle(b.variable, now);
    }
    const values = new Array<EagerTensor>(handles.length);
    for (let i = 0; i < handles.length; i++) values[i] = new EagerTensor(handles[i]);
    return rebuild(this.trace.template, values);
  }

  toString(): string {
    const specs = this.inputSpecs.map((s) => `${s.dtype}${shapeStr(s.shape)}`).join(", ");
    return `<ConcreteFunction ${this.name}(${specs}) at ${this.graph.getOperations().length} ops>`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** The returned structure with each OutputSlot replaced by its value. */
export function rebuild<T>(template: unknown, values: readonly T[]): unknown {
  if (template instanceof OutputSlot) return values[template.index];
  if (Array.isArray(template)) return template.map((t) => rebuild(t, values));
  if (isPlainObject(template)) {
    const out: Record<string, unknown> = {};
    for (const k in template) out[k] = rebuild(template[k], values);
    return out;
  }
  return template;
}
