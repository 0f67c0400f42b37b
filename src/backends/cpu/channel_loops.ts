/**
 * Batch norm's loops over channels-last data ([rows, C], C small): one sweep over the rows with a variable per
 * channel, generated for each channel count (as elementwise_loops.ts generates its loops). Looping channel by
 * channel over every C-th element kept one sum in a register but read the array C times at a stride, and one
 * loop over rows with an array of sums stored to memory at every element; LeNet-5's 6- and 16-channel batch
 * norms took about 2 ms a step that way on the 2-core VM. Sums are in float64, in row order.
 */

type Arr = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface ChannelLoops {
  /** out[c] = sum over rows of x (centered: of (x - center[c])^2). */
  sums(x: Arr, n: number, center: Float64Array | null, out: Float64Array): void;
  /** y = x * mul[c] + add[c]. */
  affine(x: Arr, y: Arr, n: number, mul: Float64Array, add: Float64Array): void;
  /** sumDy[c] = sum of dy, sumDyXc[c] = sum of dy * (x - mean[c]). */
  gradientSums(dy: Arr, x: Arr, n: number, mean: Arr, sumDy: Float64Array, sumDyXc: Float64Array): void;
  /** dx = a[c] * dy + b[c] * (x - mean[c]) + d[c]. */
  gradientAffine(dy: Arr, x: Arr, dx: Arr, n: number, mean: Arr, a: Float64Array, b: Float64Array, d: Float64Array): void;
}

/** Above this many channels the per-channel loops of norm.ts serve (a generated body per channel would grow large). */
export const MAX_GENERATED_CHANNELS = 32;

const cache = new Map<number, ChannelLoops>();

/** The loops for C channels (C <= MAX_GENERATED_CHANNELS). */
export function channelLoops(C: number): ChannelLoops {
  let l = cache.get(C);
  if (!l) cache.set(C, (l = build(C)));
  return l;
}

function build(C: number): ChannelLoops {
  const ch = Array.from({ length: C }, (_, c) => c);
  const each = (f: (c: number) => string, sep = " ") => ch.map(f).join(sep);
  const loop = (body: string) => `for (let j = 0; j < n; j += ${C}) { ${body} }`;
  // The Function constructor takes the generated bodies; every name in them is a parameter or a local.
  const sums = new Function(
    "x",
    "n",
    "center",
    "out",
    `"use strict";
    ${each((c) => `let s${c} = 0;`)}
    if (center === null) { ${loop(each((c) => `s${c} += x[j + ${c}];`))} }
    else { ${each((c) => `const m${c} = center[${c}];`)} ${loop(each((c) => `const d${c} = x[j + ${c}] - m${c}; s${c} += d${c} * d${c};`))} }
    ${each((c) => `out[${c}] = s${c};`)}`,
  ) as ChannelLoops["sums"];
  const affine = new Function(
    "x",
    "y",
    "n",
    "mul",
    "add",
    `"use strict";
    ${each((c) => `const m${c} = mul[${c}], a${c} = add[${c}];`)}
    ${loop(each((c) => `y[j + ${c}] = x[j + ${c}] * m${c} + a${c};`))}`,
  ) as ChannelLoops["affine"];
  const gradientSums = new Function(
    "dy",
    "x",
    "n",
    "mean",
    "sumDy",
    "sumDyXc",
    `"use strict";
    ${each((c) => `const m${c} = mean[${c}]; let g${c} = 0, p${c} = 0;`)}
    ${loop(each((c) => `const d${c} = dy[j + ${c}]; g${c} += d${c}; p${c} += d${c} * (x[j + ${c}] - m${c});`))}
    ${each((c) => `sumDy[${c}] = g${c}; sumDyXc[${c}] = p${c};`)}`,
  ) as ChannelLoops["gradientSums"];
  const gradientAffine = new Function(
    "dy",
    "x",
    "dx",
    "n",
    "mean",
    "a",
    "b",
    "d",
    `"use strict";
    ${each((c) => `const m${c} = mean[${c}], a${c} = a[${c}], b${c} = b[${c}], d${c} = d[${c}];`)}
    ${loop(each((c) => `dx[j + ${c}] = a${c} * dy[j + ${c}] + b${c} * (x[j + ${c}] - m${c}) + d${c};`))}`,
  ) as ChannelLoops["gradientAffine"];
  return { sums, affine, gradientSums, gradientAffine };
}
