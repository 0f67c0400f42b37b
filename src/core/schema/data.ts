import type { DType } from "../dtype.js";
import type { Shape } from "../shape.js";
import { type AttrDef, schemaRows } from "./types.js";

/**
 * tf.data's graph-mode iterator ops (TensorFlow's OneShotIterator, IteratorV2, MakeIterator,
 * IteratorGetNext). The iterator lives in the Session's resource store (runtime/resources.ts ITERATOR) and
 * the executor runs these ops itself, pulling elements from the host pipeline that the `dataset_factory`
 * attr opens (a func attr: TensorFlow's dataset function, here the data layer's factory object). The
 * iterator handle is a scalar string tensor, as TensorFlow's string handle of an iterator.
 */
const ELEMENT_ATTRS: readonly AttrDef[] = [
  { name: "output_types", type: "list(type)" },
  { name: "output_shapes", type: "list(shape)" },
];
const RESOURCE_ATTRS: readonly AttrDef[] = [
  { name: "container", type: "string", default: "" },
  { name: "shared_name", type: "string", default: "" },
];
const handle = () => [{ dtype: "string" as DType, shape: [] as Shape }];

export const DATA_OPS = schemaRows([
  {
    type: "OneShotIterator",
    attrs: [{ name: "dataset_factory", type: "func" }, ...ELEMENT_ATTRS, ...RESOURCE_ATTRS],
    stateful: true,
    infer: handle,
    doc: "An iterator over a dataset, opened the first time a session reads it.",
  },
  {
    type: "IteratorV2",
    attrs: [...ELEMENT_ATTRS, ...RESOURCE_ATTRS],
    stateful: true,
    infer: handle,
    doc: "An iterator that MakeIterator (its initializer) opens over a dataset.",
  },
  {
    type: "MakeIterator",
    inputNames: ["iterator"],
    attrs: [{ name: "dataset_factory", type: "func" }],
    stateful: true,
    infer: () => [],
    doc: "(Re)opens an iterator over the dataset: an initializable iterator's initializer.",
  },
  {
    type: "IteratorGetNext",
    inputNames: ["iterator"],
    attrs: ELEMENT_ATTRS,
    stateful: true,
    infer: (_i, attrs) => {
      const types = attrs.output_types as readonly DType[];
      const shapes = attrs.output_shapes as unknown as readonly Shape[];
      return types.map((dtype, k) => ({ dtype, shape: shapes[k] }));
    },
    doc: "The next element of an iterator; OutOfRangeError at the end of the dataset.",
  },
]);
