/**
 * The parts `npm run bench` can run alone (`--dist`, `--router`, ...): each
 * part's wrapper in bench/run.ts's chain runs only its own part when its
 * flag is given, and stands aside when another part's flag is.
 */
export const PARTS = ['--dist', '--codec', '--tls', '--rpc', '--router', '--pg', '--proxy', '--scale'] as const;

/** True when a part other than `flag` was asked for on the command line. */
export function otherPartAsked(flag: (typeof PARTS)[number], argv: readonly string[] = process.argv): boolean {
  return PARTS.some((f) => f !== flag && argv.includes(f));
}

/** The arguments without any part's flag. */
export function withoutParts(argv: readonly string[]): string[] {
  return argv.filter((a) => !(PARTS as readonly string[]).includes(a));
}
