/**
 * TensorFlow 1 SavedModel writing: tf.compat.v1.saved_model.Builder (addMetaGraphAndVariables, save) and
 * simple_save. The MetaGraphDef holds the session's graph (graph.asGraphDef), a "save/" subgraph as
 * TensorFlow 1's Saver builds it (SaveV2 / RestoreV2 of every global variable by op name, Assigns grouped
 * in save/restore_all) with its SaverDef, the variables collections (VariableDefs) and the SignatureDefs;
 * variables/variables holds the values under the variables' op names (TensorFlow 1's keys).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import type { DType } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { type ArgsOf, declare, defineFunction, kind, optional, param, parseArgs, positionalOnly, signature } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { graphToGraphDef } from "../../graph/graph_def.js";
import { GraphKeys } from "../../graph/graph.js";
import { SymbolicTensor } from "../../graph/tensor.js";
import { writeFileAtomic } from "../../io/atomic_file.js";
import { dtypeToProto } from "../../io/dtype_proto.js";
import { BundleWriter } from "../../io/tensor_bundle.js";
import { shapeToProto } from "../../io/tensor_proto.js";
import { VariableDefSchema } from "../../proto/tensorflow/core/framework/variable_pb.js";
import {
  type MetaGraphDef,
  MetaGraphDefSchema,
  type SignatureDef,
  SignatureDefSchema,
  TensorInfoSchema,
} from "../../proto/tensorflow/core/protobuf/meta_graph_pb.js";
import { SavedModelSchema } from "../../proto/tensorflow/core/protobuf/saved_model_pb.js";
import type { Session } from "../../runtime/session.js";
import type { Variable } from "../../variables/variable.js";
import { appendSaveSubgraph } from "../save_subgraph.js";
import {
  ASSETS_DIRECTORY,
  SAVED_MODEL_FILENAME_PB,
  SAVED_MODEL_SCHEMA_VERSION,
  signatureConstants,
  tagConstants,
  VARIABLES_DIRECTORY,
  VARIABLES_FILENAME,
} from "./constants.js";

/** The TensorFlow 1 version whose graphs tsflow's Builder writes (MetaInfoDef.tensorflow_version). */
const TF1_VERSION = "1.15.0";

/** tf.compat.v1.saved_model.utils.build_tensor_info: a graph tensor's TensorInfo (name, dtype, shape). */
function tensorInfo(t: Tensor, what: string) {
  if (!(t instanceof SymbolicTensor)) throw new InvalidArgumentError(`${what}: ${String(t)} is not a graph tensor`);
  return create(TensorInfoSchema, { encoding: { case: "name", value: t.name }, dtype: dtypeToProto(t.dtype), tensorShape: shapeToProto(t.shape) });
}

/** tf.compat.v1.saved_model.signature_def_utils.predict_signature_def(inputs, outputs). */
function predictSignatureDef(inputs: Record<string, Tensor>, outputs: Record<string, Tensor>): SignatureDef {
  return create(SignatureDefSchema, {
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, tensorInfo(t, `input ${k}`)])),
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, tensorInfo(t, `output ${k}`)])),
    methodName: signatureConstants.PREDICT_METHOD_NAME,
  });
}

/** The session's graph as a MetaGraphDef with a save/ subgraph, and the variables' values written to `prefix`. */
function metaGraphOf(sess: Session, tags: readonly string[], signatureDefMap: Record<string, SignatureDef>, prefix: string | null): MetaGraphDef {
  const g = sess.graph;
  const gd = graphToGraphDef(g);
  const vars = g.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES);
  const trainable = new Set(g.getCollection<Variable>(GraphKeys.TRAINABLE_VARIABLES));
  if (prefix !== null) {
    const writer = new BundleWriter(prefix);
    try {
      if (vars.length > 0) {
        const values = sess.run(vars.map((v) => v.ref) as never) as unknown as Tensor[];
        vars.forEach((v, i) => writer.add(v.op.name, v.dtype, values[i].shape as number[], values[i].dataSync() as never));
      }
      writer.finish();
    } catch (e) {
      writer.abort();
      throw e;
    }
  }
  const saverDef = appendSaveSubgraph(
    gd,
    vars.map((v) => ({ key: v.op.name, node: v.op.name, dtype: v.dtype as DType })),
    { maxToKeep: 5, keepCheckpointEveryNHours: 10000 },
  );
  const variableDefs = (list: readonly Variable[]) =>
    list.map((v) =>
      toBinary(
        VariableDefSchema,
        create(VariableDefSchema, {
          variableName: v.ref.name,
          initializerName: v.initializer.name,
          snapshotName: (v.value() as SymbolicTensor).name,
          initialValueName: (v.initialValue as SymbolicTensor).name,
          trainable: trainable.has(v),
        }),
      ),
    );
  return create(MetaGraphDefSchema, {
    metaInfoDef: {
      tags: [...tags],
      tensorflowVersion: TF1_VERSION,
      tensorflowGitVersion: "tsflow",
      strippedDefaultAttrs: true /* attrs at their default may be absent: loaders add them */,
    },
    graphDef: gd,
    saverDef,
    collectionDef: {
      [GraphKeys.GLOBAL_VARIABLES]: { kind: { case: "bytesList", value: { value: variableDefs(vars) } } },
      [GraphKeys.TRAINABLE_VARIABLES]: { kind: { case: "bytesList", value: { value: variableDefs(vars.filter((v) => trainable.has(v))) } } },
    },
    signatureDef: signatureDefMap,
  });
}

