import { isInteger } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { executingEagerly } from "../core/context.js";
import { withEagerNameScope } from "../core/eager_name_scope.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { Graph, GraphKeys } from "../graph/graph.js";
import type { Session } from "../runtime/session.js";
import { zerosInitializer } from "../variables/initializers.js";
import { getVariable } from "../variables/scope.js";
import { Variable } from "../variables/variable.js";
import { defineFunction, kind, optional, param, signature } from "../core/signature.js";
import { logError } from "../core/logging.js";

const GRAPH = optional("graph", kind<Graph | null>("Graph | null"), "The graph (default: the default graph; eagerly, the process's global step).");
const inNewGraph = { args: (tf: { Graph: new () => Graph }) => [new tf.Graph()] };

/**
 * Eagerly there are no graph collections; the one global step made eagerly is remembered here so that
 * getOrCreateGlobalStep() keeps returning it.
 */
let eagerGlobalStep: Variable | null = null;

/** tf.compat.v1.train.assert_global_step: the global step must be an integer scalar variable. */
export const assertGlobalStep = defineFunction(
  signature(
    "compat.v1.train.assert_global_step",
    "Raises unless the global step is an integer scalar variable.",
    [param("globalStepTensor", kind<Variable>("Variable"), "The global step.")],
    {
      graph: true,
      args: (tf: { Variable: new (v: number, o: object) => Variable }) => [new tf.Variable(0, { dtype: "int64", trainable: false })],
    },
  ),
  assertGlobalStepImpl,
);
function assertGlobalStepImpl(globalStep: Variable): void {
  if (!(globalStep instanceof Variable)) {
    throw new InvalidArgumentError(`Existing "global_step" must be a Variable, got ${String(globalStep)}`);
  }
  if (!isInteger(globalStep.dtype)) {
    throw new InvalidArgumentError(`Existing "global_step" does not have integer type: ${globalStep.dtype}`);
  }
  const shape = globalStep.shape;
  if (shape !== null && shape.length !== 0) {
    throw new InvalidArgumentError(`Existing "global_step" is not scalar: [${shape.join(",")}]`);
  }
}

/**
 * tf.compat.v1.train.get_global_step(graph): the variable in the GLOBAL_STEP collection, else the variable
 * named "global_step", else null. More than one in the collection is an error TensorFlow only logs; here
 * too null is returned.
 */
export const getGlobalStep = defineFunction(
  signature("compat.v1.train.get_global_step", "The global step variable, or null.", [GRAPH], inNewGraph),
  getGlobalStepImpl,
);
function getGlobalStepImpl(graph: Graph | null | undefined): Variable | null {
  if (!graph && executingEagerly()) return eagerGlobalStep;
  const g = graph ?? getDefaultGraph();
  const inCollection = g.getCollection<Variable>(GraphKeys.GLOBAL_STEP);
  let gs: Variable | null = null;
  if (inCollection.length === 1) gs = inCollection[0];
  else if (inCollection.length > 1) {
    logError("Multiple tensors in global_step collection.");
    return null;
  } else {
    gs = g.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES).find((v) => v instanceof Variable && v.name === "global_step:0") ?? null;
    if (!gs) return null;
  }
  assertGlobalStepImpl(gs);
  return gs;
}

/**
 * tf.compat.v1.train.create_global_step(graph): a scalar int64 variable "global_step", initialized to 0,
 * non-trainable, in the GLOBAL_VARIABLES and GLOBAL_STEP collections. It must not exist yet.
 */
export const createGlobalStep = defineFunction(
  signature(
    "compat.v1.train.create_global_step",
    'Creates the global step: a scalar int64 variable "global_step", initialized to 0, non-trainable.',
    [GRAPH],
    inNewGraph,
  ),
  createGlobalStepImpl,
);
function createGlobalStepImpl(graph: Graph | null | undefined): Variable {
  if (getGlobalStepImpl(graph) !== null) throw new InvalidArgumentError('"global_step" already exists.');
  if (!graph && executingEagerly()) {
    eagerGlobalStep = withEagerNameScope("/", () => new Variable(0, { name: GraphKeys.GLOBAL_STEP, dtype: "int64", trainable: false }));
    return eagerGlobalStep;
  }
  const g = graph ?? getDefaultGraph();
  // As in TensorFlow: get_variable at the root of the graph's name scopes.
  return g.asDefault(() =>
    g.nameScope("", () =>
      getVariable(GraphKeys.GLOBAL_STEP, {
        shape: [],
        dtype: "int64",
        initializer: zerosInitializer(),
        trainable: false,
        collections: [GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
      }),
    ),
  );
}

/** tf.compat.v1.train.get_or_create_global_step(graph). */
export const getOrCreateGlobalStep = defineFunction(
  signature("compat.v1.train.get_or_create_global_step", "The global step, created first if absent.", [GRAPH], inNewGraph),
  (graph): Variable => getGlobalStepImpl(graph) ?? createGlobalStepImpl(graph),
);

/** tf.compat.v1.train.global_step(sess, global_step_tensor): the step's value as a number. */
export const globalStep = defineFunction(
  signature(
    "compat.v1.train.global_step",
    "The global step's value as a number.",
    [param("sess", kind<Session>("Session"), "The session holding the variable."), param("globalStepTensor", kind<Variable>("Variable"), "The global step.")],
    {
      graph: true,
      args: (tf: { Variable: new (v: number) => Variable; Session: new () => Session }) => {
        const v = new tf.Variable(5);
        const sess = new tf.Session();
        sess.run(v.initializer);
        return [sess, v];
      },
    },
  ),
  (sess, globalStepTensor): number => {
    const v = sess.run(globalStepTensor.value());
    return Number((v as { arraySync(): unknown }).arraySync());
  },
);
