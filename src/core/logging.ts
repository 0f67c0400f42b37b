import { getSetting } from "./settings.js";

/**
 * tsflow's one logger for notices (not for output a user asked for, such as a progress bar or TSFLOW_DEBUG's
 * diagnostics). Levels as TensorFlow's C++ logging: INFO 0, WARNING 1, ERROR 2; the logLevel setting
 * (TSFLOW_LOG_LEVEL, like TF_CPP_MIN_LOG_LEVEL) is the lowest level printed: 0 all, 1 no INFO, 2 no WARNING,
 * 3 no ERROR. Its default is 1, so that a run is quiet unless something deserves attention: INFO notices (a
 * machine without a GPU, say) appear with TSFLOW_LOG_LEVEL=0. Lines go to stderr as `tsflow: <message>`.
 */

export const LOG_LEVELS = { INFO: 0, WARNING: 1, ERROR: 2 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;

/** The prefix of every line the logger writes. */
export const LOG_PREFIX = "tsflow: ";

/** Whether a message at `level` would be printed now. */
export function logEnabled(level: LogLevelName): boolean {
  return LOG_LEVELS[level] >= getSetting("logLevel");
}

function write(level: LogLevelName, message: string): void {
  if (typeof process === "undefined" || !logEnabled(level)) return;
  process.stderr.write(`${LOG_PREFIX}${message}\n`);
}

/** Something worth knowing that needs no action (shown with TSFLOW_LOG_LEVEL=0). */
export const logInfo = (message: string): void => write("INFO", message);
/** Something that may not be what the user wants: a fallback, an ignored value (hidden by TSFLOW_LOG_LEVEL=2). */
export const logWarning = (message: string): void => write("WARNING", message);
/** Something went wrong but the program goes on (hidden by TSFLOW_LOG_LEVEL=3). */
export const logError = (message: string): void => write("ERROR", message);
