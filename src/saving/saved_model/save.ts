/**
 * tf.saved_model.save (TensorFlow 2): writes `obj` (an object with tf.Variables, tf.functions and other
 * objects as properties, a Keras model, ...) as a SavedModel directory TensorFlow reads:
 *  - saved_model.pb: one MetaGraphDef tagged "serve" with the function library (a FunctionDef per concrete
 *    function: every trace of the tf.functions found on the objects, one wrapper per signature), the
 *    SavedObjectGraph (objects, variables, functions with their input and output structures, signatures),
 *    the SignatureDefs, and a main graph for TensorFlow 1 loaders and TensorFlow Serving (VarHandleOps, the
 *    signatures' placeholders and StatefulPartitionedCall nodes, the save and restore functions of the SaverDef);
 *  - variables/variables.{index,data-00000-of-00001}: the object-based checkpoint of `obj`, the keys that
 *    tf.train.Checkpoint writes (objects helper: saving/object_graph.ts) with its TrackableObjectGraph;
 *  - assets/ (empty: tsflow has no asset-tracking objects yet).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import type { DType } from "../../core/dtype.js";
import type { Shape } from "../../core/shape.js";
import { executingEagerly } from "../../core/context.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { defineFunction, kind, optional, param, signature } from "../../core/signature.js";
import { ConcreteFunction } from "../../function/concrete_function.js";
import { type TracedFunction, tfFunction } from "../../function/tf_function.js";
import { TensorSpec } from "../../function/tensor_spec.js";
import { SymbolicTensor } from "../../graph/tensor.js";
import { writeFileAtomic } from "../../io/atomic_file.js";
import { dtypeToProto } from "../../io/dtype_proto.js";
import { BundleWriter } from "../../io/tensor_bundle.js";
import { shapeToProto } from "../../io/tensor_proto.js";
import type { FunctionDef } from "../../proto/tensorflow/core/framework/function_pb.js";
import {
  type MetaGraphDef,
  MetaGraphDefSchema,
  type SignatureDef,
  SignatureDefSchema,
  type TensorInfo,
  TensorInfoSchema,
} from "../../proto/tensorflow/core/protobuf/meta_graph_pb.js";
import {
  type SavedConcreteFunction,
  SavedConcreteFunctionSchema,
  type SavedObject,
  SavedObjectGraphSchema,
  SavedObjectSchema,
} from "../../proto/tensorflow/core/protobuf/saved_object_graph_pb.js";
import { SavedModelSchema } from "../../proto/tensorflow/core/protobuf/saved_model_pb.js";
import { SaverDef_CheckpointFormatVersion } from "../../proto/tensorflow/core/protobuf/saver_pb.js";
import { TrackableObjectGraphSchema } from "../../proto/tensorflow/core/protobuf/trackable_object_graph_pb.js";
import { Variable } from "../../variables/variable.js";
import { leafValue } from "../leaf_values.js";
import { breadthFirst, OBJECT_GRAPH_PROTO_KEY, serializeObjectGraph, VARIABLE_VALUE_KEY } from "../object_graph.js";
import { TrackedValue, type ValueLeaf } from "../trackable.js";
import {
  ASSETS_DIRECTORY,
  SAVED_MODEL_FILENAME_PB,
  SAVED_MODEL_SCHEMA_VERSION,
  signatureConstants,
  tagConstants,
  VARIABLES_DIRECTORY,
  VARIABLES_FILENAME,
} from "./constants.js";
import { exportConcreteFunction } from "./function_export.js";
import { buildMainGraph, type SignatureCall } from "./main_graph.js";
import { signatureFunction } from "./signature_wrapper.js";
import { encodeStructure, NamedTuple, Tuple } from "./structure.js";

/** The TensorFlow version whose formats tsflow writes (MetaInfoDef.tensorflow_version; GraphDef producer). */
export const TF_VERSION = "2.14.0";
export const GRAPH_PRODUCER = 1569;

