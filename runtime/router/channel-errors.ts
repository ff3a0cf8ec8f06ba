// PLACEHOLDER until helper B's channel-errors.ts lands.
import { BeamwireError } from '../wire/errors.js';
export type ChannelErrorReason = 'no_route' | 'context_gone' | 'receiver_closed' | 'unidirectional' | 'too_large';
export class ChannelError extends BeamwireError {
  override readonly name = 'ChannelError';
  readonly code = 'CHANNEL_ERROR';
  constructor(readonly reason: ChannelErrorReason, detail: string, options?: { cause?: unknown }) {
    super(`${detail} (${reason})`, options);
  }
}
