import { defineGradients } from "./registry.js";

defineGradients({
  Const: null,
  Placeholder: null,
  PlaceholderWithDefault: (_op, [dy]) => [dy],
  VariableV2: () => [],
  Assign: null,
  AssignAdd: null,
  AssignSub: null,
  IsVariableInitialized: null,
  NoOp: null,
  Identity: (_op, [dy]) => [dy],
});