const saveSignature = signature(
  "saved_model.save",
  "Writes obj (its variables, tf.functions and signatures) as a SavedModel directory that tf.saved_model.load reads.",
  [
    param("obj", kind<object>("object"), "The root object: its tf.Variables, tf.functions and child objects are saved."),
    param("exportDir", kind<string>("string"), "The directory to write (created; saved_model.pb, variables/, assets/)."),
    optional(
      "signatures",
      kind<unknown>("TracedFunction | ConcreteFunction | Record<string, TracedFunction | ConcreteFunction>"),
      "The serving signatures: a tf.function with an inputSignature (or a concrete function), or an object of them by name.",
    ),
    optional("options", kind<Record<string, unknown>>("object"), "tf.saved_model.SaveOptions (accepted, unused)."),
  ],
  { skip: "writes a SavedModel directory (test/saved_model_save.test.ts)" },
);

type AnyFunction = TracedFunction<(...args: never[]) => unknown>;

function isTracedFunction(x: unknown): x is AnyFunction {
  return typeof x === "function" && typeof (x as Partial<AnyFunction>)._listAllConcreteFunctions === "function";
}

/** tf.saved_model.save(obj, export_dir, signatures, options). */
export const save = defineFunction(saveSignature, (obj, exportDir, signatures, _options): void => {
  if (!executingEagerly())
    throw new InvalidArgumentError("tf.saved_model.save works eagerly (TensorFlow 2); in a graph use tf.compat.v1.saved_model.simple_save");
  if (obj === null || (typeof obj !== "object" && typeof obj !== "function"))
    throw new InvalidArgumentError(`tf.saved_model.save: obj must be an object, got ${String(obj)}`);
  new Saver(obj, exportDir).save(signatures);
});

class Saver {
  readonly nodes: SavedObject[] = [];
  readonly functions = new Map<string, FunctionDef>();
  readonly concrete: Record<string, SavedConcreteFunction> = {};
  /** Concrete function -> its FunctionDef's name. */
  readonly exported = new Map<ConcreteFunction, string>();
  readonly variableIds = new Map<Variable, number>();
  readonly functionNodes = new Map<unknown, number>();
  #uid = 0;

  constructor(
    readonly root: object,
    readonly dir: string,
  ) {}

