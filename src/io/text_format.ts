/**
 * The protobuf text format, generic over @bufbuild/protobuf message descriptors: what TensorFlow writes for
 * the `checkpoint` file, GraphDef .pbtxt and saved_model.pbtxt. The printer writes what protobuf's Python
 * text_format.MessageToString writes (fields in number order, `name: value`, `name {` ... `}` with two-space
 * indents, enums by name, map entries sorted by key, strings and bytes with C escapes: \n \r \t \" \' \\ and
 * octal for other bytes outside printable ASCII, floats in Python's repr). The parser reads that and the rest
 * of the grammar: `<...>` message brackets, optional colons before messages, `[a, b]` lists, `,`/`;`
 * separators, `#` comments, single or double quotes with adjacent strings concatenated, hex/octal ints,
 * inf/nan, enum numbers.
 */
import { create, type DescField, type DescMessage, type MessageShape, ScalarType } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect, scalarZeroValue } from "@bufbuild/protobuf/reflect";
import { InvalidArgumentError } from "../core/errors.js";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

// ---------------------------------------------------------------------------------------------- printing

export function toTextFormat<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string {
  const out: string[] = [];
  printMessage(reflect(schema, message), "", out);
  return out.join("");
}

function printMessage(r: ReflectMessage, indent: string, out: string[]): void {
  for (const f of r.sortedFields) {
    if (!r.isSet(f)) continue;
    switch (f.fieldKind) {
      case "list":
        for (const v of r.get(f)) printValue(f, f.name, v, indent, out);
        break;
      case "map": {
        const entries = [...r.get(f)].sort(([a], [b]) => compareKeys(a, b));
        for (const [k, v] of entries) {
          out.push(`${indent}${f.name} {\n`);
          out.push(`${indent}  key: ${formatScalar(f.mapKey, k)}\n`);
          if (f.mapKind === "message") {
            out.push(`${indent}  value {\n`);
            printMessage(v as ReflectMessage, `${indent}    `, out);
            out.push(`${indent}  }\n`);
          } else if (f.mapKind === "enum") out.push(`${indent}  value: ${enumName(f, v as number)}\n`);
          else out.push(`${indent}  value: ${formatScalar(f.scalar, v)}\n`);
          out.push(`${indent}}\n`);
        }
        break;
      }
      default:
        printValue(f, f.name, r.get(f), indent, out);
    }
  }
}

function printValue(f: DescField, name: string, v: unknown, indent: string, out: string[]): void {
  if (f.message !== undefined) {
    out.push(`${indent}${name} {\n`);
    printMessage(v as ReflectMessage, `${indent}  `, out);
    out.push(`${indent}}\n`);
  } else if (f.enum !== undefined) out.push(`${indent}${name}: ${enumName(f, v as number)}\n`);
  else out.push(`${indent}${name}: ${formatScalar(f.scalar as ScalarType, v)}\n`);
}

function enumName(f: DescField, n: number): string {
  return f.enum?.value[n]?.name ?? String(n);
}

function compareKeys(a: unknown, b: unknown): number {
  // Keys of one map share a type (string, number, bigint or boolean), all ordered by < and >.
  const [x, y] = [a as number, b as number];
  return x < y ? -1 : x > y ? 1 : 0;
}

function formatScalar(t: ScalarType, v: unknown): string {
  switch (t) {
    case ScalarType.STRING:
      return `"${cEscape(utf8.encode(v as string))}"`;
    case ScalarType.BYTES:
      return `"${cEscape(v as Uint8Array)}"`;
    case ScalarType.BOOL:
      return v ? "true" : "false";
    case ScalarType.DOUBLE:
      return formatFloat(v as number, false);
    case ScalarType.FLOAT:
      return formatFloat(v as number, true);
    default:
      return String(v);
  }
}

