/** Kinds and parameters shared by the optimizers' declarations (core/signature.ts). */
import { K, kind, withDefault } from "../core/signature.js";
import type { Hyper } from "./optimizer.js";

export const HYPER = kind<Hyper>("number | Tensor | Variable | (() => number | Tensor | Variable)");
export const USE_LOCKING = withDefault("useLocking", K.boolean, false, "Use locks for the update (no effect here: updates never race).");
export const optimizerName = (def: string) => withDefault("name", K.string, def, "The name of the optimizer's ops and slots.");
