// The diagnostics_channel side of runtime/observe/events.ts: channel names, messages, and nothing built for nobody.
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { atom, diagnosticsChannels, Pid, type GroupMessage } from '../../runtime/index.js';
import { publish } from '../../runtime/observe/index.js';

describe('observe events on node:diagnostics_channel', () => {
  it('has one beamwire: channel per event', () => {
    expect(diagnosticsChannels).toEqual({ nodeup: 'beamwire:nodeup', nodedown: 'beamwire:nodedown', join: 'beamwire:join', leave: 'beamwire:leave' });
  });

  it('publish hands the message to the subscribers of its channel only', () => {
    const joins: unknown[] = [];
    const leaves: unknown[] = [];
    const onJoin = (m: unknown): void => void joins.push(m);
    const onLeave = (m: unknown): void => void leaves.push(m);
    subscribe('beamwire:join', onJoin);
    subscribe('beamwire:leave', onLeave);
    try {
      const pid = new Pid(atom('ts@h'), 1, 0, 1);
      const m: GroupMessage = { node: 'ts@h', scope: 'pg', group: atom('workers'), pids: [pid] };
      publish('join', () => m);
      expect(joins).toEqual([m]);
      expect(leaves).toEqual([]);
    } finally {
      unsubscribe('beamwire:join', onJoin);
      unsubscribe('beamwire:leave', onLeave);
    }
  });

  it('builds no message while a channel has no subscriber', () => {
    expect(channel('beamwire:nodeup').hasSubscribers).toBe(false);
    let built = 0;
    publish('nodeup', () => (built++, { node: 'a@h', peer: 'b@h', visible: true }));
    expect(built).toBe(0);
  });
});
