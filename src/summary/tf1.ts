/**
 * TensorFlow 1's summary ops as graph ops (tf.compat.v1.summary.scalar/histogram/image/audio/text/
 * tensorSummary, merge, mergeAll): each builds its op (core/schema/summary.ts) the way TensorFlow's Python
 * does. The tag is the cleaned name inside the current name scopes (with `family` as a prefix); the op is
 * named after that scope (`loss/error`), its tag constant `loss/error/tags`; the op's scalar string output
 * (a serialized Summary, run by a Session) is added to the SUMMARIES collection, or to `collections`.
 * Eagerly the ops simply run and return their string tensor (collections do not exist there).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { executingEagerly } from "../core/context.js";
import { eagerNameScope } from "../core/eager_name_scope.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { FuncGraph } from "../graph/func_graph.js";
import { GraphKeys } from "../graph/graph.js";
import { execute1 } from "../ops/dispatch.js";
import { T } from "../ops/params.js";
import { bytesToLatin1 } from "../io/summary_v1.js";
import { type SummaryMetadata, SummaryMetadataSchema } from "../proto/tensorflow/core/framework/summary_pb.js";

/** TensorFlow's clean_tag: characters other than letters, digits, `_-/.` become `_`; leading `/`s go. */
export function cleanTag(name: string): string {
  return name.replace(/[^-/\p{L}\p{N}_.]/gu, "_").replace(/^\/+/, "");
}

/**
 * TensorFlow's summary_scope: opens the name scope `family/name` (or `defaultName`) and gives fn the tag (the
 * full scope without its slash, family-prefixed once more) and the scope. In a graph the scope is made
 * unique (`loss/error_1`); in a tf.cond/tf.whileLoop body it starts with the body's outer scope (`cond/`).
 * Eagerly no op is named, but the tag still takes the eager name scopes (TensorFlow enters the scope there
 * too, without making it unique).
 */
function summaryScope<R>(name: string, family: string | undefined, defaultName: string, fn: (tag: string, scope: string | undefined) => R): R {
  const clean = cleanTag(name);
  const fam = family === undefined ? undefined : cleanTag(family);
  const base = fam === undefined ? clean : `${fam}/${clean}`;
  const tagOf = (scope: string) => (fam === undefined ? scope : `${fam}/${scope}`);
  if (executingEagerly()) return fn(tagOf(`${eagerNameScope()}${base || defaultName}`), undefined);
  const g = getDefaultGraph();
  const outer = g instanceof FuncGraph ? g.outerNameScope : "";
  return g.nameScope(base || defaultName, (scope) => {
    const inner = scope.replace(/\/$/, "");
    return fn(tagOf(outer ? `${outer}/${inner}` : inner), scope);
  });
}

function collect(t: Tensor, collections: readonly string[] | undefined, defaults: readonly string[]): void {
  if (executingEagerly()) return;
  getDefaultGraph().addToCollections(collections ?? defaults, t);
}

/** Builds one summary op in its scope and adds its output to the collections (SUMMARIES by default). */
function summaryOp(
  name: string,
  family: string | undefined,
  collections: readonly string[] | undefined,
  defaultName: string,
  build: (tag: string, opName: string | undefined) => Tensor,
): Tensor {
  return summaryScope(name, family, defaultName, (tag, scope) => {
    const t = build(tag, scope);
    collect(t, collections, [GraphKeys.SUMMARIES]);
    return t;
  });
}

const NAME = param("name", K.string, "The tag, cleaned as TensorFlow does, prefixed by the name scopes; also the op's name scope.");
const COLLECTIONS = optional("collections", kind<readonly string[]>("string[]"), "Graph collections of the output (default [tf.GraphKeys.SUMMARIES]).");
const FAMILY = optional("family", K.string, "A prefix of the tag and the scope (TensorBoard's tab).");
const MAX_OUTPUTS = withDefault("maxOutputs", K.int, 3, "The most items of the batch written.");
const graphExample = (...rest: unknown[]) => ({ args: (tf: { constant: (x: unknown) => unknown }) => ["s", tf.constant(rest[0] ?? 1.5)], graph: true });

export const scalarV1 = defineFunction(
  signature(
    "compat.v1.summary.scalar",
    "A ScalarSummary op: its scalar string output is a Summary with the value as simple_value (a non-scalar fails when it runs).",
    [NAME, param("tensor", T.tensor, "A real-valued scalar."), COLLECTIONS, FAMILY],
    graphExample(),
  ),
  (name, tensor, collections, family): Tensor =>
    summaryOp(name, family, collections, "ScalarSummary", (tag, scope) => execute1("ScalarSummary", [tag, tensor], {}, scope)),
);

export const histogramV1 = defineFunction(
  signature(
    "compat.v1.summary.histogram",
    "A HistogramSummary op (TensorFlow 1's HistogramProto; NaN or Inf fails when it runs).",
    [NAME, param("values", T.tensor, "A real-valued tensor of any shape."), COLLECTIONS, FAMILY],
    graphExample([1, 2, 3]),
  ),
  (name, values, collections, family): Tensor =>
    summaryOp(name, family, collections, "HistogramSummary", (tag, scope) => execute1("HistogramSummary", [tag, values], {}, scope)),
);

