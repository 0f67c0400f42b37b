import { isFloating } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1 } from "./dispatch.js";
import { defineGradients } from "./registry.js";
import { dropAxis, expandAxis, toTensor } from "./window_args.js";

/**
 * Gradients of the image resizing ops (rows in core/schema/image.ts) and the tf.image resize functions.
 */

function imageHW(t: Tensor, op: string): Int32Array {
  const s = t.shape;
  if (s === null || s[1] === null || s[2] === null) {
    throw new UnimplementedError(`gradient of ${op} needs the image height and width known when the graph is built, got ${shapeStr(s)}`);
  }
  return new Int32Array([s[1], s[2]]);
}

defineGradients({
  ResizeBilinear: (op, [dy]) => [isFloating(op.inputs[0].dtype) ? execute1("ResizeBilinearGrad", [dy, op.inputs[0]], op.attrs) : null, null],
  ResizeNearestNeighbor: (op, [dy]) => [execute1("ResizeNearestNeighborGrad", [dy, imageHW(op.inputs[0], "ResizeNearestNeighbor")], op.attrs), null],
  ResizeNearestNeighborGrad: (op, [g]) => [execute1("ResizeNearestNeighbor", [g, imageHW(op.inputs[0], "ResizeNearestNeighborGrad")], op.attrs), null],
});

// ---------------------------------------------------------------- image resizing

interface ResizeOptions {
  size?: TensorLike;
  alignCorners?: boolean;
  name?: string;
  halfPixelCenters?: boolean;
}
const resizeParams = [
  param("images", T.tensor, "A 4-D [batch, h, w, c] or 3-D [h, w, c] tensor."),
  param("size", kind<TensorLike>("number[] | TensorLike"), "The new [height, width]."),
  withDefault("alignCorners", K.boolean, false, "Align the corner pixels of input and output."),
  NAME,
  withDefault("halfPixelCenters", K.boolean, false, "Sample at pixel centers (TensorFlow 2's resize)."),
] as const;
const RESIZE_EXAMPLE = {
  args: () => [
    [
      [
        [[1], [2]],
        [[3], [4]],
      ],
    ],
    [3, 3],
  ],
};

function resize(op: "ResizeBilinear" | "ResizeNearestNeighbor", images: TensorLike, a: ResizeOptions): Tensor {
  if (a.size === undefined) throw new InvalidArgumentError(`${op}: size is required`);
  const size = Array.isArray(a.size) ? new Int32Array(a.size as number[]) : a.size;
  const attrs = { align_corners: a.alignCorners ?? false, half_pixel_centers: a.halfPixelCenters ?? false };
  const x = toTensor(images);
  if (x.rank === 3) {
    // A single image [h, w, c]: batched for the op and unbatched after, as TensorFlow's wrappers do.
    const y = execute1(op, [expandAxis(x, 0), size], attrs);
    return dropAxis(y, 0, a.name);
  }
  return execute1(op, [x, size], attrs, a.name);
}

/**
 * tf.compat.v1.image.resize_bilinear(images, size, align_corners=False, name=None,
 * half_pixel_centers=False): op ResizeBilinear; the result is float32 whatever the image dtype.
 */
export const resizeBilinear = defineFunction(
  signature("compat.v1.image.resize_bilinear", "Resizes images by bilinear interpolation (the result is float32).", resizeParams, RESIZE_EXAMPLE),
  (images, size, alignCorners, name, halfPixelCenters) => resize("ResizeBilinear", images, { size, alignCorners, name, halfPixelCenters }),
);

/** tf.compat.v1.image.resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False). */
export const resizeNearestNeighbor = defineFunction(
  signature("compat.v1.image.resize_nearest_neighbor", "Resizes images by nearest-neighbour sampling.", resizeParams, RESIZE_EXAMPLE),
  (images, size, alignCorners, name, halfPixelCenters) => resize("ResizeNearestNeighbor", images, { size, alignCorners, name, halfPixelCenters }),
);
