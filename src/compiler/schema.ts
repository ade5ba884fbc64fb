// Transitional re-export: the IR's JSON Schema and its validation live in src/ir/ (schema.ts,
// validate.ts). compile.ts (being split) still imports validateIr from here.
export { IR_SCHEMA } from "../ir/schema.js";
export { readIr, validateIr } from "../ir/validate.js";
