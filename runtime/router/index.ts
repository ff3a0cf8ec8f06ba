/**
 * Routers and contexts (mitogen's model on the distribution protocol):
 * trees of Node.js processes, each a beamwire node, started with nothing
 * installed but `node`, calling each other's functions.
 */
export { Router, type RouterOptions, type RouterEvents, type LocalOptions, type SshOptions, type WorkerOptions } from './router.js';
export { Context, type ContextEvents, type CallOptions as ContextCallOptions, type ShutdownOptions } from './context.js';
export type { RemoteModule } from './econtext.js';
export { CallChain } from './chain.js';
export { StreamError, CallError, type StreamErrorReason } from './errors.js';
export { ChannelError, TimeoutError, SelectError, type ChannelReason, type ChannelErrorCode, type SelectErrorCode } from './channel-errors.js';
export { Receiver, type ReceiverOptions } from './receiver.js';
export { Sender, senderValueType } from './sender.js';
export { Select, type SelectEvent, type SelectOptions, type Selectable } from './select.js';
export type { WaitOptions } from './waiting.js';
/** @internal */
export { termCodec, endMessage, valueMessage, openReceivers, type ChannelCodec, type ChannelNode } from './host.js';

/** @internal For runtime/context-main.ts, a context's own start. */
export { portStream } from './port-stream.js';
/** @internal */
export { adoptRuntime } from './runtime-bundle.js';
/** @internal */
export { MARKER_READY } from './stage1.js';
export { bundleModule, type ModuleBundle, type BundleOptions } from './bundle.js';
export { ModuleHost, type ModuleHostOptions, type Concurrency } from './modules.js';
export { withContext, isContextFunction, type ContextFunction, type Injected } from './econtext.js';
export {
  ModuleBundleError,
  ModuleError,
  CallTargetError,
  type ModuleBundleErrorCode,
  type ModuleErrorCode,
  type BundleMessage,
} from './module-errors.js';
/** @internal runtime/proxy/'s values: the same mapping, with references. */
export { toTerm as valueToTerm, fromTerm as valueFromTerm, T_REF, T_OP, MAX_DEPTH, type EncodeHooks, type DecodeContext } from './values.js';
