/**
 * A weight as an image, the way Keras's TensorBoard callback shows it (writeImages): the weight without its
 * 1-sized dimensions; a vector is one 1-pixel-wide column, a matrix one gray image (transposed when taller
 * than wide), a [h, w, c] kernel c gray images of h x w; a 4-D weight only when its last dimension is 1, 3 or
 * 4 (images as they are); anything else is skipped. Values are pixel intensities in [0, 1] (clipped), as
 * tf.summary.image reads floats.
 */
import type { Tensor } from "../../core/tensor.js";
import { tidy } from "../../eager/memory.js";
import { reshape, squeeze, transpose } from "../../ops/movement.js";
import { image } from "../../summary/tf2.js";
import type { Variable } from "../../variables/variable.js";

/** The weight as a [k, h, w, c] image batch, or null when Keras would not write it. */
function asImages(weight: Variable): Tensor | null {
  let w = squeeze(weight.value() as Tensor);
  let shape = w.shape as number[];
  if (shape.length === 1) return reshape(w, [1, shape[0], 1, 1]);
  if (shape.length === 2) {
    if (shape[0] > shape[1]) {
      w = transpose(w);
      shape = [shape[1], shape[0]];
    }
    return reshape(w, [1, shape[0], shape[1], 1]);
  }
  if (shape.length === 3) {
    // channels_last: one image per channel.
    w = transpose(w, [2, 0, 1]);
    return reshape(w, [shape[2], shape[0], shape[1], 1]);
  }
  if (shape.length === 4 && [1, 3, 4].includes(shape[3])) return w;
  return null;
}

export function writeWeightImage(tag: string, weight: Variable, step: number): void {
  tidy(() => {
    const images = asImages(weight);
    if (images !== null) image(tag, images, step);
  });
}
