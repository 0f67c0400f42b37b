// The public declarations use Node's types (util.inspect.custom, NodeJS.ErrnoException): this reference,
// kept in dist/index.d.ts, brings @types/node (a peer dependency) into a user's program whatever its "types".
/// <reference types="node" preserve="true" />
/**
 * tsflow: TensorFlow for TypeScript. `import * as tf from "tsflowjs"`; names follow docs/CONVENTIONS.md's rules.
 */
import "./setup.js";

import * as errorsNs from "./core/errors.js";
import * as ew from "./ops/elementwise.js";
import * as red from "./ops/reduce.js";
import * as nnOps from "./ops/softmax.js";
import * as convOps from "./ops/conv.js";
import * as poolOps from "./ops/pool.js";
import * as normOps from "./ops/norm.js";
import * as imageOps from "./ops/image.js";
import * as creation from "./ops/creation.js";
import * as shapeOps from "./ops/shape.js";
import * as movement from "./ops/movement.js";
import * as rnd from "./ops/random.js";
import * as st from "./graph/state_ops.js";
import * as va from "./variables/assign.js";
import * as init from "./variables/initializers.js";
import * as scope from "./variables/scope.js";
import * as trainNs from "./saving/train_namespace.js";
import { extractSubGraph, importGraphDef, parseGraphDef, removeTrainingNodes } from "./graph/graph_util.js";
import { convertVariablesToConstants } from "./saving/freeze.js";
import { cast } from "./ops/cast.js";
import { matmul } from "./ops/matmul.js";
import { checkNumerics } from "./ops/debug.js";
import { Graph, GraphKeys } from "./graph/graph.js";
import { getDefaultGraph as defaultGraph, resetDefaultGraph as resetGraph } from "./graph/default_graph.js";
import { addToCollection, addToCollections, controlDependencies, device, getCollection, getCollectionRef, nameScope } from "./graph/scopes.js";
import { ConfigProto, InteractiveSession, RunMetadata, RunOptions, Session, getDefaultSession as defaultSession } from "./runtime/session.js";
import { disableEagerExecution, enableEagerExecution } from "./eager/mode.js";
import { setLogDevicePlacement } from "./config.js";
import { executingEagerly as eagerNow } from "./core/context.js";
import { defineFunction, signature } from "./core/signature.js";
import { gradients } from "./graph/gradients.js";
import { notImplemented } from "./core/unimplemented.js";
import { condV1, whileLoopV1 } from "./ops/control_flow.js";
import { compatV1Data } from "./data/compat_v1.js";
import { compatV1Summary, summary, summaryMessage } from "./summary/index.js";
import { compatV1SavedModel, savedModel } from "./saving/saved_model/index.js";

// ---- the process's state (declared here: the modules' own functions stay undecorated for internal callers)
const executingEagerly = defineFunction(
  signature("executing_eagerly", "Whether ops run eagerly now (false inside a graph's asDefault() or after disableEagerExecution).", [], { args: () => [] }),
  eagerNow,
);
const getDefaultGraph = defineFunction(
  signature("compat.v1.get_default_graph", "The graph ops are added to now (the global default graph outside any asDefault()).", [], {
    args: () => [],
    graph: true,
  }),
  defaultGraph,
);
const resetDefaultGraph = defineFunction(
  signature("compat.v1.reset_default_graph", "Replaces the global default graph with a new empty one (must be called outside any asDefault()).", [], {
    args: () => [],
  }),
  resetGraph,
);
const getDefaultSession = defineFunction(
  signature("compat.v1.get_default_session", "The session made default by session.asDefault() or an InteractiveSession, or null.", [], { args: () => [] }),
  defaultSession,
);

