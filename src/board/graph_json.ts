/**
 * A run's GraphDef as the JSON the page lays out: per node its name, op type, device, inputs ("^x" for a
 * control input, "x:1" for a second output) and attributes written as short text; output shapes come from the
 * `_output_shapes` attribute when the writer added it, else from a `shape` attribute (placeholders, variables).
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { AttrValue } from "../proto/tensorflow/core/framework/attr_value_pb.js";
import { GraphDefSchema } from "../proto/tensorflow/core/framework/graph_pb.js";
import type { TensorShapeProto } from "../proto/tensorflow/core/framework/tensor_shape_pb.js";
import { DataType } from "../proto/tensorflow/core/framework/types_pb.js";

export interface GraphNodeJson {
  name: string;
  op: string;
  device: string;
  inputs: string[];
  attrs: Record<string, string>;
  shapes: string[];
}

export function graphToJson(bytes: Uint8Array): { nodes: GraphNodeJson[]; producer: number } {
  const g = fromBinary(GraphDefSchema, bytes);
  const nodes = g.node.map((n) => {
    const attrs: Record<string, string> = {};
    let shapes: string[] = [];
    for (const key of Object.keys(n.attr).sort()) {
      const a = n.attr[key];
      if (key === "_output_shapes" && a.value.case === "list") shapes = a.value.value.shape.map(shapeText);
      else attrs[key] = attrText(a);
    }
    if (shapes.length === 0 && n.attr.shape?.value.case === "shape") shapes = [shapeText(n.attr.shape.value.value)];
    return { name: n.name, op: n.op, device: n.device, inputs: n.input, attrs, shapes };
  });
  return { nodes, producer: g.versions?.producer ?? 0 };
}

function shapeText(s: TensorShapeProto): string {
  if (s.unknownRank) return "<unknown>";
  return `[${s.dim.map((d) => (d.size < 0n ? "?" : String(d.size))).join(", ")}]`;
}

function typeText(t: DataType): string {
  return (DataType[t] ?? String(t)).replace(/^DT_/, "").toLowerCase();
}

const MAX_ATTR_CHARS = 300;

function attrText(a: AttrValue): string {
  const v = a.value;
  let text: string;
  switch (v.case) {
    case "s":
      text = JSON.stringify(new TextDecoder().decode(v.value));
      break;
    case "i":
      text = String(v.value);
      break;
    case "f":
    case "b":
      text = String(v.value);
      break;
    case "type":
      text = typeText(v.value);
      break;
    case "shape":
      text = shapeText(v.value);
      break;
    case "tensor":
      text = `${typeText(v.value.dtype)} tensor ${v.value.tensorShape ? shapeText(v.value.tensorShape) : "[]"}`;
      break;
    case "func":
      text = `function ${v.value.name}`;
      break;
    case "placeholder":
      text = `$${v.value}`;
      break;
    case "list": {
      const l = v.value;
      const parts = [
        ...l.s.map((b) => JSON.stringify(new TextDecoder().decode(b))),
        ...l.i.map(String),
        ...l.f.map(String),
        ...l.b.map(String),
        ...l.type.map(typeText),
        ...l.shape.map(shapeText),
        ...l.tensor.map((t) => `${typeText(t.dtype)} tensor`),
        ...l.func.map((f) => `function ${f.name}`),
      ];
      text = `[${parts.join(", ")}]`;
      break;
    }
    default:
      text = "";
  }
  return text.length > MAX_ATTR_CHARS ? `${text.slice(0, MAX_ATTR_CHARS)}…` : text;
}
