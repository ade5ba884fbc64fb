/** The ajv options the IR schema is compiled with, at build time (standalone code) and from the sources alike. */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true, verbose: true } as const;