// ---- core types
export { Tensor } from "./core/tensor.js";
export { EagerTensor } from "./eager/tensor.js";
export { SymbolicTensor } from "./graph/tensor.js";
export { Operation } from "./graph/operation.js";
export { Variable } from "./variables/variable.js";
export { GradientTape } from "./eager/tape.js";
export type { DType } from "./core/dtype.js";
export type { Shape, Dim } from "./core/shape.js";
export type { TensorLike } from "./core/tensor_like.js";
export type { SessionOptions } from "./runtime/session.js";
export { ConfigProto, RunOptions, RunMetadata };
export { Graph, GraphKeys, Session, InteractiveSession, getDefaultSession, getDefaultGraph, resetDefaultGraph };
export { nameScope, controlDependencies, device, addToCollection, addToCollections, getCollection, getCollectionRef };
export { executingEagerly, gradients };
/** TensorFlow 1.x's tf.enable_eager_execution() (eager is already the default, as in TensorFlow 2). */
export { enableEagerExecution };
export { tidy, keep, dispose, memory } from "./eager/memory.js";

export const float32 = "float32";
export const float64 = "float64";
export const float16 = "float16";
export const bfloat16 = "bfloat16";
export const int32 = "int32";
export const int64 = "int64";
export const uint8 = "uint8";
export const bool = "bool";
export const string = "string";

export const errors = errorsNs;

// ---- ops
export const {
  add,
  subtract,
  multiply,
  divide,
  realdiv,
  floordiv,
  floormod,
  pow,
  maximum,
  minimum,
  squaredDifference,
  equal,
  notEqual,
  less,
  lessEqual,
  greater,
  greaterEqual,
  logicalAnd,
  logicalOr,
  logicalNot,
  logicalXor,
  negative,
  abs,
  square,
  sqrt,
  rsqrt,
  exp,
  log,
  log1p,
  expm1,
  sin,
  cos,
  tanh,
  sigmoid,
  sign,
  reciprocal,
  floor,
  ceil,
  round,
} = ew;
export const sub = ew.subtract;
export const mul = ew.multiply;
export const div = ew.divide;
export const truediv = ew.divide;
export const floorDiv = ew.floordiv;
export const mod = ew.floormod;
export const neg = ew.negative;
export const { reduceSum, reduceMean, reduceMax, reduceMin, reduceProd, reduceAny, reduceAll, addN } = red;
export const { argmax, argmin, cumsum, cumprod } = red;
export const { constant, convertToTensor, zeros, ones, zerosLike, onesLike, fill, where, eye } = creation;
export const { shape, size, rank } = shapeOps;
export const {
  reshape,
  identity,
  stopGradient,
  transpose,
  squeeze,
  concat,
  stack,
  unstack,
  split,
  slice,
  stridedSlice,
  gather,
  tile,
  pad,
  oneHot,
  range,
  linspace,
  reverse,
  unsortedSegmentSum,
  dynamicStitch,
  invertPermutation,
} = movement;
export const linSpace = movement.linspace; // TensorFlow 1's tf.lin_space
export const { randomNormal, randomUniform, truncatedNormal, setRandomSeed } = rnd;
export const { placeholder, placeholderWithDefault, noOp, group } = st;
export const { assign, assignAdd, assignSub } = va;
export { cast, matmul };
export const {
  variableScope,
  getVariable,
  getVariableScope,
  globalVariables,
  trainableVariables,
  localVariables,
  variablesInitializer,
  globalVariablesInitializer,
  localVariablesInitializer,
  AUTO_REUSE,
  VariableScope,
} = scope;
export const {
  zerosInitializer,
  onesInitializer,
  constantInitializer,
  randomNormalInitializer,
  truncatedNormalInitializer,
  randomUniformInitializer,
  glorotUniformInitializer,
  glorotNormalInitializer,
} = init;
export const initializeAllVariables = scope.globalVariablesInitializer;

