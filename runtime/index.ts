/**
 * beamwire's public API. Layers, lowest first: `term` and `wire` (values and
 * bytes), `generated/` (codecs emitted from `schemas/`), `etf` (the codec
 * entry points), the protocol (`epmd`, `handshake`, `connection`), then
 * `process` and `node`. Nothing here reads a schema at run time.
 */
export { Atom, atom, MAX_ATOM_CHARS } from './term/atom.js';
export {
  BitBinary,
  ExportFun,
  Float,
  Fun,
  ImproperList,
  LocalTerm,
  Pid,
  Port,
  Reference,
  Tuple,
  type Term,
} from './term/values.js';
export { tuple, float, improperList } from './term/make.js';
export { equals, termKey, mapGet } from './term/compare.js';
export { format } from './term/format.js';
export { toCharlist, fromCharlist, toBinary, fromBinary, toAtom, fromAtom, toMap, fromMap, type ToMapOptions } from './term/convert.js';
export { BeamwireError, isBeamwireError, DecodeError, EncodeError, type DecodeErrorCode, type EncodeErrorCode } from './wire/errors.js';
export { decode, encode, DEFAULT_LIMITS, type DecodeOptions, type EncodeOptions } from './etf/codec.js';
export { TermShapeError } from './term/shape.js';

// Distribution: the node, its processes, and the protocol pieces beneath it.
export { Node, type NodeOptions, type NodeEvents, type RequestCertificateOptions } from './node/node.js';
export { Global, type GlobalRegisterOptions, type ResolveMethod } from './global/index.js';
export type { ProcessKind, SpawnOptions, ExitPolicy } from './node/kinds.js';
export {
  CertificateRequestError,
  OneTimeTokens,
  type Authorize,
  type CertificateRequest,
  type CertificateService,
  type ServeCertificatesOptions,
} from './node/certificates.js';
export {
  tcp,
  TcpCarrier,
  MemoryCarrier,
  StreamCarrier,
  joinStreams,
  duplexPair,
  DialError,
  type Carrier,
  type Address,
  type Listener,
  type DialOptions,
  type ListenOptions,
  type ListenerEvents,
  type Accept,
  type DialReason,
  type StreamCarrierOptions,
  TlsCarrier,
  TlsOptionsError,
  TlsRefused,
  type Pem,
  type TlsCertificate,
  type TlsOptions,
} from './transport/index.js';
export {
  P,
  _,
  on,
  exit,
  ProcessTable,
  ProcessContext,
  ProcessError,
  NodeStopped,
  ProcessExit,
  ReceiveTimeout,
  stderrLogger,
  silentLogger,
  type Logger,
  type LogLevel,
  type Process,
  type ProcessFn,
  type Destination,
  type MonitorTarget,
  // Types the values above take or give, so that users can name them.
  type Pattern,
  type Rest,
  type Clause,
  type ClauseResult,
  type HandlerTable,
  type PatternLike,
  type ValueOf,
  type BindingsOf,
  type Bindings,
  type ReceiveOptions,
  type AfterOptions,
  type Clauses,
  type ReceiveResult,
  type ProcessErrorCode,
  type ProcessTableOptions,
  type NodeIdentity,
  type RemoteSignals,
  type RemoteInbound,
} from './process/index.js';
export {
  EpmdClient,
  EpmdServer,
  EpmdError,
  EpmdPresence,
  findEpmd,
  type EpmdErrorCode,
  type EpmdClientOptions,
  type EpmdServerOptions,
  type EpmdMode,
  type EpmdPresenceEvents,
  type EpmdPresenceOptions,
  type PresenceInfo,
  type NamesResult,
  type NodeInfo,
  type RegisterOptions,
  type Registration,
  type RegisteredNode,
} from './epmd/index.js';
export { HandshakeError, type HandshakeReason, type HandshakeStep } from './handshake/index.js';
export { Connection, ConnectionClosed, type ConnectionClosedReason, type ConnectionOptions, type ConnectionSink } from './connection/connection.js';
export {
  RpcError,
  CallTimeoutError,
  ErlangThrow,
  ErlangExit,
  ErlangError,
  type ErlangClass,
  type RpcOptions,
  type CallOptions,
  type ExposedFunction,
  type Implementation,
  type ServerSpec,
  type Server,
  type From,
  type CallResult,
  type Next,
} from './rpc/index.js';

