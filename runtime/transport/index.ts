/** Carriers for the distribution protocol (runtime/transport/carrier.ts): TCP, TLS, any stream, memory. */
export type { Accept, Address, Carrier, DialOptions, Listener, ListenerEvents, ListenOptions } from './carrier.js';
export { DialError, type DialReason } from './errors.js';
export { MemoryCarrier } from './memory.js';
export { duplexPair } from './pair.js';
export { joinStreams, StreamCarrier, type StreamCarrierOptions } from './stream.js';
export { tcp, TcpCarrier } from './tcp.js';
export { alertCode, TlsCarrier, TlsOptionsError, TlsRefused, type Pem, type TlsCertificate, type TlsOptions } from './tls.js';
