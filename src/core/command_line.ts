import { type ParseArgsConfig, parseArgs } from "node:util";

/**
 * Command-line parsing for the `tsflowjs` subcommands: node:util's parseArgs in strict mode, so that an
 * unknown or malformed flag is an error the user sees (with the usage), never a flag silently ignored.
 * Boolean flags also take absl's `--flag=true` / `--flag=false` spelling, as TensorFlow's tools do.
 */

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** Prints `tsflowjs: <message>` and the usage on stderr; the exit status of a usage error, 1. */
export function usageError(message: string, usage: string): number {
  process.stderr.write(`tsflowjs: ${message}\n${usage}\n`);
  return 1;
}

/** The parsed flags and positionals, or the exit status after a usage error was printed. */
export function parseCommandLine<const O extends Options>(args: string[], options: O, usage: string): Parsed<O> | number {
  const booleans = new Set(Object.entries(options).flatMap(([name, o]) => (o.type === "boolean" ? [`--${name}`] : [])));
  const normalised = args.flatMap((a) => {
    const [flag, value] = a.split("=", 2);
    if (value === undefined || !booleans.has(flag)) return [a];
    const v = value.toLowerCase();
    return v === "true" || v === "1" ? [flag] : v === "false" || v === "0" ? [] : [a];
  });
  try {
    return parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>({ args: normalised, options, allowPositionals: true, strict: true });
  } catch (e) {
    // Node's advice on positionals that start with '-' does not apply to these commands.
    return usageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""), usage);
  }
}
