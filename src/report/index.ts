/** The reporting layer of `gancc train` / `gancc translate` (plain data in, files out). */
export * from "./metrics.js";
export * from "./plot.js";
export * from "./grid.js";
export * from "./html.js";
export * from "./progress.js";
export * from "./reporter.js";
export { escapeHtml, urlPath } from "./escape.js";
export { writeFileAtomic } from "../io/atomic.js";
