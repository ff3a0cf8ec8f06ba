/**
 * The errors of module forwarding: bundling at the root (`ModuleBundleError`),
 * loading in a context (`ModuleError`) and choosing what to call (`CallTargetError`).
 * One file so that bundle.ts, modules.ts and econtext.ts share them without a cycle.
 */
import { BeamwireError } from '../wire/errors.js';

export type ModuleBundleErrorCode =
  /** esbuild refused the module: missing file, syntax error, unresolvable import. */
  | 'MODULE_BUNDLE'
  /** The closure reaches a `.node` addon, which cannot travel in a JavaScript bundle. */
  | 'NATIVE_ADDON'
  /** esbuild is not installed where the bundling runs. */
  | 'NO_BUNDLER';

/** One message of esbuild's, with where it points. */
export interface BundleMessage {
  readonly text: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/** A module that cannot be bundled for a context, naming the file and esbuild's messages. */
export class ModuleBundleError extends BeamwireError {
  override readonly name = 'ModuleBundleError';
  constructor(
    readonly code: ModuleBundleErrorCode,
    /** The module asked for (the entry point). */
    readonly file: string,
    readonly messages: readonly BundleMessage[],
    options?: ErrorOptions,
  ) {
    super(`cannot bundle ${file} for a context: ${messages.map(formatMessage).join('; ')} (${code})`, options);
  }
}

function formatMessage(m: BundleMessage): string {
  return m.file === undefined ? m.text : `${m.file}:${m.line ?? 0}:${m.column ?? 0}: ${m.text}`;
}

export type ModuleErrorCode =
  /** No bundle with this hash here, and no parent to ask. */
  | 'UNKNOWN_MODULE'
  /** The bundle's bytes do not hash to the hash it claims. */
  | 'HASH_MISMATCH'
  /** The bundle does not inflate to its stated size, or is not a bundle at all. */
  | 'BAD_BUNDLE'
  /** Evaluating the module threw (its top level, or a `require` in it). */
  | 'MODULE_EVAL'
  /** The module requires a package that is neither a builtin nor in its bundle, and the context has none. */
  | 'MISSING_DEPENDENCY'
  /** `export const concurrency` is neither 'serial' nor 'parallel'. */
  | 'BAD_CONCURRENCY';

/** A module a context cannot load, naming it (its url, or its hash when no more is known). */
export class ModuleError extends BeamwireError {
  override readonly name = 'ModuleError';
  constructor(
    readonly code: ModuleErrorCode,
    readonly module: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`module ${module}: ${detail} (${code})`, options);
  }
}

/** A call to something that is not an own exported function of the module. */
export class CallTargetError extends BeamwireError {
  override readonly name = 'CallTargetError';
  readonly code = 'NOT_CALLABLE';
  constructor(
    readonly module: string,
    readonly fn: string,
    readonly detail: string,
  ) {
    super(`cannot call ${fn} in ${module}: ${detail} (NOT_CALLABLE)`);
  }
}
