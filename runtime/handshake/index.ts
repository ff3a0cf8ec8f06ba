/** The distribution handshake (erl_dist_protocol.md §"Distribution Handshake"): state machines, flags, digest. */
export { accept, simultaneousStatus, type AcceptorOptions, type PendingStatus } from './acceptor.js';
export { digestEquals, genChallenge, genDigest } from './digest.js';
export { HandshakeError, TransportError, type HandshakeReason, type HandshakeStep } from './errors.js';
export {
  CAPABILITY_FLAGS,
  expandMandatory25,
  flagNames,
  missingMandatory,
  negotiate,
  ourFlags,
  type DflagName,
  type FlagOptions,
  type OtpLevel,
} from './flags.js';
export { initiate, type InitiatorOptions, type InitiatorResult } from './initiator.js';
export { acceptOnStream, DEFAULT_SETUP_TIMEOUT_MS, initiateOnStream, type SetupOptions, type StreamHandshake } from './stream.js';
export { memoryPair, type HandshakeResult, type MemoryTransport, type Transport } from './transport.js';
