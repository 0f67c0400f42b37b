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
import { body, defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
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
  constructor(
    readonly name: string,
    readonly originalNameScope: string,
    private readonly state: VariableScopeState,
  ) {}
  get reuse(): boolean | "auto" {
    return this.state.reuse;
  }
  reuseVariables(): void {
    this.state.reuse = true;
  }
}

/** What variableScope's body receives. */
type ScopeBody<T> = (scope: VariableScope) => T;

/** The options object of tf.variableScope (Python's keyword arguments, camelCased). */
export interface VariableScopeOptions {
  nameOrScope?: string | VariableScope | null;
  defaultName?: string | null;
  values?: readonly unknown[] | null;
  initializer?: Initializer | null;
  regularizer?: unknown;
  cachingDevice?: unknown;
  partitioner?: unknown;
  customGetter?: unknown;
  reuse?: boolean | "auto" | null;
  dtype?: DType | null;
  useResource?: boolean | null;
  constraint?: unknown;
  auxiliaryNameScope?: boolean;
  body?: ScopeBody<unknown>;
}

const unsupported = kind<unknown>("unknown");

/**
 * tf.compat.v1.variable_scope(name, { reuse }, fn): prefixes tf.getVariable names with `name/` and opens a
 * name scope of the same name; `reuse: true` (inherited by inner scopes) makes getVariable share. Python's
 * `with` block is the trailing callback.
 */
export const variableScope = defineFunction(
  signature(
    "compat.v1.variable_scope",
    "Prefixes tf.getVariable names with the scope's name and opens a name scope of the same name; the body receives the VariableScope.",
    [
      param(
        "nameOrScope",
        kind<string | VariableScope | null>("string | VariableScope | null"),
        "The scope's name, or a VariableScope to re-enter; null uses defaultName.",
      ),
      optional("defaultName", kind<string | null>("string | null"), "The name when nameOrScope is null (made unique)."),
      optional("values", kind<readonly unknown[] | null>("Tensor[] | null"), "The tensors passed to the ops (accepted, not used)."),
      optional(
        "initializer",
        kind<Initializer | null>("Initializer | null"),
        "Default initializer for variables in the scope (not implemented yet: must be null).",
      ),
      optional("regularizer", unsupported, "Not implemented yet: must be null."),
      optional("cachingDevice", unsupported, "Not implemented yet: must be null."),
      optional("partitioner", unsupported, "Not implemented yet: must be null."),
      optional("customGetter", unsupported, "Not implemented yet: must be null."),
      optional(
        "reuse",
        kind<boolean | "auto" | null>("boolean | tf.AUTO_REUSE | null"),
        "true: getVariable shares existing variables (inherited by inner scopes); AUTO_REUSE: creates or reuses; null inherits.",
      ),
      optional("dtype", kind<DType | null>("DType | null"), "Not implemented yet: must be null."),
      optional("useResource", kind<boolean | null>("boolean | null"), "Accepted and ignored (tsflow's variables are one kind)."),
      optional("constraint", unsupported, "Not implemented yet: must be null."),
      withDefault("auxiliaryNameScope", K.boolean, true, "Opens a name scope too (false: not implemented yet)."),
      body("body", kind<ScopeBody<unknown>>("(scope: VariableScope) => T"), "The `with` block: runs inside the scope; its result is returned."),
    ],
    {
      args: () => [
        "rnn",
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        true,
        undefined,
        undefined,
        undefined,
        true,
        (s: VariableScope) => [s.name, s.reuse],
      ],
      graph: true,
    },
  ),
  (
    name,
    defaultName,
    _values,
    initializer,
    regularizer,
    cachingDevice,
    partitioner,
    customGetter,
    reuseArg,
    dtype,
    _useResource,
    constraint,
    auxiliaryNameScope,
    fn,
  ) => {
    const unsupportedGiven = { initializer, regularizer, cachingDevice, partitioner, customGetter, dtype, constraint };
    for (const [k, v] of Object.entries(unsupportedGiven))
      if (v != null) throw new UnimplementedError(`tf.variableScope: ${k} is not implemented yet in tsflow`);
    if (!auxiliaryNameScope) throw new UnimplementedError("tf.variableScope: auxiliaryNameScope: false is not implemented yet in tsflow");
    const h = holder();
    const outer = h.variableScope;
    const base = name instanceof VariableScope ? name.name : (name ?? defaultName ?? "scope");
    const full = name instanceof VariableScope ? base : outer.name ? `${outer.name}/${base}` : base;
    const reuse = reuseArg === true || outer.reuse === true ? true : reuseArg === "auto" || outer.reuse === "auto" ? "auto" : false;
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
  },
) as unknown as {
  <T>(nameOrScope: string | VariableScope | null, fn: ScopeBody<T>): T;
  <T>(nameOrScope: string | VariableScope | null, options: Omit<VariableScopeOptions, "nameOrScope" | "body">, fn: ScopeBody<T>): T;
  <T>(options: VariableScopeOptions & { body: ScopeBody<T> }): T;
  <T>(options: VariableScopeOptions, fn: ScopeBody<T>): T;
};

