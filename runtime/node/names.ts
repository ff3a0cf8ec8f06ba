/** Node names as OTP spells them: `alive@host`, short (-sname) or long (-name). */
import { hostname } from 'node:os';

/** The host part OTP's -sname uses: the hostname up to its first dot. */
export const shortHost = (): string => hostname().split('.')[0]!;

/** `ts` → `ts@<short host>`; a full `alive@host` stays as given. Throws on an empty part. */
export function fullName(name: string): string {
  const full = name.includes('@') ? name : `${name}@${shortHost()}`;
  const [alive, host] = splitName(full);
  if (!/^[A-Za-z0-9_-]+$/.test(alive)) throw new RangeError(`node name ${full}: the alive part may hold letters, digits, _ and - only`);
  void host;
  return full;
}

/** `alive@host` → [alive, host]. */
export function splitName(full: string): [string, string] {
  const at = full.indexOf('@');
  if (at <= 0 || at === full.length - 1) throw new RangeError(`node name ${full} is not alive@host`);
  return [full.slice(0, at), full.slice(at + 1)];
}
