/**
 * `beamwire/codegen/v1`: every runtime name a generated service stub
 * (`beamwire gen`, generated/services/*.ts) may use, and only those. Stubs
 * import this one entry, never a path inside the package; it is versioned so
 * that stubs generated today keep compiling when a later generator needs
 * other names (those go into a v2 beside it).
 */
export * from '../stubs/index.js';
export type { Pid, Reference, Term } from '../term/values.js';
