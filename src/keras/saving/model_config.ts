/**
 * Models' architecture as Keras 2 writes it (tf.keras in TensorFlow 2.x):
 *  - Sequential: `{ name, layers: [InputLayer?, ...each layer's { className, config }] }`;
 *  - functional ("Functional"): `{ name, layers: [{ className, config, name, inboundNodes }], inputLayers,
 *    outputLayers }`, each inbound node a list of `[layerName, nodeIndex, tensorIndex, callKwargs]`, node
 *    indices counted among the nodes that belong to this model (Keras's node_conversion_map);
 *  - model.toJson(): `{"class_name", "config", "keras_version", "backend"}` with snake_case keys.
 * Installed into engine/model.ts by saving/install.ts when tf.keras loads.
 */
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import { defineFunction, kind, optional, param, signature } from "../../core/signature.js";
import { nodesOf } from "../engine/functional.js";
import { Input, InputLayer } from "../engine/input_layer.js";
import type { KerasNode, KerasTensor } from "../engine/keras_tensor.js";
import { Layer } from "../engine/layer.js";
import { Model } from "../engine/model.js";
import { Sequential } from "../engine/sequential.js";
import { deserialize, serialize, serializeConfig } from "../layers/serialization.js";
import { toCamelKeys, toSnakeKeys } from "./config_keys.js";
import type { CustomObjects } from "./generic.js";

/** The Keras version whose format tsflow writes (tf.keras of TensorFlow 2.11, Keras 2's last JSON layout). */
export const KERAS_VERSION = "2.11.0";

type NodeRef = [string, number, number];

/** Whether a model is one of the user's classes (its architecture is its code). */
function isSubclassed(model: Model): boolean {
  return !(model instanceof Sequential) && !model.isGraphNetwork;
}

function sequentialConfig(model: Sequential): Record<string, unknown> {
  const input = (model as unknown as { inputLayer: InputLayer | null }).inputLayer;
  const layers = [...(input ? [input] : []), ...model.layers].map((l) => serialize(l));
  return { name: model.name, layers };
}

function functionalConfig(model: Model): Record<string, unknown> {
  const inputNodes = model.inputs.map((t) => t.node as KerasNode);
  const member = new Set<KerasNode>([...inputNodes, ...model.graphNodes]);
  // A node's index among its layer's nodes that belong to this model.
  const index = (node: KerasNode): number =>
    nodesOf(node.layer)
      .filter((n) => member.has(n))
      .indexOf(node);
  const ref = (t: KerasTensor): NodeRef => {
    const node = t.node as KerasNode;
    return [(node.layer as Layer).name, index(node), node.outputs.indexOf(t)];
  };
  const layers = model.layers.map((layer) => {
    const { className, config } = serialize(layer);
    const inboundNodes = nodesOf(layer)
      .filter((n) => member.has(n) && n.inputs.length > 0)
      .map((n) => {
        const kwargs = serializeConfig({ ...n.options }, layer.name);
        for (const [k, v] of Object.entries(n.options)) {
          if (isKerasTensorLike(v)) throw new UnimplementedError(`Layer "${layer.name}": a call keyword holding a KerasTensor (${k}) cannot be saved yet`);
        }
        return n.inputs.map((t) => [...ref(t), kwargs]);
      });
    return { className, config, name: layer.name, inboundNodes };
  });
  return { name: model.name, trainable: model.trainable, layers, inputLayers: model.inputs.map(ref), outputLayers: model.outputs.map(ref) };
}

function isKerasTensorLike(v: unknown): boolean {
  const items = Array.isArray(v) ? v : [v];
  return items.some((x) => typeof x === "object" && x !== null && "node" in x && "shape" in x);
}

function getConfig(model: Model): Record<string, unknown> {
  if (model instanceof Sequential) return sequentialConfig(model);
  if (!isSubclassed(model)) return functionalConfig(model);
  // A subclassed model whose class writes getConfig may call super.getConfig() for the base keys.
  if (model.getConfig !== Model.prototype.getConfig) return { name: model.name, trainable: model.trainable, dtype: model.dtype };
  const cls = model.constructor.name;
  throw new UnimplementedError(
    `Model "${model.name}" of class ${cls} is a subclassed model: its architecture is its code, which cannot be saved as a config. ` +
      `Give ${cls} a getConfig() (and a static fromConfig(config) unless its constructor takes that config) and pass the class when loading: ` +
      `tf.keras.models.loadModel(path, { customObjects: { ${cls} } }); or save only the weights with model.saveWeights(path).`,
  );
}

function sequentialFromConfig(config: Record<string, unknown>, custom: CustomObjects): Sequential {
  const layers = (Array.isArray(config) ? config : config.layers) as unknown[];
  if (!Array.isArray(layers)) throw new InvalidArgumentError("Sequential.fromConfig: the config has no layers");
  const model = new Sequential({ name: config.name as string | undefined });
  for (const l of layers) model.add(deserialize(l as Record<string, unknown>, { customObjects: custom }));
  return model;
}

interface LayerEntry {
  className: string;
  config: Record<string, unknown>;
  name: string;
  inboundNodes: unknown[][];
}