/** C-style escaping of bytes as protobuf's CEscape does it. */
export function cEscape(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) {
    if (b === 0x0a) s += "\\n";
    else if (b === 0x0d) s += "\\r";
    else if (b === 0x09) s += "\\t";
    else if (b === 0x22) s += '\\"';
    else if (b === 0x27) s += "\\'";
    else if (b === 0x5c) s += "\\\\";
    else if (b < 0x20 || b >= 0x7f) s += `\\${b.toString(8).padStart(3, "0")}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function formatFloat(x: number, single: boolean): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  let exp: string;
  if (single) {
    let p = 1;
    while (p < 9 && Math.fround(Number(x.toPrecision(p))) !== x) p++;
    exp = Number(x.toPrecision(p)).toExponential();
  } else exp = x.toExponential();
  const [mant, e] = exp.split("e");
  const e10 = Number(e);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let body: string;
  if (e10 >= -5 && e10 < 16) {
    if (e10 < 0) body = `0.${"0".repeat(-e10 - 1)}${digits}`;
    else if (digits.length > e10 + 1) body = `${digits.slice(0, e10 + 1)}.${digits.slice(e10 + 1)}`;
    else body = `${digits}${"0".repeat(e10 + 1 - digits.length)}.0`;
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${e10 < 0 ? "-" : "+"}${String(Math.abs(e10)).padStart(2, "0")}`;
  }
  return neg ? `-${body}` : body;
}

// ----------------------------------------------------------------------------------------------- parsing

type Token = { kind: "ident" | "number" | "string" | "punct"; text: string; bytes?: Uint8Array; line: number; col: number };

