/**
 * A float as Erlang prints it (`float_to_list(X, [short])`, `~p`, `~w`): the
 * shortest digits that read back to the same double, always with a `.`, and
 * scientific form `1.0e300` / `1.0e-7` (no `+`) where OTP picks it. OTP's
 * choice, read off erts' to_chars and checked against erl by
 * test/interop/float-format.test.ts: with digits D (n of them) and the value
 * D × 10^R, fixed notation when -(n+2) ≤ R ≤ 1 (R ≤ 2 when n is 1 or the
 * value is 1e10 or more; R ≥ -4 when n is 1), except integral values at or
 * past 2^53, which are scientific (fixed digits there would not be exact).
 */
export function floatText(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  if (!Number.isFinite(x)) return String(x); // not an Erlang float; the term model refuses them elsewhere
  // toExponential() without an argument gives the shortest round-trip digits, as Ryu does.
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const n = digits.length;
  const e = Number(expText); // the scientific exponent: x = d.ddd × 10^e
  const r = e - n + 1; // x = digits × 10^r
  const sign = x < 0 ? '-' : '';
  const lower = n === 1 ? -4 : -(n + 2);
  const upper = n === 1 || e >= 10 ? 2 : 1;
  if (lower <= r && r <= upper && !pastExactIntegers(digits, r)) {
    if (r >= 0) return `${sign}${digits}${'0'.repeat(r)}.0`;
    const whole = n + r;
    if (whole > 0) return `${sign}${digits.slice(0, whole)}.${digits.slice(whole)}`;
    return `${sign}0.${'0'.repeat(-whole)}${digits}`;
  }
  return `${sign}${digits[0]}.${n > 1 ? digits.slice(1) : '0'}e${e}`;
}

/** digits × 10^r ≥ 2^53 for r in 0..2, OTP's bounds (2^52/5, 2^51/25 with integer division) included. */
function pastExactIntegers(digits: string, r: number): boolean {
  if (r < 0 || r > 2) return false;
  const d = BigInt(digits);
  if (r === 0) return d >= 1n << 53n;
  if (r === 1) return d > (1n << 52n) / 5n;
  return d > (1n << 51n) / 25n;
}
