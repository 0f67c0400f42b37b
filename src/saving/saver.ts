/**
 * tf.compat.v1.train.Saver: TensorFlow 1's name-based checkpoints. Keys are the variables' op names ("W",
 * "layer1/weights", "W/Adam"); files are a tensor bundle (io/tensor_bundle.ts) at `<prefix>[-<step>]`.
 * Saving reads every variable in one Session.run and streams the values into the bundle; restoring reads
 * and checks every tensor first (presence, dtype, shape) and then assigns them all in one run of restore
 * ops the saver adds to the graph once (placeholders + Assign under "save/"), so a failed restore changes
 * nothing. Order of writes: the bundle (data files, then the .index as its commit point), then the
 * `checkpoint` file, and only then are checkpoints beyond maxToKeep deleted: a kill at any point leaves
 * the `checkpoint` file naming a complete checkpoint.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { create } from "@bufbuild/protobuf";
import type { Handle } from "../core/backend.js";
import type { DType, Values } from "../core/dtype.js";
import { InvalidArgumentError, NotFoundError } from "../core/errors.js";
import { isFullyDefined, shapeStr } from "../core/shape.js";
import { ArgsOf, declare, K, kind, optional, parseArgs, signature, withDefault } from "../core/signature.js";
import { executingEagerly } from "../core/context.js";
import { defaultBackend } from "../core/devices.js";
import { EagerTensor } from "../eager/tensor.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { GraphKeys, type Graph } from "../graph/graph.js";
import type { Operation } from "../graph/operation.js";
import { group, placeholder } from "../graph/state_ops.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { graphToGraphDef } from "../graph/graph_def.js";
import { BundleReader, BundleWriter, type BundleValues, hostValues } from "../io/tensor_bundle.js";
import { SaverDefSchema } from "../proto/tensorflow/core/protobuf/saver_pb.js";
import type { Session } from "../runtime/session.js";
import { Variable } from "../variables/variable.js";
import { checkpointExists, updateCheckpointState } from "./checkpoint_state.js";
import { exportMetaGraph } from "./meta_graph.js";
import { appendSaveSubgraph } from "./save_subgraph.js";

type VarList = readonly Variable[] | { readonly [key: string]: Variable };

const saverSignature = signature(
  "compat.v1.train.Saver",
  "Saves and restores variables in TensorFlow 1's name-based checkpoints (tensor bundle files keyed by variable op names).",
  [
    optional(
      "varList",
      kind<VarList>("Variable[] | {[name: string]: Variable}"),
      "The variables, or a map from checkpoint key to variable; default: all global variables.",
    ),
    withDefault("reshape", K.boolean, false, "Restore a saved tensor into a variable of another shape with the same number of elements."),
    withDefault("sharded", K.boolean, false, "Write one data file per device."),
    withDefault("maxToKeep", kind<number | null>("number | null"), 5, "How many recent checkpoints to keep (0 or null: all)."),
    withDefault("keepCheckpointEveryNHours", K.number, 10000, "Also keep one checkpoint per this many hours."),
    optional("name", K.string, 'The name scope of the restore ops (default "save").'),
    withDefault("restoreSequentially", K.boolean, false, "No effect: restores are one step."),
    withDefault("allowEmpty", K.boolean, false, "Allow a saver with no variables (save and restore then do nothing)."),
    withDefault("padStepNumber", K.boolean, false, "Write the global step as 8 digits (prefix-00000010)."),
    withDefault("saveRelativePaths", K.boolean, false, "Store paths in the checkpoint file relative to its directory."),
  ],
  { graph: true, args: (tf: { Variable: new (v: number, o: object) => unknown }) => [[new tf.Variable(1, { name: "v" })]] },
);

const saveSignature = signature("compat.v1.train.Saver.save", "Saves the variables; returns the checkpoint prefix written.", [
  optional("sess", kind<Session | null>("Session"), "The session holding the values (null when executing eagerly)."),
  optional("savePath", K.string, 'The checkpoint prefix (e.g. "/tmp/model.ckpt").'),
  optional("globalStep", kind<number | Variable | SymbolicTensor>("number | Variable | Tensor"), "Appended to the prefix as -<step>."),
  withDefault("latestFilename", K.string, "checkpoint", "The name of the checkpoint state file."),
  withDefault("metaGraphSuffix", K.string, "meta", "The suffix of the meta graph file."),
  withDefault("writeMetaGraph", K.boolean, true, "Write <prefix>.meta, the MetaGraphDef of the variables' graph (tf.train.exportMetaGraph), in graph mode."),
  withDefault("writeState", K.boolean, true, "Update the checkpoint state file."),
]);

const restoreSignature = signature("compat.v1.train.Saver.restore", "Restores every variable from a checkpoint, or none of them on error.", [
  optional("sess", kind<Session | null>("Session"), "The session to restore into (null when executing eagerly)."),
  optional("savePath", K.string, "The checkpoint prefix, e.g. tf.train.latestCheckpoint(dir)."),
]);

interface RestoreOp {
  placeholders: SymbolicTensor[];
  /** One Assign per variable, and their group (save/restore_all). */
  assigns: Operation[];
  op: Operation;
}