// ---- namespaces
import { app, flags } from "./app/flags.js";
export { app, flags }; // tf.app.flags, tf.app.run; tf.flags is tf.app.flags
export const math = {
  add,
  subtract,
  multiply,
  divide,
  truediv,
  realdiv,
  floordiv,
  floormod,
  mod,
  pow,
  maximum,
  minimum,
  squaredDifference,
  equal,
  notEqual,
  less,
  lessEqual,
  greater,
  greaterEqual,
  logicalAnd,
  logicalOr,
  logicalNot,
  logicalXor,
  negative,
  abs,
  square,
  sqrt,
  rsqrt,
  exp,
  log,
  log1p,
  expm1,
  sin,
  cos,
  tanh,
  sigmoid,
  sign,
  reciprocal,
  floor,
  ceil,
  round,
  isNan: ew.isNan,
  isInf: ew.isInf,
  isFinite: ew.isFinite,
  reduceSum,
  reduceMean,
  reduceMax,
  reduceMin,
  reduceProd,
  reduceAny,
  reduceAll,
  addN,
  unsortedSegmentSum,
  invertPermutation,
  argmax,
  argmin,
  cumsum,
  cumprod,
  softplus: ew.softplus,
  softmax: nnOps.softmax,
  logSoftmax: nnOps.logSoftmax,
};
export const nn = {
  relu: ew.relu,
  relu6: ew.relu6,
  elu: ew.elu,
  softplus: ew.softplus,
  sigmoid,
  tanh,
  softmax: nnOps.softmax,
  logSoftmax: nnOps.logSoftmax,
  l2Loss: nnOps.l2Loss,
  sigmoidCrossEntropyWithLogits: nnOps.sigmoidCrossEntropyWithLogits,
  softmaxCrossEntropyWithLogits: nnOps.softmaxCrossEntropyWithLogits,
  softmaxCrossEntropyWithLogitsV2: nnOps.softmaxCrossEntropyWithLogits,
  sparseSoftmaxCrossEntropyWithLogits: nnOps.sparseSoftmaxCrossEntropyWithLogits,
  conv2d: convOps.conv2d,
  conv2dTranspose: convOps.conv2dTranspose,
  depthwiseConv2d: convOps.depthwiseConv2d,
  conv1d: convOps.conv1d,
  maxPool: poolOps.maxPool,
  avgPool: poolOps.avgPool,
  maxPool1d: poolOps.maxPool1d,
  avgPool1d: poolOps.avgPool1d,
  maxPool2d: poolOps.maxPool2d,
  avgPool2d: poolOps.avgPool2d,
  maxPool3d: poolOps.maxPool3d,
  avgPool3d: poolOps.avgPool3d,
  maxPoolWithArgmax: poolOps.maxPoolWithArgmax,
  biasAdd: normOps.biasAdd,
  dropout: normOps.dropout,
  moments: normOps.moments,
  batchNormalization: normOps.batchNormalization,
  fusedBatchNorm: normOps.fusedBatchNorm,
  localResponseNormalization: normOps.localResponseNormalization,
  lrn: normOps.lrn,
  l2Normalize: normOps.l2Normalize,
};
export const image = {
  resizeBilinear: imageOps.resizeBilinear,
  resizeNearestNeighbor: imageOps.resizeNearestNeighbor,
};
export const random = {
  normal: randomNormal,
  uniform: randomUniform,
  truncatedNormal,
  setSeed: rnd.setSeed,
};
export const initializers = {
  zeros: zerosInitializer,
  ones: onesInitializer,
  constant: constantInitializer,
  randomNormal: randomNormalInitializer,
  truncatedNormal: truncatedNormalInitializer,
  randomUniform: randomUniformInitializer,
  glorotUniform: glorotUniformInitializer,
  glorotNormal: glorotNormalInitializer,
};
export const debugging = { checkNumerics, setLogDevicePlacement };
export const linalg = { matmul };
/** tf.config: devices (CPU, GPUs through the cuda backend), placement and GPU memory settings. */
export { config } from "./config.js";
/** tf.sysconfig: how this tsflow was built and which CPU kernels it runs. */
export { sysconfig } from "./config.js";

