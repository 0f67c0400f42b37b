/**
 * tf.compat.v1.Summary(...) as TensorFlow 1 code builds one by hand: `{ value: [{ tag, simpleValue }] }`
 * (also histo, image, audio, tensor, metadata), made into the Summary message; the value oneof is picked from
 * whichever of those fields is set, as Python's keyword arguments do.
 */
import { create } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "../core/errors.js";
import { defineFunction, kind, param, positionalOnly, signature } from "../core/signature.js";
import { type Summary, SummarySchema, type Summary_Value } from "../proto/tensorflow/core/framework/summary_pb.js";

type ValueInit = { tag: string; simpleValue?: number; histo?: object; image?: object; audio?: object; tensor?: object; metadata?: object; nodeName?: string };
const ONEOF = ["simpleValue", "histo", "image", "audio", "tensor"] as const;

export const summaryMessage = defineFunction(
  signature("compat.v1.Summary", "A Summary proto from { value: [{ tag, simpleValue | histo | image | audio | tensor, metadata }] }.", [
    positionalOnly(param("init", kind<{ value: ValueInit[] }>("{ value: SummaryValue[] }"), "The values.")),
  ]),
  (init): Summary => {
    const value = init.value.map((v) => {
      const set = ONEOF.filter((k) => v[k] !== undefined);
      if (set.length > 1) throw new InvalidArgumentError(`tf.compat.v1.Summary: value "${v.tag}" sets ${set.join(" and ")}; a value holds one of them`);
      const out: Partial<Summary_Value> & { tag: string } = { tag: v.tag, nodeName: v.nodeName ?? "" };
      if (v.metadata) (out as { metadata?: object }).metadata = v.metadata;
      if (set.length === 1) (out as { value?: object }).value = { case: set[0], value: v[set[0]] };
      return out;
    });
    return create(SummarySchema, { value } as Parameters<typeof create<typeof SummarySchema>>[1]);
  },
);