export const getVariableScope = defineFunction(
  signature("compat.v1.get_variable_scope", "The current variable scope.", [], { args: () => [], graph: true }),
  (): VariableScope => {
    const h = holder();
    return new VariableScope(h.variableScope.name, "", h.variableScope);
  },
);

const notImplemented = (name: string, what: string) => optional(name, kind<unknown>("unknown"), `${what} Not implemented: must be absent.`);
const getVariableSignature = signature(
  "compat.v1.get_variable",
  "The variable scope/name: created (with the initializer) unless the scope reuses it.",
  [
    param("name", K.string, "The variable's name within the current variable scope."),
    optional("shape", kind<Shape>("Shape"), "The shape (required when an initializer, not a value, gives the initial value)."),
    optional("dtype", kind<DType>("DType"), "The dtype (default float32)."),
    optional(
      "initializer",
      kind<Initializer | TensorLike>("Initializer | TensorLike"),
      "An initializer (tf.zerosInitializer() ...) or an initial value; default: glorot uniform for floats.",
    ),
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
export const getVariable = defineFunction(
  getVariableSignature,
  (name, shape, dtypeArg, initializer, regularizer, trainable, collections, cachingDevice, partitioner, validateShape): Variable => {
    if (cachingDevice != null || partitioner != null)
      throw new UnimplementedError(`tf.getVariable: ${cachingDevice != null ? "caching_device" : "partitioner"} is not implemented yet in tsflow`);
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
        throw new InvalidArgumentError(
          `Trying to share variable ${full}, but specified shape ${shapeStr(a.shape)} and found shape ${shapeStr(existing.shape)}.`,
        );
      }
      if (a.dtype !== undefined && a.dtype !== existing.dtype) {
        throw new InvalidArgumentError(`Trying to share variable ${full}, but specified dtype ${a.dtype} and found dtype ${existing.dtype}.`);
      }
      return existing;
    }
    if (scope.reuse === true) {
      throw new InvalidArgumentError(
        `Variable ${full} does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?`,
      );
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
  },
);

/** A variable named exactly `full` whatever name scope is open (get_variable ignores name scopes). */
function createAbsolute(
  full: string,
  initial: TensorLike | (() => TensorLike),
  opts: { dtype?: DType; trainable?: boolean; collections?: string[]; validateShape?: boolean },
): Variable {
  if (executingEagerly())
    return withEagerNameScope(`${full.split("/").slice(0, -1).join("/")}/`, () => new Variable(initial, { ...opts, name: full.split("/").pop() }));
  const g = getDefaultGraph();
  return g.nameScope("", () => new Variable(initial, { ...opts, name: full }));
}

// ---------------------------------------------------------------- initializers of many variables

const SCOPE = optional("scope", K.string, "Keeps only variables whose name starts with this scope.");
const listExample = { args: () => ["s"], graph: true };

/** The variables of a collection of the default graph (none eagerly: eager variables live in no graph). */
function variablesOf(key: string, scope: string | undefined): Variable[] {
  return executingEagerly() ? [] : getDefaultGraph().getCollection<Variable>(key, scope);
}
export const globalVariables = defineFunction(
  signature("compat.v1.global_variables", "The default graph's global variables (none eagerly).", [SCOPE], listExample),
  (scope) => variablesOf(GraphKeys.GLOBAL_VARIABLES, scope),
);
export const trainableVariables = defineFunction(
  signature("compat.v1.trainable_variables", "The default graph's trainable variables (none eagerly).", [SCOPE], listExample),
  (scope) => variablesOf(GraphKeys.TRAINABLE_VARIABLES, scope),
);
export const localVariables = defineFunction(
  signature("compat.v1.local_variables", "The default graph's local variables (none eagerly).", [SCOPE], listExample),
  (scope) => variablesOf(GraphKeys.LOCAL_VARIABLES, scope),
);

/** tf.compat.v1.variables_initializer(var_list, name="init"): one op running every initializer. */
export const variablesInitializer = defineFunction(
  signature(
    "compat.v1.variables_initializer",
    "One op that runs the initializers of the given variables (null eagerly).",
    [param("varList", kind<readonly Variable[]>("Variable[]"), "The variables."), withDefault("name", K.string, "init", "The op's name.")],
    { graph: true, args: (tf: { Variable: new (v: number[]) => Variable }) => [[new tf.Variable([1, 2])], "init"] },
  ),
  (varList, name): Operation | null =>
    executingEagerly()
      ? null
      : group(
          varList.map((v) => v.initializer),
          { name },
        ),
);
export const globalVariablesInitializer = defineFunction(
  signature("compat.v1.global_variables_initializer", "One op that runs the initializers of every global variable (null eagerly).", [], {
    args: () => [],
    graph: true,
  }),
  (): Operation | null => variablesInitializer(globalVariables()),
);
export const localVariablesInitializer = defineFunction(
  signature("compat.v1.local_variables_initializer", "One op that runs the initializers of every local variable (null eagerly).", [], {
    args: () => [],
    graph: true,
  }),
  (): Operation | null => variablesInitializer(localVariables()),
);
