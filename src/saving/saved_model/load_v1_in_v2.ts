/**
 * tf.saved_model.load of a TensorFlow 1 SavedModel (no object graph; TensorFlow's load_v1_in_v2): the
 * MetaGraphDef is loaded into a Session of its own (loader_v1.ts) and each SignatureDef becomes a function
 * of `.signatures` that takes an object of named inputs and returns an object of named outputs, run by
 * that session. The restored variables' values live in the session; `.session` and `.graph` give access.
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { Graph } from "../../graph/graph.js";
import type { MetaGraphDef } from "../../proto/tensorflow/core/protobuf/meta_graph_pb.js";
import { Session } from "../../runtime/session.js";
import { INIT_OP_SIGNATURE_KEY } from "./constants.js";
import { loadIntoSession } from "./loader_v1.js";
import { RestoredObject } from "./restored.js";

export function loadV1InV2(dir: string, meta: MetaGraphDef): RestoredObject {
  const graph = new Graph();
  const sess = new Session({ graph });
  graph.asDefault(() => loadIntoSession(sess, meta, dir));
  const root = new RestoredObject("_load_v1_in_v2");
  const signatures = new RestoredObject("signature_map");
  for (const [key, sig] of Object.entries(meta.signatureDef)) {
    if (key === INIT_OP_SIGNATURE_KEY) continue;
    const tensorName = (info: (typeof sig.inputs)[string], what: string): string => {
      if (info.encoding.case !== "name")
        throw new InvalidArgumentError(`signature ${key}: ${what} is not a dense tensor (sparse and composite inputs are not supported)`);
      return info.encoding.value;
    };
    const outputs = Object.fromEntries(Object.entries(sig.outputs).map(([k, v]) => [k, tensorName(v, `output ${k}`)]));
    const inputs = Object.fromEntries(Object.entries(sig.inputs).map(([k, v]) => [k, tensorName(v, `input ${k}`)]));
    signatures[key] = (args: Record<string, unknown>) => {
      if (args === null || typeof args !== "object")
        throw new InvalidArgumentError(`signature ${key}: call it with an object of named inputs (${Object.keys(inputs).join(", ")})`);
      const feeds: Record<string, unknown> = {};
      for (const [k, name] of Object.entries(inputs)) {
        if (!(k in args)) throw new InvalidArgumentError(`signature ${key}: missing input ${k} (expected ${Object.keys(inputs).join(", ")})`);
        feeds[name] = args[k];
      }
      const unknown = Object.keys(args).filter((k) => !(k in inputs));
      if (unknown.length > 0)
        throw new InvalidArgumentError(`signature ${key}: unknown input(s) ${unknown.join(", ")} (expected ${Object.keys(inputs).join(", ")})`);
      return sess.run(outputs as never, feeds as never);
    };
  }
  root.signatures = signatures;
  Object.defineProperty(root, "session", { value: sess, enumerable: false });
  Object.defineProperty(root, "graph", { value: graph, enumerable: false });
  Object.defineProperty(root, "tensorflowVersion", { value: meta.metaInfoDef?.tensorflowVersion ?? "", enumerable: false });
  return root;
}
