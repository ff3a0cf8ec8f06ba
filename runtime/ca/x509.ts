/**
 * The one place that loads @peculiar/x509. It needs a Reflect metadata
 * polyfill (its tsyringe container checks for Reflect.getMetadata when it
 * loads), so reflect-metadata is imported first; and it signs through
 * WebCrypto, here node:crypto's. This is why runtime/index.ts never imports
 * runtime/ca: only `beamwire/ca` and the CLI pay for it.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;
