/**
 * Gives models their configs, JSON and file formats: engine/model.ts cannot import keras/saving (which builds
 * on the engine), so tf.keras installs it here as it loads (keras/index.ts imports this module).
 */
import { installModelSaving } from "../engine/model.js";
import { modelConfigHooks } from "./model_config.js";
import { save } from "./model_save.js";
import { loadWeights, saveWeights } from "./weights.js";

installModelSaving({ ...modelConfigHooks, save, saveWeights, loadWeights });
