/**
 * Distribution flags: the word beamwire offers in the handshake, and the pure
 * rules both sides apply to it (erl_dist_protocol.md "Distribution Flags";
 * dist_util:expand_mandatory_25_flag/1, adjust_flags/2, check_dflags/2).
 * Every value comes from the generated `Dflag` / `DflagMask` tables, so the
 * numbers live in exactly one place: schemas/handshake.ksy.
 */
import { Dflag, DflagMask } from '../../generated/handshake.js';

export type DflagName = keyof typeof Dflag;
/** The OTP release whose mandatory set a peer must meet. */
export type OtpLevel = 25 | 26;

/**
 * What beamwire can honour, as a capability set: OTP 25's default set
 * (`erts_internal:get_dflags()` default, 16#D07DF7FBC). DIST_HDR_ATOM_CACHE
 * is in it: the connection layer reads a peer's atom-cache headers and fills
 * its own (runtime/connection/atom-cache.ts), which makes every pid's node
 * name and every repeated atom two bytes on the wire. FRAGMENTS: the
 * connection layer reassembles fragments, and with FRAGMENTS negotiated it
 * must send the 131,68 distribution header rather than 'p' frames.
 * ALTACT_SIG (OTP 28) is left out until op 37 is implemented.
 */
const CAPABILITIES: readonly DflagName[] = [
  'EXTENDED_REFERENCES',
  'DIST_MONITOR',
  'FUN_TAGS',
  'DIST_HDR_ATOM_CACHE',
  'DIST_MONITOR_NAME',
  'NEW_FUN_TAGS',
  'EXTENDED_PIDS_PORTS',
  'EXPORT_PTR_TAG',
  'BIT_BINARIES',
  'NEW_FLOATS',
  'UNICODE_IO',
  'SMALL_ATOM_TAGS',
  'UTF8_ATOMS',
  'MAP_TAG',
  'BIG_CREATION',
  'SEND_SENDER',
  'BIG_SEQTRACE_LABELS',
  'EXIT_PAYLOAD',
  'FRAGMENTS',
  'HANDSHAKE_23',
  'UNLINK_ID',
  'MANDATORY_25_DIGEST',
  'SPAWN',
  'V4_NC',
  'ALIAS',
];

function union(names: readonly DflagName[]): bigint {
  let word = 0n;
  for (const n of names) word |= Dflag[n];
  return word;
}

export const CAPABILITY_FLAGS: bigint = union(CAPABILITIES);

export interface FlagOptions {
  /** A hidden node leaves out PUBLISHED: it stays out of `nodes()` and `global` on the other side. */
  hidden?: boolean;
  /** Ask the acceptor for a dynamic name (send_name only). OTP then offers no PUBLISHED either. */
  nameMe?: boolean;
}

/**
 * The flag word to offer. PUBLISHED unless hidden; NAME_ME replaces it when a
 * dynamic name is requested, as dist_util:publish_flag/3 does.
 */
export function ourFlags(options: FlagOptions = {}): bigint {
  if (options.nameMe) return CAPABILITY_FLAGS | Dflag.NAME_ME;
  return options.hidden ? CAPABILITY_FLAGS : CAPABILITY_FLAGS | Dflag.PUBLISHED;
}

/** MANDATORY_25_DIGEST stands for every OTP 25 mandatory flag; an OTP 25+ receiver ORs them in. */
export function expandMandatory25(flags: bigint): bigint {
  return (flags & Dflag.MANDATORY_25_DIGEST) !== 0n ? flags | DflagMask.DIST_MANDATORY_25 : flags;
}

/**
 * The flags both sides use from now on: the intersection (OTP 25+
 * adjust_flags/2), after the peer's shorthand has been expanded. Visibility
 * falls out of it: PUBLISHED survives only if both sides offered it.
 */
export function negotiate(ours: bigint, theirs: bigint): bigint {
  return expandMandatory25(ours) & expandMandatory25(theirs);
}

const LOW_32 = 0xffff_ffffn;

/**
 * Names of the flags an OTP `otpLevel` node requires and `flags` lacks (after
 * expanding MANDATORY_25_DIGEST), lowest bit first; empty when all are there.
 * `lowOnly` checks only bits 0..31, for an old 'n' send_name whose high bits
 * arrive later in the complement (as check_dflags/2 does).
 */
export function missingMandatory(flags: bigint, otpLevel: OtpLevel, lowOnly = false): DflagName[] {
  let required = otpLevel === 25 ? DflagMask.DIST_MANDATORY_25 : DflagMask.DIST_MANDATORY;
  if (lowOnly) required &= LOW_32;
  const have = expandMandatory25(flags);
  const missing: DflagName[] = [];
  for (const [name, bit] of Object.entries(Dflag) as [DflagName, bigint][]) {
    if ((required & bit) !== 0n && (have & bit) === 0n) missing.push(name);
  }
  return missing.sort((a, b) => (Dflag[a] < Dflag[b] ? -1 : 1));
}

/** The names of the set bits, for error messages and logs; unknown bits as hex. */
export function flagNames(flags: bigint): string[] {
  const names: string[] = [];
  let rest = flags;
  for (const [name, bit] of Object.entries(Dflag) as [DflagName, bigint][]) {
    if ((flags & bit) !== 0n) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0n) names.push(`0x${rest.toString(16)}`);
  return names;
}
