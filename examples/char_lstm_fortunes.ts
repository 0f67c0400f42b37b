/**
 * A character-level LSTM language model on the English fortune-cookie files of Debian's `fortunes` package
 * (/usr/share/games/fortunes: art, computers, literature, science, wisdom, ...; `npm run setup:system`
 * installs it). The text is split into a training part and a validation part (the last 5% of every file);
 * windows of `seq_len` characters are taught to predict each next character (Embedding, LSTM, Dense
 * logits, sparse categorical cross-entropy from logits, Adam). The result is the validation perplexity,
 * beside the unigram baseline (every character predicted from its training frequency alone), and a few
 * lines of text sampled from the model.
 *   node --import tsx examples/char_lstm_fortunes.ts [--epochs=N] [--steps=N] [--units=256] [--seq_len=64] [--max_chars=N]
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as tf from "tsflowjs";

export const FORTUNES_DIR = "/usr/share/games/fortunes";

/** The fortune files' text (the .dat indexes and .u8 copies left out), each cookie ending in "%" lines dropped. */
export function readFortunes(dir = FORTUNES_DIR): { train: string; validation: string } {
  if (!existsSync(dir)) {
    throw new tf.errors.NotFoundError(
      `${dir} does not exist: install the English fortune files with \`sudo apt-get install fortunes\` (or npm run setup:system)`,
    );
  }
  let train = "";
  let validation = "";
  for (const f of readdirSync(dir).sort()) {
    const path = join(dir, f);
    if (f.includes(".") || !statSync(path).isFile()) continue;
    const text = readFileSync(path, "latin1")
      .split(/\n%\n/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .join("\n\n");
    const cut = Math.floor(text.length * 0.95);
    train += `${text.slice(0, cut)}\n\n`;
    validation += `${text.slice(cut)}\n\n`;
  }
  return { train, validation };
}

/** Characters seen at least `minCount` times in training get an id; the rest share id 0. */
export function vocabulary(text: string, minCount = 20): { chars: string[]; ids: Map<string, number> } {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  const chars = [
    "\u0000",
    ...[...counts]
      .filter(([, n]) => n >= minCount)
      .map(([c]) => c)
      .sort(),
  ];
  return { chars, ids: new Map(chars.map((c, i) => [c, i])) };
}

function encode(text: string, ids: Map<string, number>): Int32Array {
  const out = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = ids.get(text[i]) ?? 0;
  return out;
}

/** exp of the mean negative log-probability of `ids` under the training text's character frequencies (add-one smoothed). */
export function unigramPerplexity(train: Int32Array, ids: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab).fill(1);
  for (const c of train) counts[c]++;
  const total = counts.reduce((a, b) => a + b, 0);
  let nll = 0;
  for (const c of ids) nll -= Math.log(counts[c] / total);
  return Math.exp(nll / ids.length);
}

/** Input windows and their next-character targets: `count` windows at the given starts. */
function windows(ids: Int32Array, seqLen: number, starts: number[]): { x: tf.Tensor; y: tf.Tensor } {
  const x = new Int32Array(starts.length * seqLen);
  const y = new Int32Array(starts.length * seqLen);
  starts.forEach((s, i) => {
    x.set(ids.subarray(s, s + seqLen), i * seqLen);
    y.set(ids.subarray(s + 1, s + 1 + seqLen), i * seqLen);
  });
  return { x: tf.constant(x, { dtype: "int32", shape: [starts.length, seqLen] }), y: tf.constant(y, { dtype: "int32", shape: [starts.length, seqLen] }) };
}

/** A small deterministic PRNG (mulberry32) for window starts and sampling. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CharLstmOptions {
  epochs?: number;
  /** Training windows per epoch (steps = windows / batch size). */
  windowsPerEpoch?: number;
  units?: number;
  seqLen?: number;
  batchSize?: number;
  /** Use only the first n characters of the training text (the tests' tiny runs). */
  maxChars?: number;
  /** Validation characters evaluated (a prefix of the validation text). */
  validationChars?: number;
  sampleChars?: number;
  log?: boolean;
}

export interface CharLstmResult {
  validationPerplexity: number;
  unigramPerplexity: number;
  sample: string;
  trainSeconds: number;
  trainChars: number;
  vocab: number;
}