  save(signatures: unknown): void {
    const { objects } = breadthFirst(this.root);
    const { graph: ckptGraph, values } = serializeObjectGraph(this.root);
    const leafOf = new Map(values.map((v) => [v.key, v.leaf]));
    // Nodes of the checkpoint's graph first, in its order, so that node ids agree (as in TensorFlow).
    ckptGraph.nodes.forEach((n, id) => {
      const key = n.attributes.find((a) => a.name === VARIABLE_VALUE_KEY)?.checkpointKey;
      const leaf = key === undefined ? undefined : leafOf.get(key);
      this.nodes.push(
        leaf !== undefined
          ? this.#variableNode(leaf, n.attributes[0].fullName)
          : create(SavedObjectSchema, {
              children: n.children,
              slotVariables: n.slotVariables,
              kind: { case: "userObject", value: { identifier: "_generic_user_object", version: { producer: 1, minConsumer: 1 } } },
            }),
      );
      if (leaf instanceof Variable) this.variableIds.set(leaf, id);
    });
    // tf.functions and concrete functions held by the objects.
    objects.forEach((o, id) => {
      if (this.nodes[id].kind.case !== "userObject") return;
      for (const [name, value] of Object.entries(o)) {
        if (this.nodes[id].children.some((c) => c.localName === name)) continue;
        const fn = this.#functionNode(value, name);
        if (fn !== null)
          this.nodes[id].children.push({ $typeName: "tensorflow.TrackableObjectGraph.TrackableObject.ObjectReference", nodeId: fn, localName: name });
      }
    });
    const sigCalls = this.#signatures(signatures);
    const meta = this.#metaGraph(
      sigCalls,
      ckptGraph.nodes.length,
      values.map((v) => ({ key: v.key, leaf: v.leaf })),
      ckptGraph,
    );
    this.#write(meta, values, ckptGraph);
  }

  #variableNode(leaf: ValueLeaf, fullName: string): SavedObject {
    const dtype = leaf.dtype;
    const shape = leaf instanceof TrackedValue ? [] : leaf.shape;
    return create(SavedObjectSchema, {
      kind: {
        case: "variable",
        value: { dtype: dtypeToProto(dtype), shape: shapeToProto(shape), trainable: leaf instanceof Variable ? leaf.trainable : false, name: fullName },
      },
    });
  }

  /** The node of a tf.function or concrete function (made once per function), or null for other values. */
  #functionNode(value: unknown, name: string): number | null {
    const known = this.functionNodes.get(value);
    if (known !== undefined) return known;
    let node: SavedObject;
    if (isTracedFunction(value)) {
      // A tf.function with an input signature is traced for saving, as TensorFlow does.
      if (value.inputSignature !== null) value.getConcreteFunction();
      const names = value._listAllConcreteFunctions().map((cf) => this.#export(cf, name));
      const sig = value.inputSignature;
      node = create(SavedObjectSchema, {
        kind: {
          case: "function",
          value: {
            concreteFunctions: names,
            functionSpec: {
              fullargspec: encodeStructure(fullArgSpec(argNames(value, sig)), name),
              isMethod: false,
              inputSignature: sig === null ? undefined : encodeStructure(new Tuple(sig), name),
            },
          },
        },
      });
    } else if (value instanceof ConcreteFunction) {
      node = this.#bareNode(this.#export(value, name), [], 0);
    } else return null;
    this.nodes.push(node);
    this.functionNodes.set(value, this.nodes.length - 1);
    return this.nodes.length - 1;
  }

  #bareNode(fnName: string, keywords: readonly string[], positional: number): SavedObject {
    return create(SavedObjectSchema, {
      kind: {
        case: "bareConcreteFunction",
        value: {
          concreteFunctionName: fnName,
          argumentKeywords: [...keywords],
          allowedPositionalArguments: BigInt(positional),
          functionSpec: { fullargspec: encodeStructure(fullArgSpec([], keywords), fnName), isMethod: false },
        },
      },
    });
  }

  /** Writes `cf` into the library (once) and describes it in the object graph. */
  #export(cf: ConcreteFunction, base: string): string {
    const done = this.exported.get(cf);
    if (done !== undefined) return done;
    const name = `__inference_${base.replace(/[^A-Za-z0-9_]/g, "_")}_${this.#uid++}`;
    const { def, captured, library } = exportConcreteFunction(cf, name);
    for (const body of library) this.functions.set(body.signature!.name, body);
    const boundInputs = captured.map((v) => {
      const id = this.variableIds.get(v);
      if (id === undefined) {
        throw new InvalidArgumentError(
          `tf.saved_model.save: function ${cf.name} uses variable ${v.name}, which is not reachable from the saved object (attach it as a property, e.g. obj.${v.name.replace(/:\d+$/, "")} = variable)`,
        );
      }
      return id;
    });
    const specOf = (t: unknown): unknown => (t instanceof SymbolicTensor ? new TensorSpec(t.shape, t.dtype) : t);
    const args = new Tuple([new Tuple(cf.structuredInputSignature as unknown[]), {}]);
    this.functions.set(name, def);
    this.concrete[name] = create(SavedConcreteFunctionSchema, {
      boundInputs,
      canonicalizedInputSignature: encodeStructure(args, name),
      outputSignature: encodeStructure(mapStructure(cf.structuredOutputs, specOf), name),
    });
    this.exported.set(cf, name);
    return name;
  }

  /** The signature functions: each one wrapped to take named inputs (sorted) and return an object of named outputs. */
  #signatures(signatures: unknown): SignatureCall[] {
    signatures ??= kerasServingFunction(this.root);
    if (signatures === undefined || signatures === null) return [];
    const byName: Record<string, unknown> =
      isTracedFunction(signatures) || signatures instanceof ConcreteFunction
        ? { [signatureConstants.DEFAULT_SERVING_SIGNATURE_DEF_KEY]: signatures }
        : (signatures as Record<string, unknown>);
    if (Object.keys(byName).length === 0) return [];
    if (this.nodes[0].children.some((c) => c.localName === "signatures")) {
      throw new InvalidArgumentError("tf.saved_model.save: the root object already has a child named 'signatures'");
    }
    const mapNode = create(SavedObjectSchema, {
      kind: { case: "userObject", value: { identifier: "signature_map", version: { producer: 1, minConsumer: 1 } } },
    });
    this.nodes.push(mapNode);
    const mapId = this.nodes.length - 1;
    this.nodes[0].children.push({ $typeName: "tensorflow.TrackableObjectGraph.TrackableObject.ObjectReference", nodeId: mapId, localName: "signatures" });
    const calls: SignatureCall[] = [];
    for (const sigName of Object.keys(byName).sort()) {
      const f = byName[sigName];
      let cf: ConcreteFunction;
      if (f instanceof ConcreteFunction) cf = f;
      else if (isTracedFunction(f)) {
        if (f.inputSignature === null) {
          throw new InvalidArgumentError(
            `tf.saved_model.save: signature ${sigName} is a tf.function without an inputSignature; give one, or pass fn.getConcreteFunction(...specs)`,
          );
        }
        cf = f.getConcreteFunction();
      } else throw new InvalidArgumentError(`tf.saved_model.save: signature ${sigName} must be a tf.function or a concrete function, got ${String(f)}`);
      const innerName = this.#export(cf, sigName);
      const fnName = `__inference_signature_wrapper_${sigName.replace(/[^A-Za-z0-9_]/g, "_")}_${this.#uid++}`;
      const inner = this.concrete[innerName];
      const sf = signatureFunction(cf, this.functions.get(innerName)!, inner.boundInputs.length, fnName, sigName);
      this.functions.set(fnName, sf.def);
      this.concrete[fnName] = create(SavedConcreteFunctionSchema, {
        boundInputs: inner.boundInputs,
        canonicalizedInputSignature: encodeStructure(
          new Tuple([new Tuple([]), Object.fromEntries(sf.inputs.map((x) => [x.name, new TensorSpec(x.shape, x.dtype, x.name)]))]),
          fnName,
        ),
        outputSignature: encodeStructure(Object.fromEntries(sf.outputs.map((x) => [x.name, new TensorSpec(x.shape, x.dtype, x.name)])), fnName),
      });
      const keywords = sf.inputs.map((x) => x.name);
      this.nodes.push(this.#bareNode(fnName, keywords, keywords.length));
      mapNode.children.push({
        $typeName: "tensorflow.TrackableObjectGraph.TrackableObject.ObjectReference",
        nodeId: this.nodes.length - 1,
        localName: sigName,
      });
      calls.push({ name: sigName, functionName: fnName, inputs: sf.inputs, outputs: sf.outputs, captured: inner.boundInputs });
    }
    return calls;
  }

  #metaGraph(
    calls: SignatureCall[],
    _ckptNodes: number,
    values: { key: string; leaf: ValueLeaf }[],
    ckptGraph: ReturnType<typeof serializeObjectGraph>["graph"],
  ): MetaGraphDef {
    const variables = values
      .map((v) => ({ key: v.key, leaf: v.leaf }))
      .filter((v): v is { key: string; leaf: Variable } => v.leaf instanceof Variable)
      .map((v) => ({
        key: v.key,
        nodeId: this.variableIds.get(v.leaf)!,
        dtype: v.leaf.dtype as DType,
        shape: v.leaf.shape,
        name: v.leaf.name.replace(/:\d+$/, ""),
      }));
    const main = buildMainGraph(calls, variables, toBinary(TrackableObjectGraphSchema, ckptGraph), this.#uid);
    for (const f of main.functions) this.functions.set(f.signature!.name, f);
    const signatureDef: Record<string, SignatureDef> = {};
    for (const c of calls) {
      const out = main.signatureOutputs.get(c.name)!;
      signatureDef[c.name] = create(SignatureDefSchema, {
        inputs: Object.fromEntries(c.inputs.map((x, i) => [x.name, tensorInfo(`${main.signatureInputs.get(c.name)![i]}:0`, x.dtype, x.shape)])),
        outputs: Object.fromEntries(c.outputs.map((x, i) => [x.name, tensorInfo(`${out}:${i}`, x.dtype, x.shape)])),
        methodName: signatureConstants.PREDICT_METHOD_NAME,
      });
    }
    return create(MetaGraphDefSchema, {
      metaInfoDef: {
        tags: [tagConstants.SERVING],
        tensorflowVersion: TF_VERSION,
        tensorflowGitVersion: "tsflow",
        strippedDefaultAttrs: true /* attrs at their default may be absent: loaders add them */,
      },
      graphDef: { node: main.nodes, library: { function: [...this.functions.values()] }, versions: { producer: GRAPH_PRODUCER, minConsumer: 12 } },
      saverDef: {
        filenameTensorName: `${main.saver.filename}:0`,
        saveTensorName: `${main.saver.save}:0`,
        restoreOpName: main.saver.restore,
        version: SaverDef_CheckpointFormatVersion.V2,
      },
      signatureDef,
      objectGraphDef: create(SavedObjectGraphSchema, { nodes: this.nodes, concreteFunctions: this.concrete }),
    });
  }

  #write(meta: MetaGraphDef, values: ReturnType<typeof serializeObjectGraph>["values"], ckptGraph: ReturnType<typeof serializeObjectGraph>["graph"]): void {
    fs.mkdirSync(path.join(this.dir, VARIABLES_DIRECTORY), { recursive: true });
    fs.mkdirSync(path.join(this.dir, ASSETS_DIRECTORY), { recursive: true });
    const writer = new BundleWriter(path.join(this.dir, VARIABLES_DIRECTORY, VARIABLES_FILENAME));
    try {
      for (const v of values) {
        const t = leafValue(v.leaf, v.path);
        writer.add(v.key, t.dtype, t.shape, t.values);
      }
      writer.add(OBJECT_GRAPH_PROTO_KEY, "string", [], [toBinary(TrackableObjectGraphSchema, ckptGraph)]);
      writer.finish();
    } catch (e) {
      writer.abort();
      throw e;
    }
    // saved_model.pb last: a directory is a SavedModel only once its variables are complete.
    const model = create(SavedModelSchema, { savedModelSchemaVersion: SAVED_MODEL_SCHEMA_VERSION, metaGraphs: [meta] });
    writeFileAtomic(path.join(this.dir, SAVED_MODEL_FILENAME_PB), toBinary(SavedModelSchema, model));
  }
}

