import { EpmdClient } from './client.js';
import { EpmdError } from './errors.js';

/**
 * Whether an EPMD answers NAMES_REQ at `host:port` (default 127.0.0.1,
 * 1 s): how a node decides between a running epmd and starting the
 * embedded one. Anything that is not a well-formed NAMES answer is false.
 */
export async function findEpmd(port: number, options: { host?: string; timeout?: number } = {}): Promise<boolean> {
  const client = new EpmdClient({ host: options.host ?? '127.0.0.1', port, timeout: options.timeout ?? 1000 });
  try {
    await client.names();
    return true;
  } catch (e) {
    if (e instanceof EpmdError) return false; // Nothing there, or something that is not an EPMD: either way, none to use.
    throw e;
  }
}
