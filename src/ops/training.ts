import { defineGradients } from "./registry.js";

defineGradients({ ApplyGradientDescent: null, ApplyMomentum: null, ApplyAdam: null });