export const imageV1 = defineFunction(
  signature(
    "compat.v1.summary.image",
    "An ImageSummary op: PNGs of a [batch, h, w, 1|3|4] uint8 or float tensor (floats scaled as TensorFlow does), tags name/image/i.",
    [NAME, param("tensor", T.tensor, "The images."), MAX_OUTPUTS, COLLECTIONS, FAMILY],
  ),
  (name, tensor, maxOutputs, collections, family): Tensor =>
    summaryOp(name, family, collections, "ImageSummary", (tag, scope) => execute1("ImageSummary", [tag, tensor], { max_images: maxOutputs }, scope)),
);

export const audioV1 = defineFunction(
  signature("compat.v1.summary.audio", "An AudioSummaryV2 op: 16-bit WAVs of a [batch, frames(, channels)] float tensor in [-1, 1], tags name/audio/i.", [
    NAME,
    param("tensor", T.tensor, "The clips."),
    param("sampleRate", T.tensor, "Samples per second."),
    MAX_OUTPUTS,
    COLLECTIONS,
    FAMILY,
  ]),
  (name, tensor, sampleRate, maxOutputs, collections, family): Tensor =>
    summaryOp(name, family, collections, "AudioSummaryV2", (tag, scope) =>
      execute1("AudioSummaryV2", [tag, tensor, sampleRate], { max_outputs: maxOutputs }, scope),
    ),
);

function metadataString(m: SummaryMetadata): string {
  return bytesToLatin1(toBinary(SummaryMetadataSchema, m));
}

export const tensorSummaryV1 = defineFunction(
  signature(
    "compat.v1.summary.tensor_summary",
    "A TensorSummaryV2 op: the tensor itself with a SummaryMetadata (plugin data, description, display name).",
    [
      NAME,
      param("tensor", T.tensor, "Any tensor."),
      optional("summaryDescription", K.string, "The description in the metadata."),
      COLLECTIONS,
      optional("summaryMetadata", kind<SummaryMetadata>("SummaryMetadata"), "The metadata (plugin data)."),
      FAMILY,
      optional("displayName", K.string, "The display name in the metadata."),
    ],
    graphExample([1, 2]),
  ),
  (name, tensor, summaryDescription, collections, summaryMetadata, family, displayName): Tensor => {
    const m = create(SummaryMetadataSchema, summaryMetadata ?? {});
    if (summaryDescription !== undefined) m.summaryDescription = summaryDescription;
    if (displayName !== undefined) m.displayName = displayName;
    return summaryOp(name, family, collections, "TensorSummary", (tag, scope) => execute1("TensorSummaryV2", [tag, tensor, metadataString(m)], {}, scope));
  },
);

export const textV1 = defineFunction(
  signature(
    "compat.v1.summary.text",
    "A TensorSummaryV2 op of a string tensor with the 'text' plugin's metadata (Markdown in TensorBoard's Text tab).",
    [NAME, param("tensor", T.tensor, "A string tensor of any shape."), COLLECTIONS],
    { args: (tf) => ["s", tf.constant("hello")], graph: true },
  ),
  (name, tensor, collections): Tensor => {
    const dtype = (tensor as { dtype?: string }).dtype ?? (typeof tensor === "string" ? "string" : undefined);
    if (dtype !== "string") throw new InvalidArgumentError(`tf.summary.text "${name}": expected a tensor of dtype string, got ${dtype ?? typeof tensor}`);
    const m = create(SummaryMetadataSchema, { pluginData: { pluginName: "text" } });
    return summaryOp(name, undefined, collections, "TensorSummary", (tag, scope) =>
      execute1("TensorSummaryV2", [tag, tensor as TensorLike, metadataString(m)], {}, scope),
    );
  },
);

export const merge = defineFunction(
  signature("compat.v1.summary.merge", "A MergeSummary op: one Summary holding the values of every input summary (a tag seen twice fails when it runs).", [
    param("inputs", kind<readonly TensorLike[]>("Tensor[]"), "Scalar string tensors of serialized Summaries."),
    optional("collections", kind<readonly string[]>("string[]"), "Graph collections of the output (default none)."),
    optional("name", K.string, "The name scope (default 'Merge')."),
  ]),
  (inputs, collections, name): Tensor => {
    if (inputs.length === 0) throw new InvalidArgumentError("tf.summary.merge: no summaries to merge");
    if (executingEagerly()) return execute1("MergeSummary", inputs, {});
    return getDefaultGraph().nameScope(name ?? "Merge", () => {
      const t = execute1("MergeSummary", inputs, {}, name);
      collect(t, collections, []);
      return t;
    });
  },
);

export const mergeAll = defineFunction(
  signature("compat.v1.summary.merge_all", "Merges every summary of a collection (SUMMARIES) of the default graph into one op; null when there is none.", [
    withDefault("key", K.string, GraphKeys.SUMMARIES, "The collection."),
    optional("scope", K.string, "Keeps only summaries whose name starts with this scope."),
    optional("name", K.string, "The name scope (default 'Merge')."),
  ]),
  (key, scope, name): Tensor | null => {
    if (executingEagerly()) {
      throw new InvalidArgumentError(
        "Merging tf.summary.* ops is not compatible with eager execution: build the summaries in a tf.Graph, or use tf.summary's writers",
      );
    }
    const ops = getDefaultGraph().getCollection<Tensor>(key, scope);
    return ops.length === 0 ? null : merge(ops, undefined, name);
  },
);
