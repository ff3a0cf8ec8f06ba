/**
 * Key pairs from node:crypto, as PEM (PKCS#8 "PRIVATE KEY", which OTP's
 * ssl keyfile and Node's tls both read) and as the WebCrypto keys
 * @peculiar/x509 signs with. ECDSA only: P-256 (the default; OTP 25's ssl
 * accepts it with TLS 1.2) or P-384.
 */
import { createPrivateKey, createPublicKey, KeyObject, webcrypto, type KeyObject as Key } from 'node:crypto';
import { CaError } from './errors.js';
import { subtle } from './x509.js';

export type Curve = 'P-256' | 'P-384';

/** OpenSSL's curve names, as KeyObject.asymmetricKeyDetails gives them. */
const CURVES: Readonly<Record<string, Curve>> = { prime256v1: 'P-256', secp384r1: 'P-384' };
const HASH: Readonly<Record<Curve, string>> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384' };

export interface SigningKey {
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicKey: webcrypto.CryptoKey;
  readonly keyPem: string;
  /** ECDSA with the hash that matches the curve's strength. */
  readonly algorithm: { name: 'ECDSA'; hash: string };
}

export async function generateKey(curve: Curve = 'P-256'): Promise<SigningKey> {
  const pair = (await subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const keyPem = KeyObject.from(pair.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, keyPem, algorithm: { name: 'ECDSA', hash: HASH[curve] } };
}

/** A PEM private key (PKCS#8 or SEC1 "EC PRIVATE KEY") as a signing key; `where` names the file or value in errors. */
export async function importKey(keyPem: string, where: string): Promise<SigningKey> {
  let key: Key;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new CaError('BAD_PEM', `${where} is not a PEM private key: ${(e as Error).message}`);
  }
  const curve = key.asymmetricKeyType === 'ec' ? CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
  if (curve === undefined)
    throw new CaError('BAD_KEY', `${where} is a ${key.asymmetricKeyType ?? 'symmetric'} key${key.asymmetricKeyDetails?.namedCurve ? ` on ${key.asymmetricKeyDetails.namedCurve}` : ''}; beamwire's CA signs with ECDSA P-256 or P-384 keys`);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const privateKey = await subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, true, ['sign']);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const publicKey = await subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: curve }, true, ['verify']);
  return { privateKey, publicKey, keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: { name: 'ECDSA', hash: HASH[curve] } };
}

/** The DER SubjectPublicKeyInfo of a WebCrypto public key, to compare a key with a certificate's. */
export async function spkiOf(publicKey: webcrypto.CryptoKey): Promise<Buffer> {
  return Buffer.from(await subtle.exportKey('spki', publicKey));
}
