/**
 * Routers and contexts (issue 10). This index holds module forwarding only;
 * the other pieces of the folder add their exports here.
 */
export { bundleModule, type ModuleBundle, type BundleOptions } from './bundle.js';
export { ModuleHost, type ModuleHostOptions, type Concurrency } from './modules.js';
export { withContext, isContextFunction, type ContextFunction, type Injected, type RemoteModule } from './econtext.js';
export {
  ModuleBundleError,
  ModuleError,
  CallTargetError,
  type ModuleBundleErrorCode,
  type ModuleErrorCode,
  type BundleMessage,
} from './module-errors.js';
