/**
 * Routers and contexts (issue 10). This part: channels, mitogen's Receiver,
 * Sender and Select over beamwire aliases (runtime/router/host.ts has the
 * message shapes).
 */
export { ChannelError, TimeoutError, SelectError, type ChannelReason, type ChannelErrorCode, type SelectErrorCode } from './channel-errors.js';
export { termCodec, endMessage, valueMessage, openReceivers, type ChannelCodec, type ChannelNode } from './host.js';
export { Receiver, type ReceiverOptions } from './receiver.js';
export { Sender, senderValueType } from './sender.js';
export { Select, type SelectEvent, type SelectOptions, type Selectable } from './select.js';
export type { WaitOptions } from './waiting.js';