// Cluster services: discovery, latency, status, diagnostics_channel events (runtime/observe/).
export {
  LatencyError,
  DiscoverTimeout,
  CHANNELS as diagnosticsChannels,
  type LatencyErrorReason,
  type LatencyEstimate,
  type LatencyOptions,
  type DiscoverOptions,
  type Discovery,
  type NodeStatus,
  type ConnectionStatus,
  type GroupStatus,
  type ChannelName,
  type ChannelMessages,
  type NodeUpMessage,
  type NodeDownMessage,
  type GroupMessage,
} from './observe/index.js';
// Supervisors and behaviours (runtime/behaviours/): OTP's supervisor and gen_server, Elixir's Task.
export {
  Supervisor,
  GenServer,
  exposeStartLink,
  Task,
  StartError,
  SupervisorError,
  TaskError,
  type GenServerRef,
  type GenServerCallbacks,
  type GenServerClass,
  type SupervisorSpec,
  type ChildSpec,
  type ChildInfo,
  type ChildCounts,
  type Started,
  type StartOptions,
  type Strategy,
  type Restart,
  type Shutdown,
  type ChildType,
  type AutoShutdown,
  type StartErrorCode,
  type SupervisorErrorCode,
  type BehaviourNode,
} from './behaviours/index.js';
export type { InitResult } from './rpc/index.js';
// Process groups (OTP's pg) and Phoenix.PubSub's PG2 adapter (runtime/pg/).
export {
  PgScope,
  PgMonitor,
  PgScopeMonitor,
  PubSub,
  Subscription,
  ProcessSubscription,
  type PgEvent,
  type PubSubOptions,
} from './pg/index.js';

// Converters and errors the generated service stubs use (`beamwire/services/<module>`).
export * as stubs from './stubs/index.js';

// Routers and contexts: trees of Node.js processes (runtime/router/).
export {
  Router,
  Context,
  CallChain,
  StreamError,
  CallError,
  ChannelError,
  TimeoutError,
  SelectError,
  Receiver,
  Sender,
  Select,
  withContext,
  isContextFunction,
  bundleModule,
  ModuleBundleError,
  ModuleError,
  CallTargetError,
  type ContextFunction,
  type Injected,
  type ModuleBundle,
  type BundleOptions,
  type ModuleBundleErrorCode,
  type ModuleErrorCode,
  type BundleMessage,
  type ReceiverOptions,
  type SelectEvent,
  type SelectOptions,
  type Selectable,
  type WaitOptions,
  type ChannelReason,
  type ChannelErrorCode,
  type SelectErrorCode,
  type RouterOptions,
  type RouterEvents,
  type LocalOptions,
  type SshOptions,
  type WorkerOptions,
  type ContextEvents,
  type ContextCallOptions,
  type ShutdownOptions,
  type RemoteModule,
  type StreamErrorReason,
} from './router/index.js';

// Remote objects: node.exposeObject / node.proxy<T>() (runtime/proxy/; loading it adds those methods to Node and Context).
export {
  RemoteStream,
  withOptions,
  type Remote,
  type RemotePromise,
  type RemoteArg,
  type Settled,
  type ProxyOptions,
  type ProxyCallOptions,
  type ExposeOptions,
  type ExposedObject,
} from './proxy/index.js';
// paragram's process kinds: node.spawn(fn, { kind: 'thread' | 'os' }) (runtime/kinds/; loading it installs them).
export { KindError, KindPools, type KindErrorCode } from './kinds/index.js';
