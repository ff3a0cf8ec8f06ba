/**
 * The text of a NAMES answer: after EPMD's own port (u32), one line
 * `name <alive> at port <N>\n` per registered node. erl_epmd parses these
 * lines (epmd_srv.c: "a slight change in syntax will break"), so the server
 * writes them byte for byte as epmd does and the client reads them strictly.
 */
import { DecodeError } from '../wire/errors.js';

export interface NodeEntry {
  /** The alive part of the node name. */
  readonly name: string;
  readonly port: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function formatNamesLine(entry: NodeEntry): Uint8Array {
  return encoder.encode(`name ${entry.name} at port ${entry.port}\n`);
}

// Greedy: a name may itself contain " at port " (epmd allows any UTF-8 without NUL).
const LINE = /^name (.+) at port (\d{1,5})$/su;

/** The lines after the u32 port; throws DecodeError (offsets relative to `text`) for anything else. */
export function parseNamesLines(text: Uint8Array): NodeEntry[] {
  let s: string;
  try {
    s = decoder.decode(text);
  } catch (e) {
    throw new DecodeError('BAD_UTF8', 0, `NAMES lines are not UTF-8 (${String(e)})`, 'names_resp.node_info');
  }
  const nodes: NodeEntry[] = [];
  let offset = 0;
  while (offset < s.length) {
    const nl = s.indexOf('\n', offset);
    if (nl < 0) throw new DecodeError('TRUNCATED', byteOffset(s, offset), 'the last NAMES line has no newline', 'names_resp.node_info');
    const m = LINE.exec(s.slice(offset, nl));
    const port = m === null ? NaN : Number(m[2]);
    if (m === null || port > 0xffff)
      throw new DecodeError('BAD_VALUE', byteOffset(s, offset), `not a "name <alive> at port <N>" line: ${JSON.stringify(s.slice(offset, nl))}`, 'names_resp.node_info');
    nodes.push({ name: m[1]!, port });
    offset = nl + 1;
  }
  return nodes;
}

const byteOffset = (s: string, index: number): number => encoder.encode(s.slice(0, index)).length;