const builderSignature = signature(
  "compat.v1.saved_model.Builder",
  "Builds a TensorFlow 1 SavedModel: addMetaGraphAndVariables(sess, tags, { signatureDefMap }), then save().",
  [param("exportDir", kind<string>("string"), "The directory to write (must not exist yet).")],
  { args: () => ["/tmp/tsflow-builder-example-never-written"] },
);
const addSignature = signature(
  "compat.v1.saved_model.Builder.add_meta_graph_and_variables",
  "Adds the session's graph as the first MetaGraphDef and writes the variables' values.",
  [
    param("sess", kind<Session>("Session"), "The session holding the variables' values."),
    param("tags", kind<string[]>("string[]"), 'The MetaGraphDef\'s tags, e.g. ["serve"].'),
    optional("signatureDefMap", kind<Record<string, SignatureDef>>("Record<string, SignatureDef>"), "The signatures by key."),
  ],
);

/** tf.compat.v1.saved_model.Builder(export_dir). */
export class Builder {
  readonly exportDir: string;
  #metaGraphs: MetaGraphDef[] = [];
  constructor(...args: ArgsOf<typeof builderSignature>) {
    const [exportDir] = parseArgs(builderSignature, args);
    if (fs.existsSync(exportDir))
      throw new InvalidArgumentError(
        `Export directory already exists, and isn't empty. Please choose a different export directory, or delete all the contents of the specified directory: ${exportDir}`,
      );
    this.exportDir = exportDir;
  }
  addMetaGraphAndVariables(...args: ArgsOf<typeof addSignature>): void {
    const [sess, tags, signatureDefMap] = parseArgs(addSignature, args);
    if (this.#metaGraphs.length > 0)
      throw new InvalidArgumentError("Graph state including variables and assets has already been saved. Please invoke `add_meta_graph()` instead.");
    fs.mkdirSync(path.join(this.exportDir, ASSETS_DIRECTORY), { recursive: true });
    this.#metaGraphs.push(metaGraphOf(sess, tags, signatureDefMap ?? {}, path.join(this.exportDir, VARIABLES_DIRECTORY, VARIABLES_FILENAME)));
  }
  /** Writes saved_model.pb; returns its path. */
  save(): string {
    if (this.#metaGraphs.length === 0) throw new InvalidArgumentError("Builder.save: call addMetaGraphAndVariables first");
    const file = path.join(this.exportDir, SAVED_MODEL_FILENAME_PB);
    writeFileAtomic(
      file,
      toBinary(SavedModelSchema, create(SavedModelSchema, { savedModelSchemaVersion: SAVED_MODEL_SCHEMA_VERSION, metaGraphs: this.#metaGraphs })),
    );
    return file;
  }
}
declare(Builder, builderSignature);
declare(Builder.prototype.addMetaGraphAndVariables, addSignature);

/** tf.compat.v1.saved_model.simple_save(session, export_dir, inputs, outputs). */
export const simpleSave = defineFunction(
  signature(
    "compat.v1.saved_model.simple_save",
    "Writes the session's graph and variables as a SavedModel tagged serve, with one predict signature (serving_default) of these named inputs and outputs.",
    [
      param("session", kind<Session>("Session"), "The session holding the variables' values."),
      param("exportDir", kind<string>("string"), "The directory to write (must not exist yet)."),
      positionalOnly(param("inputs", kind<Record<string, Tensor>>("Record<string, Tensor>"), "The signature's inputs by name.")),
      positionalOnly(param("outputs", kind<Record<string, Tensor>>("Record<string, Tensor>"), "The signature's outputs by name.")),
    ],
    { skip: "writes a SavedModel directory (test/saved_model_save.test.ts)" },
  ),
  (session, exportDir, inputs, outputs): void => {
    const b = new Builder(exportDir);
    b.addMetaGraphAndVariables(session, [tagConstants.SERVING], {
      signatureDefMap: { [signatureConstants.DEFAULT_SERVING_SIGNATURE_DEF_KEY]: predictSignatureDef(inputs, outputs) },
    });
    b.save();
  },
);

export const signatureDefUtils = {
  predictSignatureDef: defineFunction(
    signature(
      "compat.v1.saved_model.signature_def_utils.predict_signature_def",
      "A predict SignatureDef of named graph tensors.",
      [
        positionalOnly(param("inputs", kind<Record<string, Tensor>>("Record<string, Tensor>"), "The inputs by name.")),
        positionalOnly(param("outputs", kind<Record<string, Tensor>>("Record<string, Tensor>"), "The outputs by name.")),
      ],
      { skip: "needs graph tensors (test/saved_model_save.test.ts)" },
    ),
    (inputs, outputs) => predictSignatureDef(inputs, outputs),
  ),
};
export const utils = {
  buildTensorInfo: defineFunction(
    signature(
      "compat.v1.saved_model.utils.build_tensor_info",
      "A graph tensor's TensorInfo (name, dtype, shape).",
      [param("tensor", kind<Tensor>("Tensor"), "A graph tensor.")],
      {
        skip: "needs a graph tensor (test/saved_model_save.test.ts)",
      },
    ),
    (t) => tensorInfo(t, "build_tensor_info"),
  ),
};