/** What a built Keras model offers (duck-typed: saving sits below keras/ and does not import it). */
interface KerasModelLike {
  readonly inputs: readonly { readonly shape: Shape; readonly dtype: DType }[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  forward(xs: readonly unknown[], training: boolean): unknown[];
}

/**
 * A built Keras model saved without signatures serves its forward pass, as Keras does: inputs named after the
 * input layers, outputs after the output layers. Undefined for anything else.
 */
function kerasServingFunction(root: object): AnyFunction | undefined {
  const m = root as Partial<KerasModelLike>;
  if (!Array.isArray(m.inputs) || m.inputs.length === 0 || typeof m.forward !== "function" || !Array.isArray(m.inputNames) || !Array.isArray(m.outputNames)) {
    return undefined;
  }
  const model = m as KerasModelLike;
  const specs = model.inputs.map((t, i) => new TensorSpec(t.shape, t.dtype, model.inputNames[i]));
  const serve = (...xs: unknown[]) => {
    const outs = model.forward(xs, false);
    return Object.fromEntries(model.outputNames.map((n, i) => [n, outs[i]]));
  };
  return tfFunction(serve, { inputSignature: specs }) as unknown as AnyFunction;
}

function tensorInfo(name: string, dtype: DType, shape: Shape): TensorInfo {
  return create(TensorInfoSchema, { encoding: { case: "name", value: name }, dtype: dtypeToProto(dtype), tensorShape: shapeToProto(shape) });
}

/** TensorFlow's FullArgSpec named tuple (inspect.getfullargspec). */
function fullArgSpec(args: readonly string[], kwonly: readonly string[] = []): NamedTuple {
  return new NamedTuple("FullArgSpec", [
    ["args", [...args]],
    ["varargs", null],
    ["varkw", null],
    ["defaults", null],
    ["kwonlyargs", [...kwonly]],
    ["kwonlydefaults", null],
    ["annotations", {}],
  ]);
}

/** Argument names for a tf.function: its input signature's names, else args_0, args_1, ... */
function argNames(fn: AnyFunction, sig: readonly unknown[] | null): string[] {
  const n = sig?.length ?? fn.pythonFunction.length;
  return Array.from({ length: n }, (_, i) => {
    const s = sig?.[i];
    return s instanceof TensorSpec && s.name ? s.name : `args_${i}`;
  });
}

function mapStructure(x: unknown, f: (leaf: unknown) => unknown): unknown {
  if (Array.isArray(x)) return x.map((y) => mapStructure(y, f));
  if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x)) out[k] = mapStructure((x as Record<string, unknown>)[k], f);
    return out;
  }
  return f(x);
}
