/**
 * The runtime that generated service stubs (generated/services/*.ts) import:
 * a converter per type of the schema vocabulary, the function spec that calls
 * and serves, and the errors. One module, so the generator knows one path.
 */
export { BadArgError, BadResultError, UndefError } from './errors.js';
export { atom, atoms, bigint, binary, boolean, bytes, charlist, float, integer, number, pid, reference, term, type Conv } from './scalars.js';
export { list, map, mapOf, optional, record, tuple, type MapShape, type Optional } from './compound.js';
export { bind, expose, fn, serve, Fn, type Bound, type CallOptions, type Exposed, type RpcCaller, type Served } from './fn.js';
export { decode, encode, is } from './validate.js';
export { RESERVED_WORDS, STRICT_RESERVED, STUB_PARAMS, stubNames, TAKEN_TYPES } from './names.js';
