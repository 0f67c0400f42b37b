/**
 * model.save(dir) and tf.keras.models.loadModel(dir): the whole model as a directory laid out as TF 2.x Keras
 * writes its SavedModel format:
 *  - `keras_metadata.pb`: a SavedMetadata (tensorflow/python/keras/protobuf/saved_metadata.proto) with one node
 *    per Keras object, numbered in breadth-first order of the object graph as a SavedObjectGraph numbers them
 *    (root 0), `node_path` "root", "root.layer_with_weights-0", ...; identifier `_tf_keras_sequential`,
 *    `_tf_keras_network` (functional), `_tf_keras_layer`, `_tf_keras_input_layer`, `_tf_keras_rnn_layer`;
 *    metadata JSON: the root's holds `model_config` (the architecture, as model.toJson) and `training_config`
 *    (loss, metrics, loss_weights, weighted_metrics, optimizer_config);
 *  - `variables/variables.index` and `.data-00000-of-00001`: the object-based checkpoint of the model (its
 *    weights and, with includeOptimizer, the optimizer's iterations, hyperparameters and slots).
 * plus `saved_model.pb`, written by tf.saved_model.save (the model's forward pass as serving_default), so that
 * the directory is also a SavedModel. It is written beside its destination and renamed into place, so a
 * crash leaves the old model.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, UnimplementedError } from "../../core/errors.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../../core/signature.js";
import { VersionDefSchema } from "../../proto/tensorflow/core/framework/versions_pb.js";
import { SavedMetadataSchema, SavedObjectSchema } from "../../proto/tensorflow/python/keras/protobuf/saved_metadata_pb.js";
import { readObjectGraphCheckpoint, writeObjectGraphCheckpoint } from "../../saving/checkpoint.js";
import { save as savedModelSave } from "../../saving/saved_model/save.js";
import { breadthFirst } from "../../saving/object_graph.js";
import { trackableChildren } from "../../saving/trackable.js";
import { InputLayer } from "../engine/input_layer.js";
import { Layer } from "../engine/layer.js";
import { Model, type SaveOptions } from "../engine/model.js";
import { Sequential } from "../engine/sequential.js";
import { deserialize, serialize } from "../layers/serialization.js";
import * as lossesModule from "../losses/index.js";
import * as metricsModule from "../metrics/index.js";
import { deserialize as deserializeOptimizer, Optimizer, serialize as serializeOptimizer } from "../optimizers/index.js";
import { toCamelKeys, toSnakeKeys } from "./config_keys.js";
import { classesOf, type CustomObjects, deserializeObject, hasConfig, isSerialized } from "./generic.js";
import { KERAS_VERSION } from "./model_config.js";

const METADATA_FILE = "keras_metadata.pb";
const VARIABLES = path.join("variables", "variables");
/** The VersionDef Keras stamps on each metadata node. */
const VERSION = { producer: 2, minConsumer: 1 };

function checkModelFormat(filepath: string, saveFormat: string | undefined, who: string): void {
  if (/\.keras$/i.test(filepath)) {
    throw new UnimplementedError(
      `${who}("${filepath}"): Keras 3's .keras zip (config.json + model.weights.h5) is not supported; tsflow ${who === "loadModel" ? "reads" : "writes"} ` +
        "TF 2.x Keras's SavedModel-style directory (a path without an extension: keras_metadata.pb + variables/), or use saveWeights/loadWeights for a TensorFlow checkpoint",
    );
  }
  if (/\.(h5|hdf5)$/i.test(filepath) || (saveFormat !== undefined && saveFormat !== "tf")) {
    throw new UnimplementedError(
      `${who}("${filepath}"): HDF5 is not supported; tsflow ${who === "loadModel" ? "reads" : "writes"} TF 2.x Keras's SavedModel-style directory (saveFormat "tf", a path without .h5)`,
    );
  }
}

/** The root of the object graph that is saved: the model, without its optimizer unless asked for. */
function savedRoot(model: Model, includeOptimizer: boolean): object {
  if (includeOptimizer) return model;
  return { _trackableChildren: () => trackableChildren(model).filter(([name]) => name !== "optimizer") };
}

function identifierOf(obj: object): string | null {
  if (obj instanceof Sequential) return "_tf_keras_sequential";
  if (obj instanceof Model) return obj.isGraphNetwork ? "_tf_keras_network" : "_tf_keras_model";
  if (obj instanceof InputLayer) return "_tf_keras_input_layer";
  if (obj instanceof Layer) return "stateSize" in obj && "cell" in obj ? "_tf_keras_rnn_layer" : "_tf_keras_layer";
  return null;
}

