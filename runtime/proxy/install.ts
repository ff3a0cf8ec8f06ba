/**
 * `node.exposeObject` / `node.proxy` and `ctx.exposeObject` / `ctx.proxy`:
 * the proxy layer sits above nodes and routers, so it adds its methods to
 * their classes when it loads (`import 'beamwire'` loads it).
 */
import { Node } from '../node/node.js';
import { Context } from '../router/index.js';
import { Endpoint, type CallOptions } from './endpoint.js';
import { exposeObject, type ExposedObject, type ExposeOptions } from './expose.js';
import type { Remote } from './types.js';

export interface ProxyOptions extends CallOptions {
  /** The node the object is exposed on (`svc@host`); this node when absent. */
  readonly node?: string;
}

declare module '../node/node.js' {
  interface Node {
    /**
     * Serves `object` under `name` to proxies (`node.proxy<T>(name, { node })`
     * on any beamwire node) and to Erlang (`gen_server:call({Name, Node},
     * {call, Path, Args})`). Only what `allow` names is reachable; by default
     * the object's own and class-defined members.
     */
    exposeObject(name: string, object: object, options?: ExposeOptions): ExposedObject;
    /** A typed proxy of what `options.node` exposes as `name`; rejects (NO_SUCH_NAME) when nothing is. */
    proxy<T>(name: string, options?: ProxyOptions): Promise<Remote<T>>;
  }
}

declare module '../router/index.js' {
  interface Context {
    /** Serves `object` (which lives here) to this context only: in it, `node.proxy(name, { node: <this node> })`. */
    exposeObject(name: string, object: object, options?: ExposeOptions): ExposedObject;
    /** A typed proxy of what this context exposes as `name` (code in it called `node.exposeObject`). */
    proxy<T>(name: string, options?: CallOptions): Promise<Remote<T>>;
  }
}

Node.prototype.exposeObject = function exposeOnNode(this: Node, name: string, object: object, options?: ExposeOptions): ExposedObject {
  return exposeObject(this, Endpoint.of(this), name, object, options);
};

Node.prototype.proxy = function proxyOnNode<T>(this: Node, name: string, options: ProxyOptions = {}): Promise<Remote<T>> {
  return Endpoint.of(this).proxy<T>(name, options.node, options);
};

Context.prototype.exposeObject = function exposeToContext(this: Context, name: string, object: object, options?: ExposeOptions): ExposedObject {
  const node = this.owner.node;
  return exposeObject(node, Endpoint.of(node), name, object, { ...options, only: this.nodeName });
};

Context.prototype.proxy = function proxyOfContext<T>(this: Context, name: string, options: CallOptions = {}): Promise<Remote<T>> {
  return Endpoint.of(this.owner.node).proxy<T>(name, this.nodeName, options);
};
