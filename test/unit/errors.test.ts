// Every error class beamwire exports is a BeamwireError with a stable name and code, and isBeamwireError tells them
// from other errors (and from a look-alike that copies name and code but not the brand).
import { describe, expect, it } from 'vitest';
import {
  atom,
  BeamwireError,
  CallTimeoutError,
  ConnectionClosed,
  DecodeError,
  EncodeError,
  EpmdError,
  ErlangError,
  ErlangExit,
  ErlangThrow,
  HandshakeError,
  isBeamwireError,
  Pid,
  ProcessError,
  ProcessExit,
  ReceiveTimeout,
  RpcError,
  stubs,
  TermShapeError,
  StreamError,
  CallError,
  ChannelError,
  TimeoutError,
  SelectError,
  LatencyError,
  DiscoverTimeout,
  StartError,
  SupervisorError,
  TaskError,
  KindError,
} from '../../runtime/index.js';
import { TransportError } from '../../runtime/handshake/index.js';
import { TermSyntaxError } from '../../runtime/cli/term-parser.js';
import { Mismatch } from '../../runtime/stubs/errors.js';

const pid = new Pid(atom('ts@host'), 1, 0, 1);

describe('BeamwireError', () => {
  const cases: [BeamwireError, string, string][] = [
    [new DecodeError('TRUNCATED', 3, 'short'), 'DecodeError', 'TRUNCATED'],
    [new EncodeError('BAD_VALUE', 'x', 'no'), 'EncodeError', 'BAD_VALUE'],
    [new TermShapeError('SEND.to', 'must be a pid', 1), 'TermShapeError', 'BAD_SHAPE'],
    [new EpmdError('LOST', 'lost'), 'EpmdError', 'LOST'],
    [new HandshakeError('recv_challenge_reply', 'bad_cookie', 'a@h'), 'HandshakeError', 'HANDSHAKE_BAD_COOKIE'],
    [new HandshakeError('recv_status', 'missing_mandatory_flags', 'a@h'), 'HandshakeError', 'HANDSHAKE_MISSING_MANDATORY_FLAGS'],
    [new TransportError('timeout', 'setup timer'), 'TransportError', 'TRANSPORT_TIMEOUT'],
    [new ConnectionClosed('a@h', 'net_tick_timeout'), 'ConnectionClosed', 'CONNECTION_NET_TICK_TIMEOUT'],
    [new ProcessError('BADARG', 'register', 'taken'), 'ProcessError', 'BADARG'],
    [new ProcessExit(atom('normal')), 'ProcessExit', 'PROCESS_EXIT'],
    [new ReceiveTimeout(pid, 10, 0), 'ReceiveTimeout', 'RECEIVE_TIMEOUT'],
    [new RpcError('error', atom('badarg'), [], 'm:f/0 on a@h'), 'RpcError', 'RPC_ERROR'],
    [new CallTimeoutError('m:f/0 on a@h', 10), 'CallTimeoutError', 'CALL_TIMEOUT'],
    [new ErlangThrow(1), 'ErlangThrow', 'ERLANG_THROW'],
    [new ErlangExit(1), 'ErlangExit', 'ERLANG_EXIT'],
    [new ErlangError(1), 'ErlangError', 'ERLANG_ERROR'],
    [new stubs.BadArgError('m:f/1', 0, 'args[0]', 'must be an integer', 'x'), 'BadArgError', 'BADARG'],
    [new stubs.BadResultError('m:f/1', 'result', 'must be an integer', 'x'), 'BadResultError', 'BAD_RESULT'],
    [new stubs.UndefError('m', 'f', 1), 'UndefError', 'UNDEF'],
    [new Mismatch('must be an integer', 'x'), 'Mismatch', 'MISMATCH'],
    [new TermSyntaxError(4, 'unexpected'), 'TermSyntaxError', 'TERM_SYNTAX'],
    [new StreamError('no_node', 'w1', 'no node there', 'sh: node: not found'), 'StreamError', 'STREAM_NO_NODE'],
    [new CallError('w1', 'tasks.add', 'TypeError', 'nope', undefined), 'CallError', 'CALL_ERROR'],
    [new ChannelError('context_gone', 'a call in w1@h'), 'ChannelError', 'CONTEXT_GONE'],
    [new TimeoutError('get on receiver', 10), 'TimeoutError', 'ROUTER_TIMEOUT'],
    [new SelectError('SELECT_CYCLE', 'a cycle'), 'SelectError', 'SELECT_CYCLE'],
    [new LatencyError('no_answer', 'a@h', 'no yes'), 'LatencyError', 'LATENCY_NO_ANSWER'],
    [new DiscoverTimeout('a@h', 5000), 'DiscoverTimeout', 'DISCOVER_TIMEOUT'],
    [new StartError('ALREADY_STARTED', 'GenServer Cache cache', atom('x')), 'StartError', 'ALREADY_STARTED'],
    [new SupervisorError('NOT_FOUND', 'terminateChild(x) on supervisor s', atom('not_found')), 'SupervisorError', 'NOT_FOUND'],
    [new TaskError('TASK_TIMEOUT', atom('timeout'), 'task gave no value'), 'TaskError', 'TASK_TIMEOUT'],
    [new KindError('NOT_SHIPPABLE', 'thread', 'a bound function'), 'KindError', 'NOT_SHIPPABLE'],
    [new KindError('UNAVAILABLE', 'os', 'inside a context'), 'KindError', 'UNAVAILABLE'],
  ];

  it.each(cases)('%s has a stable name and code', (e, name, code) => {
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code]).toEqual([name, code]);
    expect(isBeamwireError(e)).toBe(true);
    expect(isBeamwireError(e, code)).toBe(true);
    expect(isBeamwireError(e, 'SOMETHING_ELSE')).toBe(false);
  });

  it('is not fooled by an error that copies name and code', () => {
    const fake = Object.assign(new Error('x'), { name: 'RpcError', code: 'RPC_ERROR' });
    expect([isBeamwireError(fake), isBeamwireError(new Error('x')), isBeamwireError(null), isBeamwireError('RPC_ERROR')]).toEqual([false, false, false, false]);
  });

  it('RpcError carries a cause', () => {
    const why = new HandshakeError('recv_challenge_ack', 'closed', 'a@h');
    const e = new RpcError('error', atom('noconnection'), [], 'm:f/0 on a@h', { cause: why });
    expect(e.cause).toBe(why);
    expect(isBeamwireError(e.cause, 'HANDSHAKE_CLOSED')).toBe(true);
  });
});
