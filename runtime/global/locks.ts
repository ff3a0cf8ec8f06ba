/**
 * Setting and deleting a lock on a set of nodes from a process (global.erl
 * set_lock_on_nodes/2, check_replies/3, del_lock/2, delete_global_lock/2):
 * one try, all or nothing. The locker and the registrar both use them.
 */
import type { ProcessContext } from '../process/index.js';
import { Atom } from '../term/atom.js';
import type { Term } from '../term/values.js';
import { global as msg } from '../../generated/global.js';
import { multiCall } from './calls.js';

const GNS = Atom.of('global_name_server');

/** the_boss/1: the highest node name. */
export const theBoss = (nodes: readonly Atom[]): Atom => nodes.reduce((max, n) => (n.name > max.name ? n : max));

export const without = (nodes: readonly Atom[], drop: readonly Atom[]): Atom[] => nodes.filter((n) => !drop.includes(n));

/**
 * set_lock_on_nodes/2: true when every node's server set `lockId` for this
 * process (a node whose server is not there does not count); when one
 * refused, those that set it let go. `canSetLockHere` is the local check
 * made first when this node is among several.
 */
export async function setLockOnNodes(self: ProcessContext, lockId: Term, nodes: readonly Atom[], canSetLockHere: () => boolean): Promise<boolean> {
  if (nodes.length === 0) return true;
  if (nodes.length > 1 && nodes.includes(self.node.name) && !canSetLockHere()) return false;
  const { replies } = await multiCall(self, nodes, GNS, msg.setLock(lockId));
  if (replies.every(([, r]) => r === true)) return true;
  if (replies.length > 1) await delLock(self, lockId, replies.filter(([, r]) => r === true).map(([n]) => n));
  return false;
}

/** del_lock/2 on `nodes`. */
export async function delLock(self: ProcessContext, lockId: Term, nodes: readonly Atom[]): Promise<void> {
  if (nodes.length > 0) await multiCall(self, nodes, GNS, msg.delLock(lockId));
}

/** delete_global_lock/2: every node but the boss, then the boss. */
export async function deleteGlobalLock(self: ProcessContext, lockId: Term, nodes: readonly Atom[]): Promise<void> {
  if (nodes.length === 0) return;
  const boss = theBoss(nodes);
  await delLock(self, lockId, without(nodes, [boss]));
  await delLock(self, lockId, [boss]);
}
