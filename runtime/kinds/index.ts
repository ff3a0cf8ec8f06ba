/**
 * paragram's process kinds (runtime/kinds): processes in worker threads and
 * child processes, from pooled contexts of the routers layer. Loading this
 * module gives `node.spawn(fn, { kind })` its 'thread' and 'os' kinds
 * (`import 'beamwire'` loads it).
 */
import { Node } from '../node/node.js';
import { spawnKind } from './spawn.js';

Node.spawnKind = spawnKind;

export { KindError, type KindErrorCode } from './errors.js';
export { Pools as KindPools } from './pool.js';
