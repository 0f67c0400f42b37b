/**
 * tf.app.flags (also tf.flags): TensorFlow 1's absl-style command-line flags, and tf.app.run.
 *
 *   const maxSteps = tf.app.flags.defineInteger("max_steps", 2000, "Number of steps to run trainer.");
 *   tf.app.flags.defineFloat("learning_rate", 0.01, "Initial learning rate.");
 *   tf.app.flags.defineBoolean("fake_data", false, "Use fake data for unit testing.");
 *   const FLAGS = tf.app.flags.FLAGS;
 *   ... FLAGS.learning_rate ... maxSteps.value ...
 *
 * As in TensorFlow and absl, the command line is parsed lazily, from process.argv, the first time a flag's value
 * is read (or assigned), or explicitly with `tf.app.flags.parse(args)` / `tf.app.run(main)`.
 *
 * Syntax (absl's): `--name=value`, `--name value` (the next argument is the value whatever it looks like),
 * booleans as `--name`, `--noname`, `--name=true|false|t|f|1|0`; a single leading dash works too (`-name=value`).
 * `--help`, `-h` (and `--helpshort`, `--helpfull`, `-?`) print a usage listing and exit with status 0 (absl
 * itself exits with 1). Arguments that are not flags are kept, in order, in `tf.app.flags.argv()`; `--` ends
 * flag parsing and everything after it is kept there untouched. Unknown flags and malformed values raise
 * tf.errors.InvalidArgumentError naming the flag and the value; defining a flag twice raises
 * tf.errors.AlreadyExistsError; reading a flag that was never defined raises tf.errors.NotFoundError.
 *
 * Where this differs from TensorFlow on purpose: TF 1's wrapper parses with absl's `known_only=True`, so unknown
 * flags are silently passed through to argv; here they are an error unless `parse(args, { knownOnly: true })`.
 */
import { basename } from "node:path";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "../core/errors.js";
import { declare, defineFunction, K, Kind, kind, optional, param, parseArgs, signature, withDefault } from "../core/signature.js";

export type FlagType = "integer" | "float" | "string" | "boolean";
type Scalar = number | string | boolean;

/** Bounds, help and `required` may be given by name in a trailing options object (API.md rule 2). */
export interface DefineOptions {
  help?: string;
  /** absl's `required=True`: parsing fails unless the flag ends up with a non-null value. */
  required?: boolean;
}
export interface NumericDefineOptions extends DefineOptions {
  lowerBound?: number;
  upperBound?: number;
}

export interface ParseOptions {
  /** Leave unknown flags in argv() instead of raising (what TensorFlow 1's own wrapper does). */
  knownOnly?: boolean;
  /** Called with 0 after `--help` has been printed. Default: process.exit. */
  exit?: (code: number) => void;
  /** Where `--help` writes its listing. Default: process.stdout. */
  write?: (text: string) => void;
  /** Program name shown in the usage line. Default: the script's file name (process.argv[1]). */
  program?: string;
}

interface FlagDef {
  readonly name: string;
  readonly type: FlagType;
  readonly help: string;
  readonly defaultValue: Scalar | null;
  readonly lowerBound?: number;
  readonly upperBound?: number;
  required: boolean;
  value: Scalar | null;
  present: boolean;
}

const HELP_NAMES = new Set(["help", "h", "helpshort", "helpfull", "?"]);
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const registry = new Map<string, FlagDef>();
let parsed = false;
let remaining: string[] = [];

// ---------------------------------------------------------------------------------------------------------------
// Values

function quote(text: string): string {
  return `'${text}'`;
}

function badValue(name: string, raw: string, expected: string): InstanceType<typeof InvalidArgumentError> {
  return new InvalidArgumentError(`Invalid value ${quote(raw)} for flag --${name}: expected ${expected}`);
}

