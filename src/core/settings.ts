import { FailedPreconditionError, InvalidArgumentError } from "./errors.js";

/**
 * Every setting of tsflow, in one schema: its key, its environment variable, the parser of that variable,
 * its default, what it does and its tf.config equivalent. The README's settings table is generated from
 * this table (`npm run docs:settings`), and tf.config reads and writes the values through getSetting and
 * setSetting. A value is read from the environment once, the first time it is asked for, and can be changed
 * at run time; settings that a library reads when it loads (`before`) refuse a change once it has loaded.
 *
 * An environment value that no parser accepts never stops the program: tsflow says so once on stderr,
 * naming the variable and what it accepts, and uses the default.
 */

// ---------------------------------------------------------------- parsers

/** How a setting is written in the environment and checked when changed at run time. */
export interface Parser<T> {
  readonly kind: "boolean" | "integer" | "enum" | "list" | "path";
  /** What the environment variable accepts, for notices, errors and the README table. */
  readonly accepts: string;
  /** Parses a trimmed, non-empty environment value; undefined when it is not valid. */
  fromEnv(raw: string): T | undefined;
  /** Checks a value given at run time: the setting's own type, or a string as the environment writes it. */
  fromValue(value: unknown): T | undefined;
  /** The value as the README and notices print it. */
  show(value: T): string;
}

const ON_WORDS = ["1", "true", "on", "yes"];
const OFF_WORDS = ["0", "false", "off", "no"];

/** The one parser of every switch: 1/true/on/yes or 0/false/off/no, in any case. */
const boolean: Parser<boolean> = {
  kind: "boolean",
  accepts: "1, true, on, yes / 0, false, off, no",
  fromEnv(raw) {
    const s = raw.toLowerCase();
    return ON_WORDS.includes(s) ? true : OFF_WORDS.includes(s) ? false : undefined;
  },
  fromValue(value) {
    return typeof value === "boolean" ? value : typeof value === "string" ? boolean.fromEnv(value.trim()) : undefined;
  },
  show: (v) => (v ? "on" : "off"),
};

/** A whole number of at least `min` (and at most `max`). */
function integer(min: number, max = Number.POSITIVE_INFINITY): Parser<number> {
  const inRange = (n: number) => n >= min && n <= max;
  const p: Parser<number> = {
    kind: "integer",
    accepts: max === Number.POSITIVE_INFINITY ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
    fromEnv(raw) {
      return /^[+-]?\d+$/.test(raw) && inRange(Number(raw)) ? Number(raw) : undefined;
    },
    fromValue(value) {
      if (typeof value === "string") return p.fromEnv(value.trim());
      return typeof value === "number" && Number.isInteger(value) && inRange(value) ? value : undefined;
    },
    show: String,
  };
  return p;
}

/**
 * One of `values` (any case). `aliases` maps other spellings to a value, so that a setting that grew out of
 * a switch still takes the switch words (see offWords/onWords).
 */
function oneOf<const V extends string>(values: readonly V[], aliases: Readonly<Record<string, NoInfer<V>>> = {}): Parser<V> {
  const p: Parser<V> = {
    kind: "enum",
    accepts: values.join(", ") + aliasText(values, aliases),
    fromEnv(raw) {
      const s = raw.toLowerCase();
      return (values as readonly string[]).includes(s) ? (s as V) : Object.hasOwn(aliases, s) ? aliases[s] : undefined;
    },
    fromValue(value) {
      if (typeof value === "boolean") return p.fromEnv(String(value));
      return typeof value === "string" ? p.fromEnv(value.trim()) : undefined;
    },
    show: (v) => v,
  };
  return p;
}

function aliasText(values: readonly string[], aliases: Readonly<Record<string, string>>): string {
  const parts = values.map((v) => [Object.keys(aliases).filter((k) => aliases[k] === v), v] as const).filter(([ks]) => ks.length > 0);
  return parts.length === 0 ? "" : ` (${parts.map(([ks, v]) => `${ks.join("/")}: ${v}`).join("; ")})`;
}

