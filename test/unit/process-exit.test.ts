/** Unit tier: ProcessExit, the error a process ends with, costs nothing until it is printed. */
import { describe, expect, it } from 'vitest';
import { atom, tuple } from '../../runtime/index.js';
import { ProcessExit } from '../../runtime/process/errors.js';

describe('ProcessExit', () => {
  it('formats its reason only when the message is read, and bounds it', () => {
    const big = tuple(atom('result'), new Uint8Array(1_000_000).fill(65));
    const e = new ProcessExit(big);
    expect(Object.getOwnPropertyDescriptor(e, 'message')).toBeUndefined();
    expect(e.message.startsWith('process exited: {result,<<"AAAA')).toBe(true);
    expect(e.message.length).toBeLessThanOrEqual(2000 + 'process exited: '.length);
    expect(String(e)).toContain('ProcessExit: process exited:');
  });

  it('ended() carries no stack', () => {
    const e = ProcessExit.ended(atom('normal'), undefined as never);
    expect(e.stack?.split('\n').length ?? 1).toBeLessThanOrEqual(1);
    expect(e.reason).toBe(atom('normal'));
  });
});