/** tf.train: a namespace, so that `tf.train.AdamOptimizer` is a type as well as a class. */
export * as train from "./saving/train_namespace.js";

/** tf.cond and tf.while_loop: eager JavaScript control flow, or If/While nodes with function bodies in a graph. */
export { cond, whileLoop } from "./ops/control_flow.js";

/** tf.graph_util: GraphDefs imported into the default graph, parsed, frozen. */
export const graphUtil = { importGraphDef, parseGraphDef, convertVariablesToConstants, extractSubGraph, removeTrainingNodes };
/** tf.import_graph_def (TensorFlow 1's top-level name). */
export { importGraphDef };

export const compat = {
  v1: {
    where: creation.whereV1,
    train: trainNs,
    Graph,
    Session,
    InteractiveSession,
    GraphKeys,
    ConfigProto,
    RunOptions,
    RunMetadata,
    placeholder,
    placeholderWithDefault,
    getVariable,
    variableScope,
    getVariableScope,
    globalVariablesInitializer,
    variablesInitializer,
    localVariablesInitializer,
    globalVariables,
    trainableVariables,
    localVariables,
    getDefaultGraph,
    resetDefaultGraph,
    getDefaultSession,
    gradients,
    disableEagerExecution,
    enableEagerExecution,
    setRandomSeed,
    AUTO_REUSE,
    nameScope,
    addToCollection,
    getCollection,
    initializeAllVariables: scope.globalVariablesInitializer,
    randomNormal,
    randomUniform,
    truncatedNormal,
    app,
    flags,
    linSpace: movement.linspace,
    unsortedSegmentSum,
    assign,
    assignAdd,
    assignSub,
    cond: condV1,
    whileLoop: whileLoopV1,
    data: compatV1Data,
    summary: compatV1Summary,
    Summary: summaryMessage,
    graphUtil,
    importGraphDef,
    savedModel: compatV1SavedModel,
  },
};
/** tf.saved_model: SavedModels written and loaded (TensorFlow 2), with its tag and signature constants. */
export { savedModel };

/** tf.summary: TensorBoard event files (writing and reading). */
export { summary };
/** tf.profiler (start/stop/Profile/Trace) and tensorflow.python.client.timeline (Chrome traces of step stats). */
export { profiler, python } from "./profiler/index.js";
export * as keras from "./keras/index.js";
/** tf.data: input pipelines. */
export * as data from "./data/index.js";

// ---- modules that do not exist yet: touching one raises tf.errors.UnimplementedError naming the member.
// When a module lands, replace its line with the real export.
const MEANWHILE = "Meanwhile, build models from tf.Variable, tf.matmul and tf.nn ops, and train them with tf.train optimizers";
export const io = notImplemented("tf.io");
export const estimator = notImplemented("tf.estimator", MEANWHILE);
export const lite = notImplemented("tf.lite");
export const distribute = notImplemented("tf.distribute");
export const featureColumn = notImplemented("tf.feature_column");
export const strings = notImplemented("tf.strings");
export const sparse = notImplemented("tf.sparse");
export const ragged = notImplemented("tf.ragged");
export const signal = notImplemented("tf.signal");
export const audio = notImplemented("tf.audio");
export const lookup = notImplemented("tf.lookup");
export const queue = notImplemented("tf.queue");
export const sets = notImplemented("tf.sets");
export const bitwise = notImplemented("tf.bitwise");
export const autograph = notImplemented("tf.autograph");
export const nest = notImplemented("tf.nest");
export const tpu = notImplemented("tf.tpu");
export const xla = notImplemented("tf.xla");
export const quantization = notImplemented("tf.quantization");
export const rawOps = notImplemented("tf.raw_ops");
export { tfFunction as function, TensorSpec } from "./function/index.js";
export const Module = notImplemented("tf.Module");
export const TensorArray = notImplemented("tf.TensorArray");
export const SparseTensor = notImplemented("tf.SparseTensor");
export const RaggedTensor = notImplemented("tf.RaggedTensor");
