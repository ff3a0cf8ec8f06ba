// pg's scope state (runtime/pg/state.ts) without processes: the membership rules of pg.erl —
// duplicates per join, one occurrence per leave, not_joined, syncs that replace a peer's view,
// joins and leaves from scopes that are not peers ignored, a peer that goes takes its members.
import { describe, expect, it } from 'vitest';
import { atom, Pid, tuple } from '../../runtime/index.js';
import { ScopeState } from '../../runtime/pg/index.js';

const here = atom('ts@host');
const there = atom('erl@host');
const pid = (n: number, node = here): Pid => new Pid(node, n, 0, 1);
const peer = pid(1000, there);
const G = atom('g');

describe('ScopeState, local members', () => {
  it('a process joins as many times as it joined, and leaves once per leave', () => {
    const s = new ScopeState();
    const a = pid(1);
    expect(s.joinLocal(G, [a]).monitor).toEqual([a]);
    expect(s.joinLocal(G, [a, a]).monitor).toEqual([]);
    expect(s.members(G)).toEqual([a, a, a]);
    expect(s.leaveLocal(G, [a])!.demonitor).toEqual([]);
    expect(s.localMembers(G)).toEqual([a, a]);
    s.leaveLocal(G, [a]);
    expect(s.leaveLocal(G, [a])!.demonitor).toEqual([a]);
    expect(s.leaveLocal(G, [a])).toBeUndefined(); // not_joined
    expect(s.groups()).toEqual([]);
  });

  it('leave of a list takes only the pids that joined; a down member leaves every group', () => {
    const s = new ScopeState();
    const [a, b] = [pid(1), pid(2)];
    s.joinLocal(G, [a]);
    s.joinLocal(atom('h'), [a]);
    expect(s.leaveLocal(G, [a, b])!.change).toEqual({ kind: 'leave', group: G, pids: [a] });
    s.joinLocal(G, [a]);
    const down = s.localDown(a)!;
    expect(down.groups).toEqual([atom('h'), G]);
    expect(down.changes.map((c) => c.group)).toEqual([atom('h'), G]);
    expect(s.groups()).toEqual([]);
    expect(s.localDown(a)).toBeUndefined();
  });

  it('groups are any term; a JS string and the binary it encodes to are one group', () => {
    const s = new ScopeState();
    s.joinLocal(tuple(atom('room'), 'lobby'), [pid(1)]);
    expect(s.members(tuple(atom('room'), new TextEncoder().encode('lobby')))).toEqual([pid(1)]);
    expect(s.localGroups()).toEqual([[tuple(atom('room'), 'lobby'), [pid(1)]]]);
  });
});

describe('ScopeState, peers', () => {
  it('ignores a join or leave from a scope that is not a peer', () => {
    const s = new ScopeState();
    expect(s.joinRemote(peer, G, [pid(1, there)])).toBeUndefined();
    expect(s.leaveRemote(peer, [pid(1, there)], [G])).toBeUndefined();
    expect(s.members(G)).toEqual([]);
  });

  it('a sync replaces what is known of the peer, with the differences as changes', () => {
    const s = new ScopeState();
    const [x, y, z] = [pid(1, there), pid(2, there), pid(3, there)];
    s.joinLocal(G, [pid(1)]);
    expect(s.sync(peer, [[G, [x, y]], [atom('h'), [z]]]).isNew).toBe(true);
    expect(s.members(G)).toEqual([pid(1), x, y]);
    const { changes, isNew } = s.sync(peer, [[G, [y]]]);
    expect(isNew).toBe(false);
    expect(changes).toEqual([
      { kind: 'leave', group: G, pids: [x] },
      { kind: 'leave', group: atom('h'), pids: [z] },
    ]);
    expect(s.members(G)).toEqual([pid(1), y]);
    expect(s.groups()).toEqual([G]);
  });

  it('joins and leaves of a peer; a peer that goes takes all its members', () => {
    const s = new ScopeState();
    const [x, y] = [pid(1, there), pid(2, there)];
    s.addPeer(peer);
    s.joinRemote(peer, G, [x, y]);
    s.joinRemote(peer, atom('h'), [x]);
    expect(s.leaveRemote(peer, [y], [G])).toEqual([{ kind: 'leave', group: G, pids: [y] }]);
    expect(s.peerDown(peer)).toEqual([
      { kind: 'leave', group: G, pids: [x] },
      { kind: 'leave', group: atom('h'), pids: [x] },
    ]);
    expect(s.groups()).toEqual([]);
    expect(s.isPeer(peer)).toBe(false);
    expect(s.peerDown(peer)).toBeUndefined();
  });

  it('an empty join or sync list makes no empty group', () => {
    const s = new ScopeState();
    s.addPeer(peer);
    expect(s.joinRemote(peer, G, [])!.pids).toEqual([]);
    expect(s.sync(peer, [[atom('h'), []]]).changes).toEqual([]);
    expect(s.groups()).toEqual([]);
  });

  it('a remote leave never removes a local member of the same group', () => {
    const s = new ScopeState();
    s.addPeer(peer);
    s.joinLocal(G, [pid(1)]);
    expect(s.leaveRemote(peer, [pid(1)], [G])).toEqual([]);
    expect(s.members(G)).toEqual([pid(1)]);
  });
});
