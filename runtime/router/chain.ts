/**
 * mitogen's CallChain: calls into one context sent without waiting for the
 * previous one's answer, run there in order; once one fails, every later
 * call of the chain fails with that error without running, until `reset`.
 */
import { randomBytes } from 'node:crypto';
import type { Node } from '../node/node.js';
import { SERVICE } from './service.js';

/** What a chain calls into: a Context (context.ts), without importing it. */
export interface ChainTarget {
  readonly nodeName: string;
  readonly connected: boolean;
  readonly owner: { readonly node: Node };
  invoke(o: ChainCallOptions, url: URL | string, fn: string, args: unknown[], chain: string | undefined): Promise<unknown>;
}

export interface ChainCallOptions {
  readonly timeout?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export class CallChain {
  #id = newId();

  constructor(readonly context: ChainTarget) {}

  /** The chain's next call; its promise settles in call order. */
  call(url: URL | string, fn: string, ...args: unknown[]): Promise<unknown> {
    return this.context.invoke({}, url, fn, args, this.#id);
  }

  callWith(o: ChainCallOptions, url: URL | string, fn: string, ...args: unknown[]): Promise<unknown> {
    return this.context.invoke(o, url, fn, args, this.#id);
  }

  /** A call of the chain whose result is not wanted: a failure still poisons the rest. */
  callNoReply(url: URL | string, fn: string, ...args: unknown[]): void {
    void this.context.invoke({}, url, fn, args, this.#id).catch(() => {});
  }

  /** Forgets the failure: later calls run again (a new chain, as mitogen's reset). */
  reset(): void {
    const old = this.#id;
    this.#id = newId();
    if (this.context.connected) this.context.owner.node.rpcCast(this.context.nodeName, SERVICE, 'forget_chain', [old]);
  }
}

function newId(): string {
  return randomBytes(9).toString('base64url');
}