function functionalFromConfig(cls: typeof Model, config: Record<string, unknown>, custom: CustomObjects): Model {
  const entries = (config.layers ?? []) as LayerEntry[];
  const layers = new Map<string, Layer>();
  const outputs = new Map<string, KerasTensor[]>();
  const key = (name: string, node: number) => `${name}#${node}`;
  for (const e of entries) {
    if (e.className === "InputLayer") {
      const c = e.config;
      const t = Input({ batchShape: (c.batchInputShape ?? c.batchShape) as (number | null)[], dtype: c.dtype as never, name: (c.name ?? e.name) as string });
      layers.set(e.name, t.node?.layer as Layer);
      outputs.set(key(e.name, 0), [t]);
    } else {
      layers.set(e.name, deserialize({ className: e.className, config: e.config }, { customObjects: custom }));
    }
  }
  // Each layer's nodes in order; a node waits until the layers it reads have made theirs (shared layers, any order).
  const next = new Map<string, number>(entries.map((e) => [e.name, e.className === "InputLayer" ? 1 : 0]));
  let progress = true;
  while (progress) {
    progress = false;
    for (const e of entries) {
      const nodes = e.className === "InputLayer" ? [] : (e.inboundNodes ?? []);
      let i = next.get(e.name) ?? 0;
      while (i < nodes.length) {
        const refs = nodes[i] as [string, number, number, Record<string, unknown>?][];
        const ins = refs.map(([n, ni, ti]) => outputs.get(key(n, ni))?.[ti]);
        if (ins.some((t) => t === undefined)) break;
        const kwargs = (refs[0]?.[3] ?? {}) as Record<string, unknown>;
        const layer = layers.get(e.name) as Layer;
        const out = layer((ins.length === 1 ? ins[0] : ins) as KerasTensor[], kwargs);
        outputs.set(key(e.name, i), Array.isArray(out) ? out : [out as KerasTensor]);
        i += 1;
        progress = true;
      }
      next.set(e.name, i);
    }
  }
  const pick = (refs: unknown, what: string): KerasTensor[] =>
    ((refs ?? []) as NodeRef[]).map(([n, ni, ti]) => {
      const t = outputs.get(key(n, ni))?.[ti];
      if (!t) throw new InvalidArgumentError(`Functional.fromConfig: ${what} ${n}[${ni}][${ti}] was never made (a node's inputs are missing from the config)`);
      return t;
    });
  const ins = pick(config.inputLayers, "input");
  const outs = pick(config.outputLayers, "output");
  const Ctor = cls as unknown as new (options: Record<string, unknown>) => Model;
  return new Ctor({
    inputs: ins.length === 1 ? ins[0] : ins,
    outputs: outs.length === 1 ? outs[0] : outs,
    name: config.name,
    trainable: config.trainable ?? true,
  });
}

function fromConfig(cls: object, config: Record<string, unknown>, custom: CustomObjects): Model {
  const c = toCamelKeys(config) as Record<string, unknown>;
  if (cls === Sequential || (cls as { prototype?: unknown }).prototype instanceof Sequential) return sequentialFromConfig(c, custom);
  if (cls === Model || "inputLayers" in c) return functionalFromConfig(cls as typeof Model, c, custom);
  throw new UnimplementedError(
    `${(cls as { name?: string }).name}.fromConfig: a subclassed model must define its own static fromConfig(config) (or a constructor taking its getConfig())`,
  );
}

function toJson(model: Model): string {
  const { className, config } = serialize(model);
  return JSON.stringify({ class_name: className, config: toSnakeKeys(config), keras_version: KERAS_VERSION, backend: "tensorflow" });
}

/** What engine/model.ts delegates to for configs (saving/install.ts installs it with the file formats). */
export const modelConfigHooks = { getConfig, fromConfig, toJson };

/** tf.keras.models.modelFromJson (Keras's model_from_json): the model a JSON architecture describes, with fresh weights. */
export const modelFromJson = defineFunction(
  signature(
    "keras.models.model_from_json",
    "The model (untrained, uncompiled) a JSON architecture from model.toJson() or Keras's to_json() describes.",
    [
      param("json", kind<string>("string"), "The JSON text."),
      optional(
        "customObjects",
        kind<CustomObjects>("Record<string, class | function>"),
        "User layers, models and functions by the name they were saved under.",
      ),
    ],
    {
      args: () => [
        '{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"units": 2, "batch_input_shape": [null, 3]}}]}}',
      ],
    },
  ),
  (json, customObjects): Model => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new InvalidArgumentError(`modelFromJson: not JSON: ${(e as Error).message}`);
    }
    const layer = deserialize(parsed as Record<string, unknown>, { customObjects: customObjects ?? {} });
    if (!(layer instanceof Model)) throw new InvalidArgumentError(`modelFromJson: the JSON describes a ${layer.constructor.name}, not a model`);
    return layer;
  },
);

/** tf.keras.models.cloneModel: a new model of the same architecture (new layers, freshly initialized weights). */
export const cloneModel = defineFunction(
  signature(
    "keras.models.clone_model",
    "A model of the same architecture with new layers and freshly initialized weights (copy them with setWeights).",
    [
      param("model", kind<Model>("Model"), "A Sequential or functional model."),
      optional("inputTensors", kind<unknown>("KerasTensor[]"), "Not supported: the clone gets new inputs."),
      optional("cloneFunction", kind<(layer: Layer) => Layer>("(layer) => Layer"), "Not supported: layers are cloned from their configs."),
    ],
    { skip: "returns a new model, which the both-ways test cannot compare; test/keras_saving_config.test.ts calls it" },
  ),
  (model, inputTensors, cloneFunction): Model => {
    if (inputTensors !== undefined || cloneFunction !== undefined) throw new UnimplementedError("cloneModel: inputTensors and cloneFunction are not supported");
    if (isSubclassed(model))
      throw new InvalidArgumentError(`cloneModel: model "${model.name}" is subclassed; only Sequential and functional models can be cloned`);
    const { className, config } = serialize(model);
    return deserialize({ className, config }) as Model;
  },
);