/** A compile() argument as Keras's training_config writes it: names stay names, objects become { className, config }. */
function serializeCompileArg(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "number") return v;
  if (Array.isArray(v)) return v.map(serializeCompileArg);
  if (hasConfig(v)) return { className: (v as object).constructor.name, config: v.getConfig() };
  if (typeof v === "function") {
    if (v.name) return v.name;
    throw new UnimplementedError(
      "model.save: an anonymous loss or metric function cannot be saved; give it a name (and pass it in customObjects when loading)",
    );
  }
  if (typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, serializeCompileArg(x)]));
  throw new UnimplementedError(`model.save: cannot save the compile argument ${String(v)}`);
}

const LOSS_CLASSES = classesOf(lossesModule, lossesModule.Loss);
const METRIC_CLASSES = classesOf(metricsModule, metricsModule.Metric);

function deserializeCompileArg(v: unknown, classes: typeof LOSS_CLASSES, custom: CustomObjects, kind: string): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") return typeof custom[v] === "function" ? custom[v] : v;
  if (isSerialized(v)) return deserializeObject(v, classes, custom, kind);
  if (Array.isArray(v)) return v.map((x) => deserializeCompileArg(x, classes, custom, kind));
  if (typeof v === "object")
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, deserializeCompileArg(x, classes, custom, kind)]));
  return v;
}

function layerMetadata(layer: Layer): Record<string, unknown> {
  const { className, config } = serialize(layer);
  return {
    name: layer.name,
    trainable: layer.trainable,
    expectsTrainingArg: true,
    dtype: layer.dtype,
    batchInputShape: layer.batchInputShape ?? null,
    stateful: Boolean((layer as { stateful?: boolean }).stateful),
    mustRestoreFromConfig: false,
    className,
    config,
  };
}

function modelMetadata(model: Model, includeOptimizer: boolean): Record<string, unknown> {
  const base = layerMetadata(model);
  const meta: Record<string, unknown> = {
    ...base,
    isGraphNetwork: model.isGraphNetwork,
    kerasVersion: KERAS_VERSION,
    backend: "tensorflow",
    modelConfig: { className: base.className, config: base.config },
  };
  const compiled = model.getCompileConfig();
  if (compiled && model.optimizer instanceof Optimizer) {
    meta.trainingConfig = {
      loss: serializeCompileArg(compiled.loss),
      metrics: serializeCompileArg(compiled.metrics),
      weightedMetrics: serializeCompileArg(compiled.weightedMetrics),
      lossWeights: serializeCompileArg(compiled.lossWeights),
      optimizerConfig: serializeOptimizer(model.optimizer),
      // Keras records whether the optimizer's state is in the variables.
      ...(includeOptimizer ? {} : { optimizerStateSaved: false }),
    };
  }
  return meta;
}

/**
 * keras_metadata.pb: one node per Keras object, numbered as the object graph of the checkpoint (breadth first
 * from the root, saving/object_graph.ts), which is also the SavedObjectGraph's numbering.
 */
function metadataBytes(root: object, model: Model, includeOptimizer: boolean): Uint8Array {
  const { objects, paths } = breadthFirst(root);
  const nodes = [];
  for (const [id, obj] of objects.entries()) {
    const target = id === 0 ? model : obj;
    const identifier = identifierOf(target);
    if (!identifier) continue;
    const metadata = target === model ? modelMetadata(model, includeOptimizer) : layerMetadata(target as Layer);
    nodes.push(
      create(SavedObjectSchema, {
        version: create(VersionDefSchema, VERSION),
        nodeId: id,
        nodePath: ["root", ...(paths.get(obj) ?? [])].join("."),
        identifier,
        metadata: JSON.stringify(toSnakeKeys(metadata)),
      }),
    );
  }
  return toBinary(SavedMetadataSchema, create(SavedMetadataSchema, { nodes }));
}

