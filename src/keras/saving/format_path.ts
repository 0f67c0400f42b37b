/**
 * Python's str.format for ModelCheckpoint's file paths: `"ckpt/weights.{epoch:02d}-{val_loss:.2f}"` with
 * epoch and the logs. Replacement fields are `{name}` or `{name:spec}`, the spec being Python's format
 * mini-language `[[fill]align][sign][0][width][,][.precision][type]` with the types d, f, F, e, E, g, G, %,
 * s; `{{` and `}}` are literal braces.
 */
import { InvalidArgumentError, NotFoundError } from "../../core/errors.js";

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(0)?(\d+)?(,)?(?:\.(\d+))?([dfFeEgGs%])?$/;

function formatNumber(value: number, type: string | undefined, precision: number | undefined): string {
  switch (type) {
    case "d":
      if (!Number.isInteger(value)) throw new InvalidArgumentError(`Unknown format code 'd' for a non-integer (${value})`);
      return String(Math.abs(value));
    case "f":
    case "F":
      return Math.abs(value).toFixed(precision ?? 6);
    case "%":
      return `${(Math.abs(value) * 100).toFixed(precision ?? 6)}%`;
    case "e":
    case "E": {
      // Python writes at least two exponent digits: 1.50e-03.
      const s = Math.abs(value)
        .toExponential(precision ?? 6)
        .replace(/e([+-])(\d)$/, "e$10$2");
      return type === "E" ? s.toUpperCase() : s;
    }
    case "g":
    case "G": {
      const p = precision === 0 ? 1 : (precision ?? 6);
      const exp = value === 0 ? 0 : Math.floor(Math.log10(Math.abs(value)));
      const s =
        exp < -4 || exp >= p
          ? Math.abs(value)
              .toExponential(p - 1)
              .replace(/\.?0+e/, "e")
              .replace(/e([+-])(\d)$/, "e$10$2")
          : String(Number(Math.abs(value).toPrecision(p)));
      return type === "G" ? s.toUpperCase() : s;
    }
    default:
      // No type: Python's str() of the number (an int stays an int, a float keeps its shortest repr).
      return precision === undefined ? String(Math.abs(value)) : String(Number(Math.abs(value).toPrecision(precision)));
  }
}

function applySpec(value: unknown, spec: string, field: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw new InvalidArgumentError(`Invalid format specifier '${spec}' for field {${field}}`);
  const [, fillChar, alignChar, sign, zero, widthText, comma, precisionText, type] = m;
  const width = widthText === undefined ? 0 : Number(widthText);
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  let body: string;
  let signText = "";
  const numeric = typeof value === "number" || typeof value === "bigint";
  if (numeric && type !== "s") {
    const n = Number(value);
    body = Number.isNaN(n) ? "nan" : !Number.isFinite(n) ? "inf" : formatNumber(n, type, precision);
    if (comma) body = body.replace(/^(\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ","));
    signText = n < 0 || Object.is(n, -0) ? "-" : sign === "+" ? "+" : sign === " " ? " " : "";
  } else {
    if (type !== undefined && type !== "s") throw new InvalidArgumentError(`Unknown format code '${type}' for a value of type string in field {${field}}`);
    body = String(value);
    if (precision !== undefined) body = body.slice(0, precision);
  }
  const fill = fillChar ?? (zero && !alignChar ? "0" : " ");
  const align = alignChar ?? (zero ? "=" : numeric ? ">" : "<");
  const pad = Math.max(0, width - signText.length - body.length);
  const padding = fill.repeat(pad);
  switch (align) {
    case "<":
      return signText + body + padding;
    case "^":
      return fill.repeat(Math.floor(pad / 2)) + signText + body + fill.repeat(pad - Math.floor(pad / 2));
    case "=":
      return signText + padding + body;
    default:
      return padding + signText + body;
  }
}

/** `template` with its `{name:spec}` fields filled from `values`, as Python's `template.format(**values)`. */
export function formatPath(template: string, values: Readonly<Record<string, unknown>>): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === "{" && template[i + 1] === "{") {
      out += "{";
      i += 2;
    } else if (c === "}" && template[i + 1] === "}") {
      out += "}";
      i += 2;
    } else if (c === "{") {
      const end = template.indexOf("}", i);
      if (end < 0) throw new InvalidArgumentError(`Single '{' encountered in format string "${template}"`);
      const field = template.slice(i + 1, end);
      const colon = field.indexOf(":");
      const name = colon < 0 ? field : field.slice(0, colon);
      if (!(name in values)) throw new NotFoundError(`'${name}' is not in the values ${JSON.stringify(Object.keys(values))} (format string "${template}")`);
      out += applySpec(values[name], colon < 0 ? "" : field.slice(colon + 1), name);
      i = end + 1;
    } else if (c === "}") {
      throw new InvalidArgumentError(`Single '}' encountered in format string "${template}"`);
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}
