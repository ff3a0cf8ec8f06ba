import type { Atom } from '../term/atom.js';
import { Pid, Reference } from '../term/values.js';
import { ProcessError } from './errors.js';

/** The local node a process table belongs to: its name and its creation (from EPMD, or chosen). */
export interface NodeIdentity {
  readonly name: Atom;
  readonly creation: number;
}

/**
 * OTP's external pid layout: a 15-bit `id` and a 13-bit `serial`. Ids count up;
 * when they pass 2^15 − 1 they wrap to 0 and the serial goes up by one, and the
 * serial wraps to 0 after 2^13 − 1, as `<0.32767.0>` is followed by `<0.0.1>`.
 * Every peer reads pids of this shape, whatever its version.
 */
export const PID_ID_LIMIT = 1 << 15;
export const PID_SERIAL_LIMIT = 1 << 13;
const PID_SPACE = PID_ID_LIMIT * PID_SERIAL_LIMIT;

/** A local pid's slot in the table: unique among live local pids, and a cheap `Map` key. */
export const slotOf = (p: Pid): number => p.serial * PID_ID_LIMIT + p.id;

/** Hands out pids, skipping ones still alive after a wrap. */
export class PidAllocator {
  #next = 0;
  constructor(private readonly node: NodeIdentity) {}

  allocate(inUse: (slot: number) => boolean): Pid {
    for (let tries = 0; tries < PID_SPACE; tries++) {
      const slot = this.#next;
      this.#next = (slot + 1) % PID_SPACE;
      if (!inUse(slot)) return new Pid(this.node.name, slot % PID_ID_LIMIT, Math.floor(slot / PID_ID_LIMIT), this.node.creation);
    }
    throw new ProcessError('SYSTEM_LIMIT', 'spawn', `all ${PID_SPACE} pids of ${this.node.name.name} are in use`);
  }
}

/**
 * Makes references as OTP does: three words, the first of 18 bits. A counter
 * fills the first two; the third is random per table, so two tables of one
 * node name and creation (a restart that kept its creation) rarely collide.
 */
export class RefMaker {
  #count = 0;
  readonly #salt = (Math.random() * 0x1_0000_0000) >>> 0;
  constructor(private readonly node: NodeIdentity) {}

  make(): Reference {
    const c = ++this.#count;
    return new Reference(this.node.name, this.node.creation, [c % 0x4_0000, Math.floor(c / 0x4_0000) >>> 0, this.#salt]);
  }
}

/** A string key equal for two pids exactly when they are `=:=`; for maps holding local and remote pids. */
export const pidKey = (p: Pid): string => `${p.node.name}|${p.creation}|${p.id}|${p.serial}`;

/** A string key equal for two references exactly when they are `=:=`. */
export const refKey = (r: Reference): string => r.key;

/** `=:=` for two pids. */
export const samePid = (a: Pid, b: Pid): boolean => a === b || (a.node === b.node && a.id === b.id && a.serial === b.serial && a.creation === b.creation);

/** `=:=` for two references. */
export function sameRef(a: Reference, b: Reference): boolean {
  if (a === b) return true;
  if (a.node !== b.node || a.creation !== b.creation || a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) return false;
  return true;
}