/** absl's integer syntax: decimal with an optional sign, or 0x / 0o / 0b prefixed. */
function parseInteger(name: string, raw: string): number {
  const text = raw.trim();
  let value: number;
  if (/^[+-]?\d+$/.test(text)) value = Number(text);
  else if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(text) || /^[+-]?0[oO][0-7]+$/.test(text) || /^[+-]?0[bB][01]+$/.test(text)) {
    const negative = text.startsWith("-");
    value = Number(text.replace(/^[+-]/, ""));
    if (negative) value = -value;
  } else {
    throw badValue(name, raw, "an integer");
  }
  if (!Number.isSafeInteger(value)) {
    throw badValue(name, raw, `an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
  }
  return value;
}

/** Python float() syntax: decimal or exponent notation, `inf`, `infinity`, `nan` (any case, optional sign). */
function parseFloatValue(name: string, raw: string): number {
  const text = raw.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) {
    if (special[2]!.toLowerCase() === "nan") return Number.NaN;
    return special[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  throw badValue(name, raw, "a number");
}

function parseBooleanValue(name: string, raw: string): boolean {
  const text = raw.trim().toLowerCase();
  if (text === "true" || text === "t" || text === "1") return true;
  if (text === "false" || text === "f" || text === "0") return false;
  throw badValue(name, raw, "a boolean (true/false, t/f or 1/0)");
}

function parseValue(def: Pick<FlagDef, "name" | "type">, raw: string): Scalar {
  switch (def.type) {
    case "integer":
      return parseInteger(def.name, raw);
    case "float":
      return parseFloatValue(def.name, raw);
    case "boolean":
      return parseBooleanValue(def.name, raw);
    case "string":
      return raw;
  }
}

function checkBounds(def: Pick<FlagDef, "name" | "lowerBound" | "upperBound">, value: number, shown: string): void {
  const { lowerBound: lo, upperBound: hi } = def;
  if ((lo !== undefined && !(value >= lo)) || (hi !== undefined && !(value <= hi))) {
    throw new InvalidArgumentError(`Invalid value ${quote(shown)} for flag --${def.name}: expected ${rangeText(lo, hi)}`);
  }
}

function rangeText(lo: number | undefined, hi: number | undefined): string {
  if (lo !== undefined && hi !== undefined) return `a value in the range [${lo}, ${hi}]`;
  if (lo !== undefined) return `a value >= ${lo}`;
  return `a value <= ${hi}`;
}

/** Checks a JavaScript value (a default, or one assigned to FLAGS.name) against the flag's type and bounds. */
function coerce(def: Omit<FlagDef, "value" | "present" | "defaultValue" | "required">, value: unknown): Scalar | null {
  if (value === null) return null;
  if (typeof value === "string" && def.type !== "string") {
    const parsedValue = parseValue(def, value);
    if (typeof parsedValue === "number") checkBounds(def, parsedValue, value);
    return parsedValue;
  }
  const shown = typeof value === "string" ? value : String(value);
  switch (def.type) {
    case "integer":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) throw badValue(def.name, shown, "an integer");
      checkBounds(def, value, shown);
      return value;
    case "float":
      if (typeof value !== "number") throw badValue(def.name, shown, "a number");
      checkBounds(def, value, shown);
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw badValue(def.name, shown, "a boolean");
      return value;
    case "string":
      if (typeof value !== "string") throw badValue(def.name, shown, "a string");
      return value;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Definitions

/** What a define* call returns (absl's FlagHolder): a typed handle on one flag. */
export class FlagHolder<T extends Scalar | null> {
  constructor(readonly name: string) {}
  /** The flag's current value; reading it parses process.argv first if nothing has been parsed yet. */
  get value(): T {
    ensureParsed();
    return lookup(this.name).value as T;
  }
  get default(): T {
    return lookup(this.name).defaultValue as T;
  }
  /** Whether the flag was given on the command line. */
  get present(): boolean {
    return lookup(this.name).present;
  }
}

function lookup(name: string): FlagDef {
  const def = registry.get(name);
  if (!def) throw new NotFoundError(`Flag --${name} is not defined`);
  return def;
}

function define(type: FlagType, name: string, defaultValue: unknown, options: NumericDefineOptions): void {
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw new InvalidArgumentError(`Invalid flag name ${quote(String(name))}: expected letters, digits, '_', '.' or '-'`);
  }
  if (registry.has(name) || HELP_NAMES.has(name)) {
    throw new AlreadyExistsError(`Flag --${name} is already defined${HELP_NAMES.has(name) ? " (it is a built-in help flag)" : ""}`);
  }
  if ((options.lowerBound !== undefined || options.upperBound !== undefined) && type !== "integer" && type !== "float") {
    throw new InvalidArgumentError(`Flag --${name}: lowerBound/upperBound only apply to integer and float flags`);
  }
  const shape = { name, type, help: options.help ?? "", lowerBound: options.lowerBound, upperBound: options.upperBound };
  const value = coerce(shape, defaultValue);
  registry.set(name, { ...shape, defaultValue: value, value, present: false, required: options.required ?? false });
}

const FLAG_NAME = param("name", K.string, "The flag's name (letters, digits, '_', '.', '-').");
const HELP = optional("help", K.string, "The help text --help prints.");
const REQUIRED = withDefault("required", K.boolean, false, "Parsing fails unless the flag ends up with a non-null value.");
const LOWER = optional("lowerBound", K.number, "The smallest value allowed.");
const UPPER = optional("upperBound", K.number, "The largest value allowed.");
/** Each example starts from no flags: the test defines the same flag twice (by position, then by name). */
const flagExample = (value: unknown) => ({
  args: (tf: { flags: { reset(): void } }) => {
    tf.flags.reset();
    return ["example_flag", value, "help"];
  },
});
const numericSignature = (name: string, what: string, k: Kind<unknown>, example: unknown) =>
  signature(
    `app.flags.DEFINE_${name}`,
    `Defines ${what} flag.`,
    [FLAG_NAME, param("default", k, "The default (null: none), or a string to parse."), HELP, LOWER, UPPER, REQUIRED],
    flagExample(example),
  );
const defineIntegerSignature = numericSignature("integer", "an integer", kind<number | string | null>("number | string | null"), 3);
const defineFloatSignature = numericSignature("float", "a float", kind<number | string | null>("number | string | null"), 0.5);
const defineStringSignature = signature(
  "app.flags.DEFINE_string",
  "Defines a string flag.",
  [FLAG_NAME, param("default", kind<string | null>("string | null"), "The default (null: none)."), HELP, REQUIRED],
  flagExample("x"),
);
const defineBooleanSignature = signature(
  "app.flags.DEFINE_boolean",
  "Defines a boolean flag (--name, --noname, --name=false).",
  [
    FLAG_NAME,
    param("default", kind<boolean | string | null>("boolean | string | null"), 'The default (null: none), or a string such as "true".'),
    HELP,
    REQUIRED,
  ],
  flagExample(true),
);

/** tf.app.flags.DEFINE_integer. `default` may be a number or a string to parse; bounds are checked on every value. */
export function defineInteger(name: string, defaultValue: number | string, help?: string, options?: NumericDefineOptions): FlagHolder<number>;
export function defineInteger(name: string, defaultValue: number | string, options: NumericDefineOptions): FlagHolder<number>;
export function defineInteger(name: string, defaultValue: number | string | null, help?: string, options?: NumericDefineOptions): FlagHolder<number | null>;
export function defineInteger(name: string, defaultValue: number | string | null, options: NumericDefineOptions): FlagHolder<number | null>;
export function defineInteger(...args: unknown[]): FlagHolder<number | null> {
  const [name, defaultValue, help, lowerBound, upperBound, required] = parseArgs(defineIntegerSignature, args);
  define("integer", name, defaultValue, { help, lowerBound, upperBound, required });
  return new FlagHolder(name);
}
declare(defineInteger, defineIntegerSignature);

/** tf.app.flags.DEFINE_float. */
export function defineFloat(name: string, defaultValue: number | string, help?: string, options?: NumericDefineOptions): FlagHolder<number>;
export function defineFloat(name: string, defaultValue: number | string, options: NumericDefineOptions): FlagHolder<number>;
export function defineFloat(name: string, defaultValue: number | string | null, help?: string, options?: NumericDefineOptions): FlagHolder<number | null>;
export function defineFloat(name: string, defaultValue: number | string | null, options: NumericDefineOptions): FlagHolder<number | null>;
export function defineFloat(...args: unknown[]): FlagHolder<number | null> {
  const [name, defaultValue, help, lowerBound, upperBound, required] = parseArgs(defineFloatSignature, args);
  define("float", name, defaultValue, { help, lowerBound, upperBound, required });
  return new FlagHolder(name);
}
declare(defineFloat, defineFloatSignature);

/** tf.app.flags.DEFINE_string. */
export function defineString(name: string, defaultValue: string, help?: string, options?: DefineOptions): FlagHolder<string>;
export function defineString(name: string, defaultValue: string, options: DefineOptions): FlagHolder<string>;
export function defineString(name: string, defaultValue: string | null, help?: string, options?: DefineOptions): FlagHolder<string | null>;
export function defineString(name: string, defaultValue: string | null, options: DefineOptions): FlagHolder<string | null>;
export function defineString(...args: unknown[]): FlagHolder<string | null> {
  const [name, defaultValue, help, required] = parseArgs(defineStringSignature, args);
  define("string", name, defaultValue, { help, required });
  return new FlagHolder(name);
}
declare(defineString, defineStringSignature);

/** tf.app.flags.DEFINE_boolean (and DEFINE_bool). `default` may be a boolean or a string such as "true". */
export function defineBoolean(name: string, defaultValue: boolean | string, help?: string, options?: DefineOptions): FlagHolder<boolean>;
export function defineBoolean(name: string, defaultValue: boolean | string, options: DefineOptions): FlagHolder<boolean>;
export function defineBoolean(name: string, defaultValue: boolean | string | null, help?: string, options?: DefineOptions): FlagHolder<boolean | null>;
export function defineBoolean(name: string, defaultValue: boolean | string | null, options: DefineOptions): FlagHolder<boolean | null>;
export function defineBoolean(...args: unknown[]): FlagHolder<boolean | null> {
  const [name, defaultValue, help, required] = parseArgs(defineBooleanSignature, args);
  define("boolean", name, defaultValue, { help, required });
  return new FlagHolder(name);
}
declare(defineBoolean, defineBooleanSignature);

/** absl's mark_flag_as_required: parsing fails unless the flag has a non-null value afterwards. */
export function markFlagAsRequired(name: string): void {
  lookup(name).required = true;
}

export function markFlagsAsRequired(names: readonly string[]): void {
  for (const name of names) markFlagAsRequired(name);
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function unknownFlag(name: string): InstanceType<typeof InvalidArgumentError> {
  const candidates: string[] = [];
  for (const def of registry.values()) {
    candidates.push(def.name);
    if (def.type === "boolean") candidates.push(`no${def.name}`);
  }
  const close = candidates.filter((c) => editDistance(c, name) <= Math.min(2, Math.max(1, Math.floor(name.length / 3)))).sort();
  const hint = close.length ? `. Did you mean: ${close.map((c) => `--${c}`).join(", ")}?` : "";
  return new InvalidArgumentError(`Unknown command line flag '--${name}'${hint}`);
}

/**
 * Parses command-line arguments (without node and the script: the default is process.argv.slice(2)) into the
 * defined flags, and returns the arguments that are not flags (also kept in argv()). As with absl's FLAGS(argv),
 * a second parse only sets the flags it names; the others keep their current values. Nothing is assigned when an
 * argument is bad: the whole parse raises InvalidArgumentError.
 */
export function parse(args: readonly string[] = process.argv.slice(2), options: ParseOptions = {}): string[] {
  const assignments: Array<[FlagDef, Scalar]> = [];
  const rest: string[] = [];
  let error: Error | undefined;
  let help = false;
  const fail = (e: Error): void => {
    error ??= e;
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      rest.push(arg);
      continue;
    }
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);

    if (HELP_NAMES.has(name)) {
      help = true;
      continue;
    }
    try {
      const def = registry.get(name);
      if (def) {
        if (def.type === "boolean") {
          assignments.push([def, inline === undefined ? true : parseBooleanValue(name, inline)]);
          continue;
        }
        let raw = inline;
        if (raw === undefined) {
          if (i + 1 >= args.length) throw new InvalidArgumentError(`Missing value for flag --${name}`);
          raw = args[++i]!;
        }
        const value = parseValue(def, raw);
        if (typeof value === "number") checkBounds(def, value, raw);
        assignments.push([def, value]);
        continue;
      }
      const negated = name.startsWith("no") ? registry.get(name.slice(2)) : undefined;
      if (negated?.type === "boolean") {
        if (inline !== undefined) {
          throw new InvalidArgumentError(`Invalid value ${quote(inline)} for flag --${name}: boolean negation takes no value`);
        }
        assignments.push([negated, false]);
        continue;
      }
      if (options.knownOnly) {
        rest.push(arg);
        continue;
      }
      throw unknownFlag(name);
    } catch (e) {
      fail(e as Error);
    }
  }

  if (help) {
    (options.write ?? ((text: string) => void process.stdout.write(text)))(helpText(options.program));
    (options.exit ?? ((code: number) => process.exit(code)))(0);
    return [];
  }
  if (error) throw error;

  const assigned = new Set<FlagDef>();
  for (const [def] of assignments) assigned.add(def);
  for (const def of registry.values()) {
    const value = assigned.has(def) ? assignments.filter(([d]) => d === def).at(-1)![1] : def.value;
    if (def.required && value === null) {
      throw new InvalidArgumentError(`Flag --${def.name} must have a value other than null (it is required)`);
    }
  }
  for (const [def, value] of assignments) {
    def.value = value;
    def.present = true;
  }
  remaining = rest;
  parsed = true;
  return [...rest];
}

function ensureParsed(): void {
  if (!parsed) parse();
}

/** Whether the command line has been parsed (explicitly, or lazily on the first read of a flag). */
export function isParsed(): boolean {
  return parsed;
}

/** The arguments that were not flags, in order, including everything after `--`. Parses first if needed. */
export function argv(): string[] {
  ensureParsed();
  return [...remaining];
}

/** absl's unparse_flags: every flag back to its default, and the next read parses process.argv again. */
export function unparse(): void {
  for (const def of registry.values()) {
    def.value = def.defaultValue;
    def.present = false;
  }
  remaining = [];
  parsed = false;
}

/** Forgets every flag definition and parse (for tests). */
export function reset(): void {
  registry.clear();
  remaining = [];
  parsed = false;
}

// ---------------------------------------------------------------------------------------------------------------
// Help

const TYPE_TEXT: Record<FlagType, string> = { integer: "an integer", float: "a number", string: "a string", boolean: "a boolean" };

function formatValue(value: Scalar | null): string {
  return value === null ? "null" : quote(String(value));
}

/** The usage listing `--help` prints: each flag with its help text, default and type, sorted by name. */
export function helpText(program?: string): string {
  const prog = program ?? (process.argv[1] ? basename(process.argv[1]) : "main");
  const lines = [`USAGE: ${prog} [flags]`, "", "flags:"];
  const defs = [...registry.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const def of defs) {
    const flag = def.type === "boolean" ? `--[no]${def.name}` : `--${def.name}`;
    const [first = "", ...more] = def.help.split("\n");
    lines.push(`  ${flag}: ${first}`.trimEnd());
    for (const line of more) lines.push(`    ${line}`.trimEnd());
    lines.push(`    (default: ${formatValue(def.defaultValue)})`);
    let type = TYPE_TEXT[def.type];
    if (def.lowerBound !== undefined || def.upperBound !== undefined) {
      type += ` ${rangeText(def.lowerBound, def.upperBound).replace(/^a value /, "")}`;
    }
    lines.push(`    (${type}${def.required ? "; required" : ""})`);
  }
  if (!defs.length) lines.push("  (none defined)");
  lines.push("", "  -h, --help: show this help and exit");
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// FLAGS

/**
 * The parsed values, as properties: `FLAGS.max_steps`. Typed loosely so that values are usable directly
 * (`FLAGS.max_steps * 2`); for strict types keep the FlagHolder a define* call returns (`maxSteps.value`).
 */
// biome-ignore lint/suspicious/noExplicitAny: loose on purpose, as the comment above says
export type FlagValues = { [name: string]: any };

class FlagValuesTarget {
  [key: string]: unknown;
  [Symbol.for("nodejs.util.inspect.custom")](): Record<string, Scalar | null> {
    // util.inspect looks at a proxy's target, so this is what console.log(FLAGS) shows.
    const out: Record<string, Scalar | null> = {};
    for (const def of registry.values()) out[def.name] = def.value;
    return out;
  }
}

export const FLAGS: FlagValues = new Proxy(new FlagValuesTarget(), {
  get(target, prop, receiver) {
    if (typeof prop === "string" && registry.has(prop)) {
      ensureParsed();
      return registry.get(prop)!.value;
    }
    if (typeof prop === "symbol" || prop in target) return Reflect.get(target, prop, receiver);
    // Probed by await / JSON.stringify: absent, not an error.
    if (prop === "then" || prop === "toJSON") return undefined;
    throw new NotFoundError(`Flag --${prop} is not defined`);
  },
  set(_target, prop, value) {
    if (typeof prop !== "string") return false;
    const def = lookup(prop);
    ensureParsed(); // as TensorFlow's wrapper does, so that a later lazy parse cannot overwrite the assignment
    def.value = coerce(def, value);
    return true;
  },
  has(target, prop) {
    return (typeof prop === "string" && registry.has(prop)) || prop in target;
  },
  deleteProperty() {
    return false;
  },
  ownKeys() {
    return [...registry.keys()];
  },
  getOwnPropertyDescriptor(_target, prop) {
    if (typeof prop !== "string" || !registry.has(prop)) return undefined;
    ensureParsed();
    return { value: registry.get(prop)!.value, writable: true, enumerable: true, configurable: true };
  },
  defineProperty() {
    return false;
  },
});

// ---------------------------------------------------------------------------------------------------------------
// tf.app.run

/**
 * tf.app.run: parses the command line (`args` defaults to process.argv.slice(2)), then calls `main(argv)` where,
 * as in TensorFlow, argv[0] is the program and the rest are the arguments that were not flags. Returns what main
 * returns (await it when main is async). TensorFlow exits with main's return value; here a non-zero number
 * (or a promise of one) becomes process.exitCode, so pending work still finishes.
 */
export function run<R = void>(main?: (argv: string[]) => R, args?: readonly string[], options?: ParseOptions): R | undefined;
export function run<R = void>(options: ParseOptions & { main?: (argv: string[]) => R; argv?: readonly string[] }): R | undefined;
export function run<R = void>(...call: unknown[]): R | undefined {
  const [main, args, knownOnly, exit, write, programName] = parseArgs(runSignature, call) as [
    ((argv: string[]) => R) | undefined,
    readonly string[] | undefined,
    boolean,
    ParseOptions["exit"],
    ParseOptions["write"],
    string | undefined,
  ];
  const options: ParseOptions = { knownOnly, exit, write, program: programName };
  const rest = parse(args ?? process.argv.slice(2), options);
  if (!main) return undefined;
  const program = options.program ?? process.argv[1] ?? "main";
  const result = main([program, ...rest]);
  const setExitCode = (code: unknown): void => {
    if (typeof code === "number" && code !== 0) process.exitCode = code;
  };
  if (result instanceof Promise) {
    result.then(setExitCode, () => undefined);
  } else {
    setExitCode(result);
  }
  return result;
}

// The public faces of the functions above (the module's own callers keep the plain functions).
/** Each example starts from one defined, parsed flag (the test's own process has no others). */
const withFlag = (rest: (tf: unknown) => unknown[]) => ({
  args: (tf: { flags: { reset(): void; defineString(n: string, d: null): unknown; parse(a: string[]): unknown } }) => {
    tf.flags.reset();
    tf.flags.defineString("example_flag", null);
    tf.flags.parse([]);
    return rest(tf);
  },
});
const FLAG = param("name", K.string, "The flag's name.");
const PARSE_OPTIONS = [
  withDefault("knownOnly", K.boolean, false, "Leaves unknown flags in argv() instead of raising."),
  optional("exit", kind<(code: number) => void>("(code: number) => void"), "Called with 0 after --help has been printed (default: process.exit)."),
  optional("write", kind<(text: string) => void>("(text: string) => void"), "Where --help writes its listing (default: process.stdout)."),
  optional("program", K.string, "The program's name in the usage line (default: the script's)."),
] as const;
const ARGS = optional("argv", kind<readonly string[]>("string[]"), "The command line without node and the script (default: process.argv.slice(2)).");
const parseSignature = signature(
  "app.flags.FLAGS.__call__",
  "Parses the command line into the defined flags; returns the arguments that are not flags.",
  [ARGS, ...PARSE_OPTIONS],
  withFlag(() => [["--example_flag=v", "rest"]]),
);
const runSignature = signature(
  "app.run",
  "Parses the flags, then calls main with [program, ...arguments that are not flags]; a non-zero number returned becomes the exit code.",
  [optional("main", kind<(argv: string[]) => unknown>("(argv: string[]) => R"), "The program (none: only parse)."), ARGS, ...PARSE_OPTIONS],
  { skip: "runs a program and sets the process's exit code (test/flags.test.ts calls it)" },
);
const publicFlags = {
  parse: defineFunction(parseSignature, (args, knownOnly, exit, write, program) => parse(args ?? process.argv.slice(2), { knownOnly, exit, write, program })),
  markFlagAsRequired: defineFunction(
    signature(
      "app.flags.mark_flag_as_required",
      "Parsing fails unless the flag has a non-null value afterwards.",
      [FLAG],
      withFlag(() => ["example_flag"]),
    ),
    markFlagAsRequired,
  ),
  markFlagsAsRequired: defineFunction(
    signature(
      "app.flags.mark_flags_as_required",
      "Parsing fails unless each flag has a non-null value afterwards.",
      [param("flagNames", kind<readonly string[]>("string[]"), "The flags' names.")],
      withFlag(() => [["example_flag"]]),
    ),
    markFlagsAsRequired,
  ),
  argv: defineFunction(
    signature(
      "app.flags.argv",
      "The arguments that were not flags (parses process.argv first if needed).",
      [],
      withFlag(() => []),
    ),
    argv,
  ),
  isParsed: defineFunction(
    signature(
      "app.flags.is_parsed",
      "Whether the flags have been parsed.",
      [],
      withFlag(() => []),
    ),
    isParsed,
  ),
  unparse: defineFunction(
    signature(
      "app.flags.unparse_flags",
      "Every flag back to its default; the next read parses process.argv again.",
      [],
      withFlag(() => []),
    ),
    unparse,
  ),
  reset: defineFunction(
    signature(
      "app.flags.reset",
      "Forgets every flag definition and parse (tsflow, for tests).",
      [],
      withFlag(() => []),
    ),
    reset,
  ),
  helpText: defineFunction(
    signature(
      "app.flags.help_text",
      "The usage listing --help prints.",
      [optional("program", K.string, "The program's name (default: the script's).")],
      withFlag(() => ["prog"]),
    ),
    helpText,
  ),
};

/** The tf.app.flags namespace (tf.flags is the same object). */
export const flags = {
  FLAGS,
  defineInteger,
  defineFloat,
  defineString,
  defineBoolean,
  defineBool: defineBoolean,
  ...publicFlags,
  FlagHolder,
};

/** The tf.app namespace. */
declare(run, runSignature);
export const app = { flags, run };