/** The switch words for "off" (0, false, no; "off" itself where it is not a value) as aliases of `v`. */
const offWords = <V extends string>(v: V): Record<string, V> => Object.fromEntries(OFF_WORDS.filter((w) => w !== v).map((w) => [w, v]));
/** The switch words for "on" (1, true, on, yes) as aliases of `v`. */
const onWords = <V extends string>(v: V): Record<string, V> => Object.fromEntries(ON_WORDS.filter((w) => w !== v).map((w) => [w, v]));

/**
 * A list written with `separator` between items. `items`: the items allowed (null: any string); `all`
 * stands for every allowed item.
 */
function list<const V extends string>(items: readonly V[] | null, separator: string): Parser<readonly V[]> {
  const ok = (xs: readonly string[]): readonly V[] | undefined => {
    if (items === null) return xs as readonly V[];
    if (xs.includes("all")) return items;
    return xs.every((x) => (items as readonly string[]).includes(x)) ? ([...new Set(xs)] as V[]) : undefined;
  };
  const p: Parser<readonly V[]> = {
    kind: "list",
    accepts: items === null ? `items separated by '${separator}'` : `'${separator}'-separated: ${[...items, "all"].join(", ")}`,
    fromEnv(raw) {
      const xs = raw
        .split(separator)
        .map((x) => x.trim())
        .filter((x) => x !== "");
      return ok(items === null ? xs : xs.map((x) => x.toLowerCase()));
    },
    fromValue(value) {
      if (typeof value === "string") return p.fromEnv(value);
      return Array.isArray(value) && value.every((x) => typeof x === "string") ? ok(value as string[]) : undefined;
    },
    show: (v) => (v.length === 0 ? "(none)" : v.join(separator)),
  };
  return p;
}

/**
 * Whole numbers >= 0 separated by commas (GPU ordinals, per-GPU amounts). With `nullable`, null (the
 * default) stands for "not configured".
 */
function integers(nullable: true): Parser<readonly number[] | null>;
function integers(nullable: false): Parser<readonly number[]>;
function integers(nullable: boolean): Parser<readonly number[] | null> {
  const ok = (xs: readonly unknown[]) => (xs.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 0) ? (xs as number[]) : undefined);
  const p: Parser<readonly number[] | null> = {
    kind: "list",
    accepts: "integers >= 0 separated by ','",
    fromEnv(raw) {
      const xs = raw
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "");
      return xs.every((x) => /^\d+$/.test(x)) ? xs.map(Number) : undefined;
    },
    fromValue(value) {
      if (value === null && nullable) return null;
      if (typeof value === "string") return p.fromEnv(value);
      return Array.isArray(value) ? ok(value) : undefined;
    },
    show: (v) => (v === null ? "(all)" : v.length === 0 ? "(none)" : v.join(",")),
  };
  return p;
}

/**
 * A file or directory. "" (the default) lets tsflow search; with `canTurnOff`, "off" (also written none,
 * 0, false, no) turns the library it names off.
 */
function path(canTurnOff: boolean): Parser<string> {
  const norm = (s: string) => (canTurnOff && [...OFF_WORDS, "none"].includes(s.toLowerCase()) ? "off" : s);
  return {
    kind: "path",
    accepts: canTurnOff ? "a path, or off/none/0/false/no" : "a path",
    fromEnv: norm,
    fromValue(value) {
      if (value === null) return "";
      if (value === false && canTurnOff) return "off";
      return typeof value === "string" ? norm(value.trim()) : undefined;
    },
    show: (v) => (v === "" ? "(automatic)" : v),
  };
}

// ---------------------------------------------------------------- the schema

/**
 * When a library reads a setting once, as it loads: changing the setting after that has no effect, so
 * setSetting refuses it. "blas": the first CPU matrix product; "cuda": the first question about GPUs (the
 * driver, NVRTC and cuBLAS load); "gpu": the first GPU op (the device context is created).
 */
export type LoadPhase = "blas" | "cuda" | "gpu";
const PHASE_TEXT: Record<LoadPhase, string> = {
  blas: "the CPU BLAS was loaded",
  cuda: "the CUDA libraries were loaded",
  gpu: "the first GPU was initialized",
};

export interface SettingRow<T> {
  /** The environment variable read for it, or null where only tf.config sets it. */
  readonly env: string | null;
  readonly parser: Parser<T>;
  readonly default: T;
  readonly description: string;
  /** The TensorFlow call that reads or writes it, where TensorFlow has one. */
  readonly tfConfig?: string;
  readonly before?: LoadPhase;
  /** An older variable still read (with a one-time notice) when `env` is unset: a true switch means `value`. */
  readonly deprecatedEnv?: { readonly name: string; readonly value: T };
}

