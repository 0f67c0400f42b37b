/**
 * TensorFlow 1's histogram (tensorflow/core/lib/histogram): the default bucket limits grow by 10% from
 * 1e-12 to 1e20 on each side of 0, closed by +-DBL_MAX; each value counts in the first bucket whose limit
 * exceeds it; runs of empty buckets are written as one bucket ending where the run ends. An empty input
 * gives min DBL_MAX, max -DBL_MAX and one empty bucket, as TensorFlow writes it.
 */
import { create } from "@bufbuild/protobuf";
import { type HistogramProto, HistogramProtoSchema } from "../proto/xla/tsl/protobuf/histogram_pb.js";

let limits: Float64Array | null = null;

function defaultLimits(): Float64Array {
  if (limits !== null) return limits;
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  pos.push(Number.MAX_VALUE);
  const neg = pos.map((v) => -v).reverse();
  limits = Float64Array.from([...neg, 0, ...pos]);
  return limits;
}

/** The index of the first limit greater than x (C++'s upper_bound). */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The HistogramProto of finite values (the caller rejects NaN and infinities, as TensorFlow's op does). */
export function histogramProto(values: ArrayLike<number>): HistogramProto {
  const lim = defaultLimits();
  const counts = new Float64Array(lim.length);
  let min = Number.MAX_VALUE;
  let max = -Number.MAX_VALUE;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    // A value above the last limit (never, for finite values) would count in the last bucket.
    counts[Math.min(upperBound(lim, x), lim.length - 1)] += 1;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sumSquares += x * x;
  }
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < counts.length; ) {
    let end = lim[i];
    let count = counts[i];
    i++;
    if (count <= 0) {
      while (i < counts.length && counts[i] <= 0) {
        end = lim[i];
        count = counts[i];
        i++;
      }
    }
    bucketLimit.push(end);
    bucket.push(count);
  }
  return create(HistogramProtoSchema, { min, max, num: values.length, sum, sumSquares, bucketLimit, bucket });
}