/** The checkpoint key of a variable: its op name (TensorFlow 1's Saver). */
function keyOf(v: Variable): string {
  return v.graph !== null ? v.op.name : v.name.replace(/:\d+$/, "");
}

export class Saver {
  readonly #vars: [string, Variable][];
  readonly #reshape: boolean;
  readonly #sharded: boolean;
  readonly #maxToKeep: number;
  readonly #keepEveryHours: number;
  readonly #scope: string;
  readonly #padStep: boolean;
  readonly #relative: boolean;
  #last: [string, number][] = [];
  #nextKeepTime: number;
  #restore: RestoreOp | null = null;

  constructor(...args: ArgsOf<typeof saverSignature>) {
    const [varList, reshape, sharded, maxToKeep, keepHours, name, , allowEmpty, padStep, relative] = parseArgs(saverSignature, args);
    let list: VarList;
    if (varList !== undefined) list = varList;
    else if (executingEagerly()) throw new InvalidArgumentError("tf.train.Saver: when eager execution is enabled, varList must give the variables to save");
    else list = [...getDefaultGraph().getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES), ...getDefaultGraph().getCollection<Variable>("saveable_objects")];
    const entries: [string, Variable][] = Array.isArray(list)
      ? (list as readonly Variable[]).map((v) => [keyOf(v), v])
      : Object.entries(list as { [key: string]: Variable });
    const seen = new Map<string, Variable>();
    for (const [k, v] of entries) {
      if (!(v instanceof Variable)) throw new InvalidArgumentError(`tf.train.Saver: varList entry "${k}" is not a Variable`);
      const prev = seen.get(k);
      if (prev !== undefined && prev !== v) throw new InvalidArgumentError(`tf.train.Saver: at least two variables have the same name: ${k}`);
      seen.set(k, v);
    }
    if (seen.size === 0 && !allowEmpty) throw new InvalidArgumentError("tf.train.Saver: no variables to save");
    this.#vars = [...seen];
    this.#reshape = reshape;
    this.#sharded = sharded;
    this.#maxToKeep = maxToKeep ?? 0;
    this.#keepEveryHours = keepHours;
    this.#scope = name ?? "save";
    this.#padStep = padStep;
    this.#relative = relative;
    this.#nextKeepTime = Date.now() / 1000 + keepHours * 3600;
  }

  /** The checkpoints this saver keeps, oldest first. */
  get lastCheckpoints(): string[] {
    return this.#last.map(([p]) => p);
  }

  /** Takes over the list of kept checkpoints (e.g. after a restart), with their timestamps now unknown. */
  setLastCheckpoints(paths: readonly string[]): void {
    this.#last = paths.map((p) => [p, Date.now() / 1000]);
  }

  /** Takes over the checkpoints that still exist among `paths` (from getCheckpointState's allModelCheckpointPaths). */
  recoverLastCheckpoints(paths: readonly string[]): void {
    this.setLastCheckpoints(paths.filter(checkpointExists));
  }

  save(...args: ArgsOf<typeof saveSignature>): string {
    const [sess, savePathArg, globalStep, latestFilename, metaGraphSuffix, writeMetaGraph, writeState] = parseArgs(saveSignature, args);
    if (savePathArg === undefined || savePathArg === "") throw new InvalidArgumentError("Saver.save: savePath is required");
    let prefix = path.resolve(savePathArg);
    if (globalStep !== undefined) {
      const step = typeof globalStep === "number" ? globalStep : Number(this.#fetch(sess, [globalStep as Variable])[0][0]);
      prefix = `${prefix}-${this.#padStep ? String(step).padStart(8, "0") : step}`;
    }
    const dir = path.dirname(prefix);
    if (!fs.existsSync(dir)) throw new NotFoundError(`Parent directory of ${savePathArg} doesn't exist, can't save.`);
    const values = this.#saveValues(sess);
    const writer = new BundleWriter(prefix, { numShards: this.#sharded ? this.#numDevices() : 1 });
    try {
      this.#vars.forEach(([key, v], i) => {
        writer.add(key, v.dtype, v.shape as number[], values[i] as BundleValues);
      });
      writer.finish();
    } catch (e) {
      writer.abort();
      throw e;
    }
    // TensorFlow 1's Saver writes the meta graph beside the data, before the checkpoint file names them.
    if (writeMetaGraph && !executingEagerly()) {
      const graph = this.#vars.find(([, v]) => v.graph !== null)?.[1].graph ?? getDefaultGraph();
      // With the save/ subgraph and its SaverDef, as TensorFlow writes them (its import_meta_graph builds the Saver from them).
      const graphDef = graphToGraphDef(graph);
      const saverDef = appendSaveSubgraph(
        graphDef,
        this.#vars.map(([key, v]) => ({ key, node: v.op.name, dtype: v.dtype })),
        { maxToKeep: this.#maxToKeep, keepCheckpointEveryNHours: this.#keepEveryHours },
      );
      exportMetaGraph(`${prefix}.${metaGraphSuffix}`, { graph, graphDef, saverDef: create(SaverDefSchema, saverDef) });
    }
    if (writeState) {
      const now = Date.now() / 1000;
      const dropped = this.#record(prefix, now);
      updateCheckpointState(dir, {
        modelCheckpointPath: prefix,
        allModelCheckpointPaths: this.lastCheckpoints,
        allModelCheckpointTimestamps: this.#last.map(([, t]) => t),
        lastPreservedTimestamp: this.#nextKeepTime - this.#keepEveryHours * 3600,
        saveRelativePaths: this.#relative,
        latestFilename,
      });
      for (const p of dropped) deleteCheckpoint(p);
    }
    return prefix;
  }

  restore(...args: ArgsOf<typeof restoreSignature>): void {
    const [sess, savePath] = parseArgs(restoreSignature, args);
    if (savePath === undefined || savePath === null || savePath === "") throw new InvalidArgumentError("Can't load save_path when it is None.");
    if (!checkpointExists(savePath)) throw new NotFoundError(`The passed save_path is not a valid checkpoint: ${savePath}`);
    const reader = BundleReader.open(savePath);
    const missing = this.#vars.filter(([k]) => !reader.has(k)).map(([k]) => k);
    if (missing.length > 0) {
      throw new NotFoundError(
        `Restoring from checkpoint failed: ${missing.length} variable(s) not found in checkpoint ${savePath}: ${missing.join(", ")}. ` +
          `The checkpoint holds: ${reader.keys().slice(0, 20).join(", ")}${reader.keys().length > 20 ? ", ..." : ""}`,
      );
    }
    if (this.#vars.length === 0) return;
    const eager = this.#vars.every(([, v]) => v.graph === null);
    const s = eager ? null : requireSession(sess, "restore");
    // Check everything before assigning anything. A variable whose buffer nothing else shares is restored
    // in place (its bytes verified against the CRC first, then read straight into its memory): no fresh
    // memory, which costs a page fault per 4 KiB. The others get new buffers, assigned in one step.
    const fresh = new Map<number, Values>();
    const inPlace: [string, Uint8Array][] = [];
    this.#vars.forEach(([key, v], i) => {
      const { dtype, shape } = reader.entry(key);
      if (dtype !== v.dtype) {
        throw new InvalidArgumentError(`tensor_name = ${key}; expected dtype ${v.dtype} does not equal original dtype ${dtype} (checkpoint ${savePath})`);
      }
      const vs = v.shape;
      const same = vs !== null && vs.length === shape.length && vs.every((d, i) => d === null || d === shape[i]);
      const sameCount = vs !== null && isFullyDefined(vs) && (vs as number[]).reduce((a, b) => a * b, 1) === shape.reduce((a, b) => a * b, 1);
      if (!same && !(this.#reshape && sameCount)) {
        throw new InvalidArgumentError(
          `Restoring ${key} from ${savePath}: Assign requires shapes of both tensors to match. lhs shape= ${shapeStr(vs)} rhs shape= [${shape.join(",")}]`,
        );
      }
      const target = overwritable(s === null ? (v.value() as EagerTensor).handle : s.variableHandle(v.op), this.#reshape ? (v.shape as number[]) : shape);
      if (target !== null && dtype !== "string" && target.byteLength === Number(reader.protoEntry(key).size)) {
        reader.verify(key);
        inPlace.push([key, new Uint8Array(target.buffer, target.byteOffset, target.byteLength)]);
      } else {
        fresh.set(i, hostValues(reader.read(key)));
      }
    });
    if (fresh.size > 0) this.#assignFresh(s, fresh, reader);
    // Every tensor was verified: only an I/O error of the disk itself can stop this loop part way.
    for (const [key, into] of inPlace) reader.readInto(key, into);
  }

  /** Assigns new buffers to the variables numbered in `values`, eagerly or in one run of the restore ops. */
  #assignFresh(s: Session | null, values: Map<number, Values>, reader: BundleReader): void {
    if (s === null) {
      for (const [i, vals] of values) {
        const v = this.#vars[i][1];
        v.assign(new EagerTensor(hostTensor(vals, v)));
      }
      return;
    }
    const r = this.#restoreOp(s.graph);
    // Fed as tensors wrapping the arrays just read: a typed array would be copied into a new buffer.
    const feed = new Map<SymbolicTensor, EagerTensor>();
    const assigns: Operation[] = [];
    for (const [i, vals] of values) {
      const [key, v] = this.#vars[i];
      const shape = reader.entry(key).shape;
      feed.set(r.placeholders[i], new EagerTensor(defaultBackend().write(vals, v.dtype, this.#reshape ? (v.shape as number[]) : shape)));
      assigns.push(r.assigns[i]);
    }
    try {
      s.run(assigns.length === this.#vars.length ? r.op : assigns, feed);
    } finally {
      for (const t of feed.values()) t.dispose();
    }
  }

  /** The values of `vars`, read in one session run (or eagerly). */
  #fetch(sess: Session | null | undefined, vars: readonly (Variable | SymbolicTensor)[]): Values[] {
    if (vars.every((v) => v instanceof Variable && v.graph === null)) {
      return vars.map((v) => (v as Variable).value().dataSync());
    }
    const s = requireSession(sess, "save");
    const fetched = s.run(vars.map((v) => (v instanceof Variable ? v.ref : v))) as EagerTensor[];
    try {
      return fetched.map((t) => t.dataSync());
    } finally {
      for (const t of fetched) t.dispose();
    }
  }

  /**
   * The variables' values to save, straight from their buffers where the backend keeps them in host memory
   * (no step, no copy; valid until the next run); otherwise (a GPU, an uninitialized variable, whose error
   * the step raises) through #fetch.
   */
  #saveValues(sess: Session | null | undefined): Values[] {
    const vars = this.#vars.map(([, v]) => v);
    const eager = vars.every((v) => v.graph === null);
    const handles = eager
      ? vars.map((v) => (v.value() as EagerTensor).handle)
      : sess
        ? vars.map((v) => (v.graph === null ? undefined : sess.variableHandle(v.op)))
        : [];
    const direct = handles.map((h) => (h === undefined ? null : (h.backend.hostValues?.(h, "read") ?? null)));
    if (handles.length === vars.length && direct.every((d) => d !== null)) return direct as Values[];
    return this.#fetch(sess, vars);
  }

  #numDevices(): number {
    return Math.max(1, new Set(this.#vars.map(([, v]) => (v.graph !== null ? v.op.device : ""))).size);
  }

  /** Placeholders and Assign ops for every variable, added to the graph once. */
  #restoreOp(g: Graph): RestoreOp {
    if (this.#restore !== null) return this.#restore;
    this.#restore = g.asDefault(() =>
      g.nameScope(this.#scope, () => {
        const placeholders: SymbolicTensor[] = [];
        const assigns: Operation[] = [];
        this.#vars.forEach(([, v], i) => {
          const ph = placeholder(v.dtype, v.shape, `Placeholder_${i}`) as SymbolicTensor;
          placeholders.push(ph);
          assigns.push((v.assign(ph, undefined, `Assign_${i}`) as SymbolicTensor).op);
        });
        const op = group(assigns as never, { name: "restore_all" }) as Operation;
        return { placeholders, assigns, op };
      }),
    );
    return this.#restore;
  }

  /** Records a new checkpoint; returns those that fell out of the kept window (to delete once it is safe). */
  #record(prefix: string, now: number): string[] {
    if (this.#maxToKeep <= 0) return [];
    this.#last = this.#last.filter(([p]) => p !== prefix);
    this.#last.push([prefix, now]);
    const dropped: string[] = [];
    while (this.#last.length > this.#maxToKeep) {
      const [p, t] = this.#last.shift() as [string, number];
      if (t > this.#nextKeepTime) {
        this.#nextKeepTime += this.#keepEveryHours * 3600;
        continue; // preserved: one checkpoint per keepCheckpointEveryNHours
      }
      dropped.push(p);
    }
    return dropped;
  }
}
declare(Saver, saverSignature);
declare(Saver.prototype.save, saveSignature);
declare(Saver.prototype.restore, restoreSignature);

