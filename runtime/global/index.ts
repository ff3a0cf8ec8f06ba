/**
 * OTP's `global` from a beamwire node: a global_name_server that takes part
 * in global's connect protocol (version 8, OTP 25-29) with every visible
 * peer, so global:sync/0 returns, names and locks are shared both ways, and
 * `node.global` registers and looks up names. See the "global" part of
 * README.md's "Cluster services".
 */
export { Global, randomSleep, type GlobalRegisterOptions } from './global.js';
export type { GlobalHost } from './host.js';
export { NameServer, GNS } from './server.js';
export { VSN, addToKnown, nodeVsn } from './known.js';
export { Registry, lockId, type NameEntry, type LockEntry, type Watcher } from './registry.js';
export { exchangeNames, resolveIt, resolveFun, type ResolveMethod, type ResolveSide } from './resolve.js';
export { comparePids, lockerLockId } from './locker.js';
export { theBoss } from './locks.js';
