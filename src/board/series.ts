/**
 * A scalar tag's points (step, wall time, value) in growable Float64Arrays, and their downsampling for the
 * page: a series of 100,000 points is sent as at most `max` points, keeping each bucket's minimum and maximum
 * (so spikes survive) plus the first and last point.
 */
export class GrowingSeries {
  private cap = 256;
  length = 0;
  step = new Float64Array(this.cap);
  wall = new Float64Array(this.cap);
  value = new Float64Array(this.cap);

  push(step: number, wall: number, value: number): void {
    if (this.length === this.cap) {
      this.cap *= 2;
      this.step = grow(this.step, this.cap);
      this.wall = grow(this.wall, this.cap);
      this.value = grow(this.value, this.cap);
    }
    this.step[this.length] = step;
    this.wall[this.length] = wall;
    this.value[this.length] = value;
    this.length++;
  }

  /** The indices of at most `max` points (>= 4) that draw like the whole series: min and max of each bucket. */
  sampleIndices(max: number): number[] {
    const n = this.length;
    if (n <= max) return Array.from({ length: n }, (_, i) => i);
    const buckets = Math.max(1, Math.floor((max - 2) / 2));
    const out = [0];
    const v = this.value;
    for (let b = 0; b < buckets; b++) {
      const from = 1 + Math.floor(((n - 2) * b) / buckets);
      const to = 1 + Math.floor(((n - 2) * (b + 1)) / buckets);
      if (from >= to) continue;
      let lo = from;
      let hi = from;
      for (let i = from + 1; i < to; i++) {
        // NaN is kept as a spike so that a diverged run shows it.
        if (v[i] < v[lo] || Number.isNaN(v[i])) lo = i;
        if (v[i] > v[hi]) hi = i;
      }
      if (lo === hi) out.push(lo);
      else out.push(Math.min(lo, hi), Math.max(lo, hi));
    }
    out.push(n - 1);
    return out;
  }
}

function grow(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}