export function fromTextFormat<Desc extends DescMessage>(schema: Desc, text: string): MessageShape<Desc> {
  const p = new Parser(text);
  const message = create(schema);
  p.parseFields(reflect(schema, message), null);
  return message;
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  private error(why: string, t: Token | undefined = this.tokens[this.i]): Error {
    const where = t === undefined ? "end of input" : `line ${t.line}, column ${t.col}`;
    return new InvalidArgumentError(`text format parse error at ${where}: ${why}`);
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private next(): Token {
    const t = this.tokens[this.i++];
    if (t === undefined) throw this.error("unexpected end of input", undefined);
    return t;
  }

  private tryPunct(p: string): boolean {
    const t = this.peek();
    if (t !== undefined && t.kind === "punct" && t.text === p) {
      this.i++;
      return true;
    }
    return false;
  }

  private expectPunct(p: string): void {
    if (!this.tryPunct(p)) throw this.error(`expected "${p}"`);
  }

  parseFields(r: ReflectMessage, close: string | null): void {
    for (;;) {
      const t = this.peek();
      if (t === undefined) {
        if (close !== null) throw this.error(`expected "${close}"`, undefined);
        return;
      }
      if (close !== null && t.kind === "punct" && t.text === close) {
        this.i++;
        return;
      }
      const nameTok = this.next();
      if (nameTok.kind !== "ident") throw this.error(`expected a field name, got "${nameTok.text}"`, nameTok);
      const f =
        r.desc.fields.find((x) => x.name === nameTok.text) ??
        r.desc.fields.find((x) => x.name.toLowerCase() === nameTok.text.toLowerCase() && x.message !== undefined);
      if (f === undefined) throw this.error(`message ${r.desc.typeName} has no field named "${nameTok.text}"`, nameTok);
      const isMessage = f.message !== undefined || f.fieldKind === "map";
      const colon = this.tryPunct(":");
      if (!colon && !isMessage) throw this.error(`expected ":" after ${nameTok.text}`);
      if ((f.fieldKind === "list" || f.fieldKind === "map") && this.tryPunct("[")) {
        if (!this.tryPunct("]")) {
          do this.parseOne(r, f);
          while (this.tryPunct(","));
          this.expectPunct("]");
        }
      } else this.parseOne(r, f);
      if (!this.tryPunct(",")) this.tryPunct(";");
    }
  }

  private parseMessageBody(desc: DescMessage): ReflectMessage {
    const open = this.next();
    if (open.kind !== "punct" || (open.text !== "{" && open.text !== "<")) throw this.error(`expected "{" or "<"`, open);
    const child = reflect(desc);
    this.parseFields(child, open.text === "{" ? "}" : ">");
    return child;
  }

  private parseOne(r: ReflectMessage, f: DescField): void {
    switch (f.fieldKind) {
      case "message":
        r.set(f, this.parseMessageBody(f.message));
        return;
      case "enum":
        r.set(f, this.parseEnum(f));
        return;
      case "scalar":
        r.set(f, this.parseScalar(f.scalar));
        return;
      case "list": {
        const list = r.get(f);
        if (f.listKind === "message") list.add(this.parseMessageBody(f.message));
        else if (f.listKind === "enum") list.add(this.parseEnum(f));
        else list.add(this.parseScalar(f.scalar));
        return;
      }
      case "map":
        this.parseMapEntry(r, f);
        return;
    }
  }

  /** `attr { key: "T" value { type: DT_FLOAT } }`: a map entry, its key and value read by the map field's own types. */
  private parseMapEntry(r: ReflectMessage, f: DescField & { fieldKind: "map" }): void {
    const open = this.next();
    if (open.kind !== "punct" || (open.text !== "{" && open.text !== "<")) throw this.error(`expected "{" or "<"`, open);
    const close = open.text === "{" ? "}" : ">";
    let key: unknown = scalarZeroValue(f.mapKey, false);
    let value: unknown;
    while (!this.tryPunct(close)) {
      const name = this.next();
      if (name.kind !== "ident" || (name.text !== "key" && name.text !== "value"))
        throw this.error(`a map entry has only "key" and "value", got "${name.text}"`, name);
      if (name.text === "key") {
        this.expectPunct(":");
        key = this.parseScalar(f.mapKey);
      } else if (f.mapKind === "message") {
        this.tryPunct(":");
        value = this.parseMessageBody(f.message);
      } else {
        this.expectPunct(":");
        value = f.mapKind === "enum" ? this.parseEnum(f) : this.parseScalar(f.scalar);
      }
      if (!this.tryPunct(",")) this.tryPunct(";");
    }
    if (value === undefined) value = f.mapKind === "message" ? reflect(f.message) : f.mapKind === "enum" ? 0 : scalarZeroValue(f.scalar, false);
    r.get(f).set(key, value);
  }

  private parseEnum(f: DescField): number {
    const t = this.next();
    const e = f.enum;
    if (e === undefined) throw this.error("not an enum field", t);
    if (t.kind === "ident") {
      const v = e.values.find((x) => x.name === t.text);
      if (v === undefined) throw this.error(`enum ${e.typeName} has no value named ${t.text}`, t);
      return v.number;
    }
    if (t.kind === "number") return Number(t.text);
    throw this.error(`expected an enum value, got "${t.text}"`, t);
  }

  private parseScalar(type: ScalarType): unknown {
    const t = this.next();
    switch (type) {
      case ScalarType.STRING:
      case ScalarType.BYTES: {
        if (t.kind !== "string" || t.bytes === undefined) throw this.error(`expected a string, got "${t.text}"`, t);
        const parts = [t.bytes];
        while (this.peek()?.kind === "string") parts.push(this.next().bytes as Uint8Array);
        const all = concat(parts);
        return type === ScalarType.STRING ? fromUtf8.decode(all) : all;
      }
      case ScalarType.BOOL:
        if (["true", "t", "True", "1"].includes(t.text)) return true;
        if (["false", "f", "False", "0"].includes(t.text)) return false;
        throw this.error(`expected true or false, got "${t.text}"`, t);
      case ScalarType.FLOAT:
      case ScalarType.DOUBLE:
        return this.parseFloat(t);
      case ScalarType.INT64:
      case ScalarType.UINT64:
      case ScalarType.SINT64:
      case ScalarType.FIXED64:
      case ScalarType.SFIXED64:
        return this.parseInt(t, true, type === ScalarType.UINT64 || type === ScalarType.FIXED64);
      default:
        return Number(this.parseInt(t, false, type === ScalarType.UINT32 || type === ScalarType.FIXED32));
    }
  }

  private parseFloat(t: Token): number {
    let s = t.text.toLowerCase();
    let neg = false;
    if (s.startsWith("-")) {
      neg = true;
      s = s.slice(1);
    }
    let v: number;
    if (s === "inf" || s === "infinity") v = Number.POSITIVE_INFINITY;
    else if (s === "nan") v = Number.NaN;
    else {
      if (t.kind !== "number") throw this.error(`expected a number, got "${t.text}"`, t);
      v = Number(s.replace(/f$/, ""));
      if (Number.isNaN(v)) throw this.error(`bad number "${t.text}"`, t);
    }
    return neg ? -v : v;
  }

  private parseInt(t: Token, big: boolean, unsigned: boolean): bigint {
    if (t.kind !== "number") throw this.error(`expected an integer, got "${t.text}"`, t);
    let s = t.text;
    let neg = false;
    if (s.startsWith("-")) {
      neg = true;
      s = s.slice(1);
    }
    let v: bigint;
    try {
      if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = BigInt(s);
      else if (/^0[0-7]+$/.test(s)) v = BigInt(`0o${s.slice(1)}`);
      else if (/^[0-9]+$/.test(s)) v = BigInt(s);
      else throw new Error();
    } catch {
      throw this.error(`expected an integer, got "${t.text}"`, t);
    }
    if (neg) v = -v;
    const bits = big ? 64n : 32n;
    const [lo, hi] = unsigned ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
    if (v < lo || v > hi) throw this.error(`integer ${t.text} is out of range`, t);
    return v;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, f: 12, v: 11, "\\": 92, "'": 39, '"': 34, "?": 63 };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const err = (why: string) => new InvalidArgumentError(`text format parse error at line ${line}, column ${i - lineStart + 1}: ${why}`);
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const col = i - lineStart + 1;
    if (c === '"' || c === "'") {
      const bytes: number[] = [];
      i++;
      for (;;) {
        if (i >= text.length || text[i] === "\n") throw err("unterminated string");
        const d = text[i];
        if (d === c) {
          i++;
          break;
        }
        if (d !== "\\") {
          const cp = text.codePointAt(i) as number;
          const ch = String.fromCodePoint(cp);
          for (const b of utf8.encode(ch)) bytes.push(b);
          i += ch.length;
          continue;
        }
        const e = text[i + 1];
        i += 2;
        if (e === undefined) throw err("unterminated string");
        if (e in SIMPLE_ESCAPES) bytes.push(SIMPLE_ESCAPES[e]);
        else if (e >= "0" && e <= "7") {
          let v = Number(e);
          for (let k = 0; k < 2 && text[i] >= "0" && text[i] <= "7"; k++) v = v * 8 + Number(text[i++]);
          bytes.push(v & 0xff);
        } else if (e === "x" || e === "X") {
          let h = "";
          while (h.length < 2 && /[0-9a-fA-F]/.test(text[i] ?? "")) h += text[i++];
          if (h === "") throw err("\\x with no hex digits");
          bytes.push(Number.parseInt(h, 16));
        } else if (e === "u" || e === "U") {
          const n = e === "u" ? 4 : 8;
          const h = text.slice(i, i + n);
          if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== n) throw err(`bad \\${e} escape`);
          i += n;
          for (const b of utf8.encode(String.fromCodePoint(Number.parseInt(h, 16)))) bytes.push(b);
        } else throw err(`unknown escape \\${e}`);
      }
      tokens.push({ kind: "string", text: c, bytes: Uint8Array.from(bytes), line, col });
      continue;
    }
    const m = /^(-?\s*(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?[fF]?)|-?[A-Za-z_][A-Za-z0-9_.]*)/.exec(text.slice(i, i + 400));
    if (m !== null) {
      const raw = m[0];
      const t = raw.replace(/\s+/g, "");
      const isNum = /^-?[0-9.]/.test(t);
      tokens.push({ kind: isNum || /^-/.test(t) ? "number" : "ident", text: t, line, col });
      i += raw.length;
      continue;
    }
    if ("{}<>[]:,;".includes(c)) {
      tokens.push({ kind: "punct", text: c, line, col });
      i++;
      continue;
    }
    throw err(`unexpected character "${c}"`);
  }
  return tokens;
}
