import type { DType } from "../dtype.js";
import { isFloating } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { shapeOrUnknown } from "../geometry/window.js";
import { constInts } from "./infer_util.js";
import { type Attrs, type OutSpec, schemaRows, type TensorSpec } from "./types.js";
import { requireRankIn, shapesMsg } from "./window_infer.js";

/**
 * Image resizing ops (ResizeBilinear, ResizeNearestNeighbor and their gradients) with TensorFlow's op
 * types, attrs and shape functions (gradients and tf.image functions in src/ops/image.ts; kernels in
 * backends/cpu/kernels/image.ts).
 */
const REAL: DType[] = ["float32", "float64", "float16", "bfloat16", "int32", "uint8"];
const NUMERIC: DType[] = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8"];

function resizeInfer(op: string, outDType: DType | null) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => {
    const [img, size] = inputs;
    const shapes = shapesMsg(["images", "size"], inputs);
    requireRankIn(op, "images", img.shape, [4], shapes);
    if (attrs.half_pixel_centers && attrs.align_corners) {
      throw new InvalidArgumentError(`${op}: If half_pixel_centers is True, align_corners must be False${shapes}`);
    }
    if (size.shape !== null && (size.shape.length !== 1 || (size.shape[0] !== null && size.shape[0] !== 2))) {
      throw new InvalidArgumentError(`${op}: size must be a 1-D int32 Tensor of 2 elements: new_height, new_width${shapes}`);
    }
    const s = constInts(size);
    if (s?.some((d) => d <= 0)) throw new InvalidArgumentError(`${op}: output dimensions must be positive, got size [${s}]${shapes}`);
    const is = shapeOrUnknown(img.shape, 4);
    return [{ dtype: outDType ?? img.dtype, shape: [is[0], s ? s[0] : null, s ? s[1] : null, is[3]] }];
  };
}

export const IMAGE_OPS = schemaRows([
  {
    type: "ResizeBilinear",
    attrs: [
      { name: "align_corners", type: "bool", default: false },
      { name: "half_pixel_centers", type: "bool", default: false },
    ],
    inputNames: ["images", "size"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: REAL,
    // TensorFlow's ResizeBilinear always produces float32, whatever the image dtype.
    infer: resizeInfer("ResizeBilinear", "float32"),
  },
  {
    type: "ResizeBilinearGrad",
    attrs: [
      { name: "align_corners", type: "bool", default: false },
      { name: "half_pixel_centers", type: "bool", default: false },
    ],
    inputNames: ["grads", "original_image"],
    allowedDTypes: ["float32"],
    infer: (inputs, attrs) => {
      const [g, orig] = inputs;
      const shapes = shapesMsg(["grads", "original_image"], inputs);
      requireRankIn("ResizeBilinearGrad", "grads", g.shape, [4], shapes);
      requireRankIn("ResizeBilinearGrad", "original_image", orig.shape, [4], shapes);
      if (!isFloating(orig.dtype)) throw new InvalidArgumentError(`ResizeBilinearGrad: original_image must be float32 or float64, got ${orig.dtype}`);
      if (attrs.half_pixel_centers && attrs.align_corners)
        throw new InvalidArgumentError("ResizeBilinearGrad: If half_pixel_centers is True, align_corners must be False");
      for (const k of [0, 3]) {
        const [a, b] = [g.shape?.[k] ?? null, orig.shape?.[k] ?? null];
        if (a !== null && b !== null && a !== b) {
          throw new InvalidArgumentError(`ResizeBilinearGrad: grads and original_image must have the same ${k === 0 ? "batch size" : "depth"}${shapes}`);
        }
      }
      return [{ dtype: orig.dtype, shape: orig.shape }];
    },
  },
  {
    type: "ResizeNearestNeighbor",
    attrs: [
      { name: "align_corners", type: "bool", default: false },
      { name: "half_pixel_centers", type: "bool", default: false },
    ],
    inputNames: ["images", "size"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: NUMERIC.filter((d) => d !== "int64"),
    infer: resizeInfer("ResizeNearestNeighbor", null),
  },
  {
    type: "ResizeNearestNeighborGrad",
    attrs: [
      { name: "align_corners", type: "bool", default: false },
      { name: "half_pixel_centers", type: "bool", default: false },
    ],
    inputNames: ["grads", "size"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: NUMERIC.filter((d) => d !== "int64"),
    infer: resizeInfer("ResizeNearestNeighborGrad", null),
  },
]);