/** Writes the model directory (beside its destination first, then renamed into place). */
export function save(model: Model, filepath: string, options: SaveOptions): void {
  checkModelFormat(filepath, options.saveFormat, "save");
  if (fs.existsSync(filepath) && !options.overwrite) throw new AlreadyExistsError(`model.save: ${filepath} exists and overwrite is false`);
  const root = savedRoot(model, options.includeOptimizer);
  const meta = metadataBytes(root, model, options.includeOptimizer);
  const dest = path.resolve(filepath);
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    // A real SavedModel (saved_model.pb with the forward pass as serving_default, variables/, assets/), to which
    // Keras's metadata is added; a model that cannot be traced (not built yet) gets the variables alone.
    if (model.built && model.isGraphNetwork) savedModelSave(root, tmp);
    else {
      fs.mkdirSync(path.join(tmp, "variables"), { recursive: true });
      writeObjectGraphCheckpoint(root, path.join(tmp, VARIABLES));
    }
    const metaPath = path.join(tmp, METADATA_FILE);
    fs.writeFileSync(metaPath, meta);
    const fd = fs.openSync(metaPath, "r");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    // Swap: the old directory is removed only once the new one is complete.
    const old = `${dest}.old-${process.pid}`;
    if (fs.existsSync(dest)) fs.renameSync(dest, old);
    fs.renameSync(tmp, dest);
    fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The root node's metadata from keras_metadata.pb. */
function readRootMetadata(dir: string): Record<string, unknown> {
  const file = path.join(dir, METADATA_FILE);
  if (!fs.existsSync(file)) {
    if (fs.existsSync(path.join(dir, "saved_model.pb"))) {
      throw new UnimplementedError(`loadModel: ${dir} is a SavedModel without ${METADATA_FILE} (not a Keras model); load it with tf.saved_model.load`);
    }
    throw new NotFoundError(`loadModel: no file or directory found at ${dir} (expected ${file}, written by model.save)`);
  }
  let metadata: ReturnType<typeof fromBinary<typeof SavedMetadataSchema>>;
  try {
    metadata = fromBinary(SavedMetadataSchema, fs.readFileSync(file));
  } catch (e) {
    throw new InvalidArgumentError(`loadModel: ${file} is not a SavedMetadata protocol buffer: ${(e as Error).message}`);
  }
  const root = metadata.nodes.find((n) => n.nodeId === 0 || n.nodePath === "root");
  if (!root) throw new InvalidArgumentError(`loadModel: ${file} has no root node`);
  try {
    return toCamelKeys(JSON.parse(root.metadata)) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgumentError(`loadModel: the root metadata in ${file} is not JSON: ${(e as Error).message}`);
  }
}

/** tf.keras.models.loadModel: the model model.save wrote: architecture, weights, optimizer state and compile settings. */
export const loadModel = defineFunction(
  signature(
    "keras.models.load_model",
    "The model saved by model.save (TF 2.x Keras's directory: keras_metadata.pb + variables/), with its weights, compile settings and optimizer state.",
    [
      param("filepath", K.string, "The directory model.save wrote."),
      optional(
        "customObjects",
        kind<CustomObjects>("Record<string, class | function>"),
        "User layers, models, losses, metrics and functions by the name they were saved under.",
      ),
      withDefault("compile", K.boolean, true, "Compile the model with the saved loss, metrics and optimizer (whose state is restored)."),
      optional("options", kind<unknown>("unknown"), "Accepted and ignored (tf.saved_model.LoadOptions)."),
    ],
    { skip: "reads a directory; test/keras_saving.test.ts calls it both ways" },
  ),
  (filepath, customObjects, compile): Model => {
    checkModelFormat(filepath, undefined, "loadModel");
    const custom = customObjects ?? {};
    const meta = readRootMetadata(filepath);
    const modelConfig = meta.modelConfig as Record<string, unknown> | undefined;
    if (!modelConfig)
      throw new UnimplementedError(
        `loadModel: ${filepath} holds no model_config (a subclassed model); build the model and call loadWeights on ${path.join(filepath, VARIABLES)}`,
      );
    const model = deserialize(modelConfig, { customObjects: custom });
    if (!(model instanceof Model)) throw new InvalidArgumentError(`loadModel: ${filepath} describes a ${model.constructor.name}, not a model`);
    const training = meta.trainingConfig as Record<string, unknown> | undefined;
    if (compile && training) {
      model.compile({
        optimizer: deserializeOptimizer(training.optimizerConfig as Record<string, unknown>, { customObjects: custom }),
        loss: deserializeCompileArg(training.loss, LOSS_CLASSES, custom, "loss"),
        metrics: deserializeCompileArg(training.metrics, METRIC_CLASSES, custom, "metric"),
        lossWeights: deserializeCompileArg(training.lossWeights, {}, custom, "loss weight"),
        weightedMetrics: deserializeCompileArg(training.weightedMetrics, METRIC_CLASSES, custom, "metric"),
      });
    }
    // The optimizer's slots are made on its first step: their values wait for them (deferred restoration).
    const status = readObjectGraphCheckpoint(model, path.join(filepath, VARIABLES));
    if (model.weights.length > 0) status.assertNontrivialMatch();
    return model;
  },
);
