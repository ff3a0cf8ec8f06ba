/**
 * OTP's pg (process groups) and Phoenix.PubSub's PG2 adapter on top of it:
 * scopes wire-compatible with lib/kernel/src/pg.erl, and PubSub servers that
 * take part in a Phoenix.PubSub server of the same name on Elixir nodes.
 */
export type { PgHost } from './host.js';
export { PgScope, PgMonitor, PgScopeMonitor, type PgEvent } from './scope.js';
export { PubSub, Subscription, ProcessSubscription, PUBSUB_SCOPE, type PubSubOptions } from './pubsub.js';
export { Scopes } from './scopes.js';
export { ScopeState, type PgChange } from './state.js';
