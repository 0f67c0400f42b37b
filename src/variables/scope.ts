import { checkDType, DType } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { isFullyDefined, Shape, shapesCompatible, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { executingEagerly } from "../core/context.js";
import { withEagerNameScope } from "../core/eager_name_scope.js";
import type { TensorLike } from "../core/tensor_like.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { GraphKeys, VariableScopeState } from "../graph/graph.js";
import type { Operation } from "../graph/operation.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { group } from "../graph/state_ops.js";
import { defaultInitializer, Initializer } from "./initializers.js";
import { Variable } from "./variable.js";

/** tf.compat.v1.AUTO_REUSE: get_variable creates a variable if absent and reuses it otherwise. */
export const AUTO_REUSE = "auto" as const;

interface ScopeHolder {
  variableScope: VariableScopeState;
  readonly variableStore: Map<string, unknown>;
}
const eagerHolder: ScopeHolder = { variableScope: { name: "", reuse: false }, variableStore: new Map() };
function holder(): ScopeHolder {
  return executingEagerly() ? eagerHolder : getDefaultGraph();
}

/** What a variable_scope callback receives: its name, and reuseVariables() as in TensorFlow. */
export class VariableScope {
  constructor(readonly name: string, readonly originalNameScope: string, private readonly state: VariableScopeState) {}
  get reuse(): boolean | "auto" {
    return this.state.reuse;
  }
  reuseVariables(): void {
    this.state.reuse = true;
  }
}

export interface VariableScopeOptions {
  reuse?: boolean | "auto" | null;
  defaultName?: string;
  initializer?: Initializer;
}

/**
 * tf.compat.v1.variable_scope(name, { reuse }, fn): prefixes tf.getVariable names with `name/` and opens a
 * name scope of the same name; `reuse: true` (inherited by inner scopes) makes getVariable share.
 */
export function variableScope<T>(name: string | VariableScope | null, ...rest: [opts: VariableScopeOptions, fn: (scope: VariableScope) => T] | [fn: (scope: VariableScope) => T]): T {
  const opts = rest.length === 2 ? rest[0] : {};
  const fn = rest.length === 2 ? rest[1] : rest[0];
  const h = holder();
  const outer = h.variableScope;
  const base = name instanceof VariableScope ? name.name : name ?? opts.defaultName ?? "scope";
  const full = name instanceof VariableScope ? base : outer.name ? `${outer.name}/${base}` : base;
  const reuse = opts.reuse === true || outer.reuse === true ? true : opts.reuse === "auto" || outer.reuse === "auto" ? "auto" : false;
  const state: VariableScopeState = { name: full, reuse };
  const run = (ns: string) => {
    h.variableScope = state;
    try {
      return fn(new VariableScope(full, ns, state));
    } finally {
      h.variableScope = outer;
    }
  };
  if (executingEagerly()) return withEagerNameScope(base, run);
  const g = getDefaultGraph();
  return g.nameScope(name instanceof VariableScope ? `${name.originalNameScope}` || `${full}/` : base, run);
}

export function getVariableScope(): VariableScope {
  const h = holder();
  return new VariableScope(h.variableScope.name, "", h.variableScope);
}

const notImplemented = (name: string, what: string) => optional(name, kind<unknown>("unknown"), `${what} Not implemented: must be absent.`);
const getVariableSignature = signature(
  "compat.v1.get_variable",
  "The variable scope/name: created (with the initializer) unless the scope reuses it.",
  [
    param("name", K.string, "The variable's name within the current variable scope."),
    optional("shape", kind<Shape>("Shape"), "The shape (required when an initializer, not a value, gives the initial value)."),
    optional("dtype", kind<DType>("DType"), "The dtype (default float32)."),
    optional("initializer", kind<Initializer | TensorLike>("Initializer | TensorLike"), "An initializer (tf.zerosInitializer() ...) or an initial value; default: glorot uniform for floats."),
    optional("regularizer", kind<(v: Tensor) => Tensor>("(v: Tensor) => Tensor"), "Its result is added to REGULARIZATION_LOSSES (graph mode)."),
    optional("trainable", K.boolean, "Whether optimizers update it by default (default true)."),
    optional("collections", kind<string[]>("string[]"), "The graph collections it joins (default [GLOBAL_VARIABLES])."),
    notImplemented("cachingDevice", "Where reads are cached."),
    notImplemented("partitioner", "How the variable is split into shards."),
    optional("validateShape", K.boolean, "Require the initial value's shape to be known (default true)."),
  ],
  { args: () => ["v", [2, 3], "float32"], graph: true, skip: "a second call with the same name raises (as in TensorFlow): tested in graph_session.test.ts" },
);

function isInitializer(x: unknown): x is Initializer {
  return typeof x === "object" && x !== null && typeof (x as { call?: unknown }).call === "function" && !("dtype" in x);
}

/**
 * tf.compat.v1.get_variable(name, shape, dtype, initializer, regularizer, trainable, collections, ...):
 * creates `scope/name`, or returns the existing one when the scope reuses. Creating one that exists, or
 * reusing one that does not, is an error with TensorFlow's message.
 */
export const getVariable = defineFunction(getVariableSignature, (name, shape, dtypeArg, initializer, regularizer, trainable, collections, cachingDevice, partitioner, validateShape): Variable => {
  if (cachingDevice != null || partitioner != null) throw new UnimplementedError(`tf.getVariable: ${cachingDevice != null ? "caching_device" : "partitioner"} is not implemented yet in tsflow`);
  const a = { shape, dtype: dtypeArg, initializer, regularizer, trainable, collections, validateShape };
  const h = holder();
  const scope = h.variableScope;
  const full = scope.name ? `${scope.name}/${name}` : name;
  const existing = h.variableStore.get(full) as Variable | undefined;
  if (existing) {
    if (scope.reuse === false) {
      throw new InvalidArgumentError(`Variable ${full} already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?`);
    }
    if (a.shape !== undefined && !shapesCompatible(existing.shape, a.shape)) {
      throw new InvalidArgumentError(`Trying to share variable ${full}, but specified shape ${shapeStr(a.shape)} and found shape ${shapeStr(existing.shape)}.`);
    }
    if (a.dtype !== undefined && a.dtype !== existing.dtype) {
      throw new InvalidArgumentError(`Trying to share variable ${full}, but specified dtype ${a.dtype} and found dtype ${existing.dtype}.`);
    }
    return existing;
  }
  if (scope.reuse === true) {
    throw new InvalidArgumentError(`Variable ${full} does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?`);
  }
  const dtype = checkDType(a.dtype ?? "float32", "tf.getVariable");
  const init = a.initializer;
  let initial: TensorLike | (() => TensorLike);
  if (init === undefined || isInitializer(init)) {
    if (!isFullyDefined(a.shape ?? null)) {
      throw new InvalidArgumentError(`Shape of a new variable (${full}) must be fully defined, but instead was ${shapeStr(a.shape ?? null)}.`);
    }
    const initializer = (init as Initializer | undefined) ?? defaultInitializer(dtype);
    initial = () => initializer.call(a.shape as number[], dtype);
  } else {
    initial = init as TensorLike;
  }
  const v = createAbsolute(full, initial, { dtype, trainable: a.trainable, collections: a.collections, validateShape: a.validateShape });
  h.variableStore.set(full, v);
  if (a.regularizer && !executingEagerly()) {
    const loss = getDefaultGraph().nameScope(`${full}/Regularizer/`, () => a.regularizer!(v.value()));
    getDefaultGraph().addToCollection(GraphKeys.REGULARIZATION_LOSSES, loss);
  }
  return v;
});

/** A variable named exactly `full` whatever name scope is open (get_variable ignores name scopes). */
function createAbsolute(full: string, initial: TensorLike | (() => TensorLike), opts: { dtype?: DType; trainable?: boolean; collections?: string[]; validateShape?: boolean }): Variable {
  if (executingEagerly()) return withEagerNameScope(`${full.split("/").slice(0, -1).join("/")}/`, () => new Variable(initial, { ...opts, name: full.split("/").pop() }));
  const g = getDefaultGraph();
  return g.nameScope("", () => new Variable(initial, { ...opts, name: full }));
}

// ---------------------------------------------------------------- initializers of many variables

export function globalVariables(scope?: string): Variable[] {
  return executingEagerly() ? [] : getDefaultGraph().getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES, scope);
}
export function trainableVariables(scope?: string): Variable[] {
  return executingEagerly() ? [] : getDefaultGraph().getCollection<Variable>(GraphKeys.TRAINABLE_VARIABLES, scope);
}
export function localVariables(scope?: string): Variable[] {
  return executingEagerly() ? [] : getDefaultGraph().getCollection<Variable>(GraphKeys.LOCAL_VARIABLES, scope);
}

/** tf.compat.v1.variables_initializer(var_list, name="init"): one op running every initializer. */
export const variablesInitializer = defineFunction(
  signature(
    "compat.v1.variables_initializer",
    "One op that runs the initializers of the given variables (null eagerly).",
    [param("varList", kind<readonly Variable[]>("Variable[]"), "The variables."), withDefault("name", K.string, "init", "The op's name.")],
    { graph: true, args: (tf: { Variable: new (v: number[]) => Variable }) => [[new tf.Variable([1, 2])], "init"] },
  ),
  (varList, name): Operation | null => (executingEagerly() ? null : group(varList.map((v) => v.initializer), { name })),
);
export function globalVariablesInitializer(): Operation | null {
  return variablesInitializer(globalVariables());
}
export function localVariablesInitializer(): Operation | null {
  return variablesInitializer(localVariables());
}
