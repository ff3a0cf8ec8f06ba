import type { Writer } from '../wire/writer.js';
import type { Term } from './values.js';

/** What the generated per-tag writers need: the buffer, and a way to write nested terms. */
export interface TermSink {
  readonly w: Writer;
  term(t: Term): void;
}
