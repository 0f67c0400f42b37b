/**
 * The buckets of a TensorFlow 2 histogram summary (TensorBoard's histogram summary_v2): `bucketCount`
 * equal-width buckets from min to max as rows (left edge, right edge, count) in float64. The shape is always
 * [bucketCount, 3]: an empty tensor gives all-zero rows, a tensor of one repeated value gives rows whose
 * edges are that value with every count in the last row. NaN and infinities pass through the same
 * arithmetic as in TensorFlow (NaN min/max give NaN edges).
 */
export function histogramBuckets(data: ArrayLike<number>, bucketCount = 30): Float64Array {
  const k = bucketCount;
  const out = new Float64Array(k * 3);
  const n = data.length;
  if (n === 0 || k === 0) return out;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sawNaN = false;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (Number.isNaN(v)) sawNaN = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (sawNaN) min = max = Number.NaN;
  const range = max - min;
  if (range === 0) {
    for (let b = 0; b < k; b++) {
      out[b * 3] = max;
      out[b * 3 + 1] = max;
    }
    out[(k - 1) * 3 + 2] = n;
    return out;
  }
  const width = range / k;
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const idx = Math.floor((data[i] - min) / width);
    // TensorFlow casts to int32 then clamps from above only; NaN casts to INT_MIN in practice, never counted.
    if (Number.isNaN(idx)) continue;
    counts[Math.max(0, Math.min(idx, k - 1))] += 1;
  }
  for (let b = 0; b < k; b++) {
    // tf.linspace(min, max, k + 1) with the last edge replaced by max exactly.
    out[b * 3] = min + (range * b) / k;
    out[b * 3 + 1] = b === k - 1 ? max : min + (range * (b + 1)) / k;
    out[b * 3 + 2] = counts[b];
  }
  return out;
}
