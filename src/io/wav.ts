/**
 * WAV files as TensorFlow's audio summaries and tf.audio.encode_wav write them (tensorflow/core/lib/wav):
 * a 44-byte RIFF header (PCM, 16 bits) and interleaved little-endian samples, each float in [-1, 1]
 * scaled by 32768, rounded half away from zero and clamped to the int16 range.
 */
import { InvalidArgumentError } from "../core/errors.js";

const HEADER = 44;

/** Samples of frame f, channel c at `samples[f * channels + c]` (a [frames, channels] slice). */
export function encodeWav(samples: ArrayLike<number>, sampleRate: number, channels: number, frames: number): Uint8Array {
  if (!(sampleRate > 0)) throw new InvalidArgumentError(`encode_wav: sample_rate must be > 0, got ${sampleRate}`);
  if (!(channels > 0)) throw new InvalidArgumentError(`encode_wav: num_channels must be > 0, got ${channels}`);
  if (sampleRate > 0xffffffff) throw new InvalidArgumentError(`encode_wav: sample_rate ${sampleRate} does not fit a WAV header`);
  const dataBytes = frames * channels * 2;
  if (HEADER - 8 + dataBytes > 0xffffffff) throw new InvalidArgumentError(`encode_wav: ${frames} frames of ${channels} channels do not fit a WAV file`);
  const out = new Uint8Array(HEADER + dataBytes);
  const v = new DataView(out.buffer);
  const tag = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  tag(0, "RIFF");
  v.setUint32(4, HEADER - 8 + dataBytes, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  tag(36, "data");
  v.setUint32(40, dataBytes, true);
  const n = frames * channels;
  for (let i = 0; i < n; i++) v.setInt16(HEADER + 2 * i, toInt16(samples[i]), true);
  return out;
}

function toInt16(x: number): number {
  // TensorFlow: roundf(x * 32768.0f) clamped; a NaN (undefined there) becomes silence here.
  const scaled = Math.fround(Math.fround(x) * 32768);
  if (Number.isNaN(scaled)) return 0;
  const r = Math.sign(scaled) * Math.round(Math.abs(scaled));
  return Math.max(-32768, Math.min(32767, r));
}