export async function run(opts: CharLstmOptions = {}): Promise<CharLstmResult> {
  const log = opts.log ?? true;
  const seqLen = opts.seqLen ?? 64;
  const batchSize = opts.batchSize ?? 64;
  const units = opts.units ?? 256;
  const epochs = opts.epochs ?? 5;
  const perEpoch = opts.windowsPerEpoch ?? 64 * 150;
  const text = readFortunes();
  const trainText = opts.maxChars ? text.train.slice(0, opts.maxChars) : text.train;
  const { chars, ids } = vocabulary(trainText, opts.maxChars ? 1 : 20);
  const train = encode(trainText, ids);
  const valid = encode(text.validation.slice(0, opts.validationChars ?? 64 * 400), ids);
  const baseline = unigramPerplexity(train, valid, chars.length);
  if (log) {
    console.log(
      `fortunes: ${train.length} training and ${valid.length} validation characters, vocabulary ${chars.length}; unigram perplexity ${baseline.toFixed(2)}`,
    );
  }

  tf.setRandomSeed(1);
  const L = tf.keras.layers;
  const model = new tf.keras.Sequential([
    new L.Embedding(chars.length, 32, { inputShape: [null] }),
    new L.LSTM(units, { returnSequences: true }),
    new L.Dense(chars.length),
  ]);
  model.compile({
    optimizer: new tf.keras.optimizers.Adam({ learningRate: 0.003, clipnorm: 5 }),
    loss: new tf.keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }),
  });
  if (log) model.summary();

  const random = rng(7);
  const validStarts = Array.from({ length: Math.floor((valid.length - 1) / seqLen) }, (_, i) => i * seqLen);
  const v = windows(valid, seqLen, validStarts);
  const t0 = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    // A fresh random set of training windows each epoch.
    const starts = Array.from({ length: perEpoch }, () => Math.floor(random() * (train.length - seqLen - 1)));
    const w = windows(train, seqLen, starts);
    if (log) console.log(`Epoch ${epoch}/${epochs}`);
    await model.fit(w.x, w.y, { batchSize, epochs: 1, verbose: log ? "auto" : 0, shuffle: false });
    tf.dispose([w.x, w.y]);
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const validLoss = model.evaluate(v.x, v.y, { batchSize: 128, verbose: 0 }) as number;
  const validationPerplexity = Math.exp(validLoss);
  if (log)
    console.log(`validation perplexity ${validationPerplexity.toFixed(2)} (unigram baseline ${baseline.toFixed(2)}), training ${trainSeconds.toFixed(1)} s`);

  // Sampling: feed the last seqLen characters, draw the next from softmax(logits / temperature).
  const temperature = 0.7;
  let context = "The ";
  const n = opts.sampleChars ?? 300;
  for (let i = 0; i < n; i++) {
    const window = encode(context.slice(-seqLen), ids);
    const logits = tf.tidy(() => {
      const out = model.predictOnBatch(tf.constant(window, { dtype: "int32", shape: [1, window.length] })) as tf.Tensor;
      return tf.slice(out, [0, window.length - 1, 0], [1, 1, chars.length]);
    }) as tf.EagerTensor;
    const z = Array.from(logits.dataSync() as Float32Array, (l) => l / temperature);
    logits.dispose();
    const m = Math.max(...z);
    const p = z.map((l) => Math.exp(l - m));
    let r = random() * p.reduce((a, b) => a + b, 0);
    let c = 0;
    while (c < p.length - 1 && (r -= p[c]) > 0) c++;
    context += c === 0 ? "?" : chars[c];
  }
  if (log) console.log(`sampled text:\n${context}`);
  return { validationPerplexity, unigramPerplexity: baseline, sample: context, trainSeconds, trainChars: train.length, vocab: chars.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  tf.app.flags.defineInteger("epochs", 5, "epochs (each a fresh random set of training windows)");
  tf.app.flags.defineInteger("steps", 150, "training steps per epoch");
  tf.app.flags.defineInteger("units", 256, "LSTM units");
  tf.app.flags.defineInteger("seq_len", 64, "characters per training window");
  tf.app.flags.defineInteger("batch_size", 64, "windows per step");
  const F = tf.app.flags.FLAGS;
  const batchSize = F.batch_size as number;
  await run({ epochs: F.epochs as number, windowsPerEpoch: (F.steps as number) * batchSize, units: F.units as number, seqLen: F.seq_len as number, batchSize });
}