/** A schema row, its value type taken from the parser alone (so that a default "gpu" stays one of its values). */
const row = <T>(r: { readonly parser: Parser<T> } & Omit<SettingRow<NoInfer<T>>, "parser">): SettingRow<T> => r as SettingRow<T>;

/** Topics of TSFLOW_DEBUG. */
const DEBUG_TOPICS = ["placement", "plan", "kernels", "cuda"] as const;
export type DebugTopic = (typeof DEBUG_TOPICS)[number];

export const SETTINGS = {
  logLevel: row({
    env: "TSFLOW_LOG_LEVEL",
    parser: integer(0, 3),
    default: 1,
    description:
      'The least severe notice printed on stderr, as TF_CPP_MIN_LOG_LEVEL: 0 all (INFO too, such as "no CUDA GPU"), 1 WARNING and ERROR, 2 ERROR only, 3 none (core/logging.ts).',
  }),
  debug: row({
    env: "TSFLOW_DEBUG",
    parser: list(DEBUG_TOPICS, ","),
    default: [],
    description:
      "Diagnostics on stderr/stdout: `placement` the device of each op, `plan` each compiled Session plan, `kernels` CPU fallbacks and kernel choices, `cuda` generated CUDA sources and cuDNN choices; `all` for every topic.",
    tfConfig: "`tf.debugging.setLogDevicePlacement` (the `placement` topic)",
    deprecatedEnv: { name: "TSFLOW_CUDA_DEBUG", value: ["kernels", "cuda"] },
  }),
  softPlacement: row({
    env: null,
    parser: boolean,
    default: true,
    description: "An eager op asking for a device that is missing or has no kernel for it runs on the CPU instead of failing.",
    tfConfig: "`tf.config.setSoftDevicePlacement` / `getSoftDevicePlacement`",
  }),
  constantFolding: row({
    env: "TSFLOW_CONSTANT_FOLDING",
    parser: boolean,
    default: true,
    description:
      "Session plans compute a node whose inputs are all constants (or whose value depends only on a fully known input shape, as OnesLike) once per session and device, and reuse the value at every later run, launching nothing for it.",
    tfConfig: "`tf.config.optimizer.setExperimentalOptions({ constant_folding })`",
  }),
  fusion: row({
    env: "TSFLOW_FUSION",
    parser: oneOf(["off", "gpu", "all"], { ...offWords("off"), none: "off", ...onWords("all") }),
    default: "gpu",
    description:
      "Which devices' Session plans fuse elementwise chains into one generated kernel. `gpu`: GPUs only (fused JS loops measured slower than the WebAssembly SIMD kernels on the CPU); `all`: every device.",
    tfConfig: '`tf.config.optimizer.setJit` / `getJit` (`"autoclustering"` turns `off` into `gpu`, `false` gives `off`)',
  }),
  epilogues: row({
    env: "TSFLOW_EPILOGUES",
    parser: boolean,
    default: true,
    description:
      "Session plans compute MatMul or Conv2D + bias (+ Relu) as one product with a bias epilogue where the backend offers one (cuBLASLt for MatMul; the CPU's direct float32 convolutions for Conv2D).",
    tfConfig: "`tf.config.optimizer.setExperimentalOptions({ remapping })`",
  }),
  foldGradientCasts: row({
    env: "TSFLOW_FOLD_GRADIENT_CASTS",
    parser: boolean,
    default: true,
    description:
      "Mixed precision: a Session plan drops the Cast of a float16/bfloat16 gradient to float32 that only feeds a float32 variable's update (ApplyGradientDescent, ApplyMomentum, ApplyAdam), and the update reads the 16-bit gradient itself, widening it exactly (same results), where the device's update kernel takes it.",
  }),
  groupUpdates: row({
    env: "TSFLOW_GROUP_UPDATES",
    parser: boolean,
    default: true,
    description: "Optimizer updates of many variables on one device run as one grouped kernel (Sessions and eager `applyGradients`).",
  }),
  cudaGraphs: row({
    env: "TSFLOW_CUDA_GRAPHS",
    parser: boolean,
    default: true,
    description: "Session steps run again with the same feeds on one GPU are captured as a CUDA graph and replayed.",
  }),
  lossScaleSkip: row({
    env: "TSFLOW_LOSS_SCALE_SKIP",
    parser: oneOf(["select", "cond"]),
    default: "select",
    description:
      "How a graph step with dynamic loss scaling skips an update whose gradients are not all finite (read when the step is built): `select` runs the update and ends every variable it writes at where(finite, new, old), with no branch, so that a GPU step can be captured as a CUDA graph; `cond` puts the update in a tf.cond branch, as TensorFlow does (a skipped step computes nothing, but the branch is read on the host).",
  }),
  wasm: row({
    env: "TSFLOW_WASM",
    parser: oneOf(["auto", "force", "off"], { ...offWords("off"), none: "off" }),
    default: "auto",
    description:
      "WebAssembly SIMD kernels of the CPU backend (elementwise ops, pooling, float32 convolutions with few output channels, and the matrix products when no BLAS is loaded): `auto` above size thresholds, `force` at every size, `off` (also `none`) never (TypeScript loops, BLAS products).",
  }),
  threads: row({
    env: "TSFLOW_NUM_THREADS",
    parser: integer(0),
    default: 0,
    description:
      "Threads inside one CPU op: the WebAssembly matrix products (used when no BLAS is loaded) and convolutions, and a loaded BLAS (OpenBLAS); 0: one per core (`os.availableParallelism()`), and the BLAS its own count (`OPENBLAS_NUM_THREADS` or one per core).",
    tfConfig: "`tf.config.threading.setIntraOpParallelismThreads` / `getIntraOpParallelismThreads`",
  }),
  relaxedSimd: row({
    env: "TSFLOW_RELAXED_SIMD",
    parser: boolean,
    default: true,
    description:
      "The CPU backend's WebAssembly matrix products and convolutions use relaxed SIMD's fused multiply-add (1.5x the separate multiply and add on x86-64). Node 20 and 21 have relaxed SIMD behind V8's `--experimental-wasm-relaxed-simd`, which tsflow then turns on as it builds those kernels; off: plain SIMD (a multiply and an add).",
    before: "blas",
  }),
  blas: row({
    env: "TSFLOW_BLAS",
    parser: path(true),
    default: "",
    description:
      "The CBLAS library for CPU matrix products and convolutions; empty: search for OpenBLAS (Accelerate on macOS); `off`: the built-in WebAssembly SIMD kernels (the same when no library is found).",
    before: "blas",
  }),
  cuda: row({
    env: "TSFLOW_CUDA",
    parser: boolean,
    default: true,
    description: "Use NVIDIA GPUs when a driver is found; off: everything runs on the CPU, without a notice.",
    before: "cuda",
  }),
  cudaLibs: row({
    env: "TSFLOW_CUDA_LIBS",
    parser: list(null, ":"),
    default: [],
    description: "Directories searched first for libcuda, NVRTC, cuBLAS and cuDNN (then `CUDA_PATH`, `CUDA_HOME`, /usr/local/cuda, the system's).",
    before: "cuda",
  }),
  cudaDriver: row({
    env: "TSFLOW_CUDA_DRIVER",
    parser: path(false),
    default: "",
    description: "The one libcuda.so.1 file to load (tests point it at a missing file to simulate a machine without a driver).",
    before: "cuda",
  }),
  cublasLt: row({
    env: "TSFLOW_CUBLASLT",
    parser: boolean,
    default: true,
    description: "Use cuBLASLt for matmuls with epilogues where present; off: plain cuBLAS and separate bias kernels.",
    before: "cuda",
  }),
  cudaCache: row({
    env: "TSFLOW_CUDA_CACHE",
    parser: path(true),
    default: "",
    description: "Directory of compiled CUDA kernels; empty: `$XDG_CACHE_HOME/tsflow/cuda` or `~/.cache/tsflow/cuda`; `off`: no disk cache.",
    before: "gpu",
  }),
  tf32: row({
    env: null,
    parser: boolean,
    default: true,
    description: "TF32 tensor cores for float32 matmuls, cuDNN convolutions and cuDNN LSTMs and GRUs (Ampere and newer), as TensorFlow's default.",
    tfConfig: "`tf.config.experimental.enableTensorFloat32Execution` / `tensorFloat32ExecutionEnabled`",
  }),
  opDeterminism: row({
    env: "TSFLOW_DETERMINISTIC_OPS",
    parser: boolean,
    default: false,
    description:
      "Deterministic GPU kernels only: cuDNN convolutions take the fastest algorithm whose sums have a fixed order, not the fastest of all (TensorFlow's TF_DETERMINISTIC_OPS).",
    tfConfig: "`tf.config.experimental.enableOpDeterminism`",
  }),
  convTf32: row({
    env: null,
    parser: boolean,
    default: false,
    description: "TF32 for the products inside tsflow's own im2col convolutions (short, memory-bound patches gain little).",
  }),
  convAlgorithm: row({
    env: null,
    parser: oneOf(["auto", "direct", "im2col"]),
    default: "auto",
    description: "Convolutions on GPUs: `auto` chooses by size and lets cuDNN take what it serves; `direct` / `im2col` force tsflow's own kernels.",
  }),
  cudnn: row({
    env: "TSFLOW_CUDNN",
    parser: boolean,
    default: true,
    description:
      "cuDNN for the convolutions and pooling it serves faster and for whole LSTM and GRU sequences (LSTMSequence, GRUSequence with resetAfter), where libcudnn is present; off: tsflow's own kernels (an LSTMSequence or GRUSequence then runs on the CPU).",
  }),
  cudnnGraph: row({
    env: "TSFLOW_CUDNN_GRAPH",
    parser: oneOf(["off", "on", "auto"], { ...offWords("off"), ...onWords("on") }),
    default: "auto",
    description:
      "Convolutions through cuDNN's graph (backend) API, autotuned over its engine configurations: `on` takes the fastest engine (the legacy API where none works), `auto` the faster of that engine and the legacy API's algorithm, `off` the legacy API only. float64 stays on the legacy API.",
  }),
  maxTensorMb: row({
    env: "TSFLOW_MAX_TENSOR_MB",
    parser: integer(0),
    default: 0,
    description:
      "The largest tensor (MiB) an op may allocate, on any device; a larger one is a ResourceExhaustedError raised before allocating. 0: on the host, half of the machine's memory; on a GPU, what the device holds.",
  }),
  cudnnWorkspaceMb: row({
    env: "TSFLOW_CUDNN_WORKSPACE_MB",
    parser: integer(0),
    default: 4096,
    description:
      "The most workspace memory (MiB) a cuDNN algorithm may use (for convolution shapes first met after a change); TensorFlow's default limit. The search takes less where the device has less free.",
  }),
  visibleGpus: row({
    env: null,
    parser: integers(true),
    default: null,
    description: "Physical GPU ordinals that become GPU:0, GPU:1, ...; null: all of them.",
    tfConfig: "`tf.config.setVisibleDevices` / `getVisibleDevices`",
    before: "gpu",
  }),
  gpuMemoryGrowth: row({
    env: null,
    parser: integers(false),
    default: [],
    description: "Physical GPU ordinals with memory growth on (recorded; tsflow always allocates as tensors need memory).",
    tfConfig: "`tf.config.experimental.setMemoryGrowth` / `getMemoryGrowth`",
    before: "gpu",
  }),
  gpuMemoryLimitMb: row({
    env: null,
    parser: integers(false),
    default: [],
    description: "Per physical GPU (by ordinal), the MiB its allocator may hold; 0 or missing: no limit.",
    tfConfig: "`tf.config.setLogicalDeviceConfiguration` / `getLogicalDeviceConfiguration`",
    before: "gpu",
  }),
};

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K] extends SettingRow<infer T> ? T : never;
/** Every setting by key: what tf.config.experimental.getTsflowOptions returns. */
export type SettingValues = { -readonly [K in SettingKey]: SettingValue<K> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

// ---------------------------------------------------------------- values

const UNREAD: unique symbol = Symbol("unread");
// Every key present from the start (one object shape), UNREAD until first asked for.
const current = Object.fromEntries(SETTING_KEYS.map((k) => [k, UNREAD])) as Record<SettingKey, unknown>;
const loadedPhases = new Set<LoadPhase>();
/** The TSFLOW_DEBUG topics as booleans, kept in step with the `debug` setting (read on hot paths). */
const debugFlags: Record<DebugTopic, boolean> = { placement: false, plan: false, kernels: false, cuda: false };

/**
 * A WARNING about a setting's value. The logLevel check is core/logging.ts's, written out here because that
 * module reads this table; a bad TSFLOW_LOG_LEVEL itself is always reported (its level is not known yet).
 */
function notice(key: SettingKey, text: string): void {
  if (key !== "logLevel" && getSetting("logLevel") > 1) return;
  if (typeof process !== "undefined") process.stderr.write(`tsflow: ${text}\n`);
}

function envValue(name: string): string | undefined {
  const raw = typeof process === "undefined" ? undefined : process.env[name];
  const s = raw?.trim();
  return s ? s : undefined;
}

function readEnv<T>(key: SettingKey, r: SettingRow<T>): T {
  if (r.env === null) return r.default;
  const raw = envValue(r.env);
  if (raw !== undefined) {
    const v = r.parser.fromEnv(raw);
    if (v !== undefined) return v;
    notice(key, `${r.env}=${JSON.stringify(raw)} is not valid (accepted: ${r.parser.accepts}); using the default, ${r.parser.show(r.default)}`);
    return r.default;
  }
  const old = r.deprecatedEnv;
  const oldRaw = old ? envValue(old.name) : undefined;
  if (old && oldRaw !== undefined) {
    const on = boolean.fromEnv(oldRaw);
    notice(
      key,
      `${old.name} is deprecated; use ${r.env}=${r.parser.show(old.value)}${on === undefined ? ` (${old.name}=${JSON.stringify(oldRaw)} is not valid: accepted ${boolean.accepts}; ignored)` : ""}`,
    );
    if (on) return old.value;
  }
  return r.default;
}

function assign(key: SettingKey, value: unknown): void {
  current[key] = value;
  if (key === "debug") for (const t of DEBUG_TOPICS) debugFlags[t] = (value as readonly string[]).includes(t);
}

function load(key: SettingKey): unknown {
  assign(key, readEnv(key, SETTINGS[key] as SettingRow<unknown>));
  return current[key];
}

/** The value of a setting: from its environment variable the first time, then as last set. */
export function getSetting<K extends SettingKey>(key: K): SettingValue<K> {
  const v = current[key];
  return (v === UNREAD ? load(key) : v) as SettingValue<K>;
}

/** Whether a TSFLOW_DEBUG topic is on (cheap enough for per-op paths: one flag read). */
export function debugOn(topic: DebugTopic): boolean {
  if (current.debug === UNREAD) load("debug");
  return debugFlags[topic];
}

/**
 * Changes a setting at run time. The value is the setting's own type, or a string written as in its
 * environment variable. Raises InvalidArgumentError for a value the setting does not take, and
 * FailedPreconditionError when the library that reads it has loaded already and the value differs.
 */
export function setSetting<K extends SettingKey>(key: K, value: SettingValue<K> | string): void {
  const r = SETTINGS[key] as SettingRow<unknown> | undefined;
  if (!r) throw new InvalidArgumentError(`Unknown tsflow setting '${String(key)}'; known: ${SETTING_KEYS.join(", ")}`);
  const v = r.parser.fromValue(value);
  if (v === undefined) {
    throw new InvalidArgumentError(`tsflow setting ${key}: ${JSON.stringify(value)} is not valid (accepted: ${r.parser.accepts})`);
  }
  if (r.before && loadedPhases.has(r.before) && JSON.stringify(v) !== JSON.stringify(getSetting(key))) {
    const how = r.tfConfig ?? (r.env ? `${r.env} in the environment` : `the ${key} setting`);
    throw new FailedPreconditionError(
      `tsflow setting ${key} cannot be modified after being initialized (${PHASE_TEXT[r.before]}); set it before, e.g. with ${how}`,
    );
  }
  assign(key, v);
}

/** Every setting's current value (reads the environment for those not read yet). */
export function allSettings(): SettingValues {
  const out = {} as Record<SettingKey, unknown>;
  for (const k of SETTING_KEYS) out[k] = getSetting(k);
  return out as SettingValues;
}

/** Called by a library as it loads: settings marked `before` this phase are frozen from now on. */
export function markLoaded(phase: LoadPhase): void {
  loadedPhases.add(phase);
}