function requireSession(sess: Session | null | undefined, what: string): Session {
  if (sess === undefined || sess === null) throw new InvalidArgumentError(`Saver.${what}: a Session is required for graph variables`);
  return sess;
}

/** The host array of `h` to restore into in place, when its backend offers one and it has `shape`; else null. */
function overwritable(h: Handle | undefined, shape: readonly number[]): Exclude<Values, string[]> | null {
  if (h === undefined || h.shape.length !== shape.length || h.shape.some((d, i) => d !== shape[i])) return null;
  const vals = h.backend.hostValues?.(h, "overwrite") ?? null;
  return vals === null || Array.isArray(vals) ? null : (vals as Exclude<Values, string[]>);
}

function hostTensor(values: Values, v: Variable) {
  return defaultBackend().write(values, v.dtype as DType, v.shape as number[]);
}

/** Removes the files of a V2 checkpoint (index, data shards, meta graph). */
export function deleteCheckpoint(prefix: string): void {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  // The .index first: without it the prefix no longer counts as a checkpoint, whatever is left.
  fs.rmSync(path.join(dir, `${base}.index`), { force: true });
  for (const n of names) {
    if (n.startsWith(`${base}.data-`) || n === `${base}.meta`) fs.rmSync(path.join(dir, n), { force: true });
  }
}
