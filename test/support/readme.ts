/**
 * The code blocks of a Markdown file, and programs run the way a user runs
 * them, for test/interop/readme.test.ts. A block says what it prints with a
 * trailing `// prints: TEXT` (`# prints: TEXT` in Elixir) on the line that
 * prints it; `@host` there stands for this machine's short host name, as in
 * the README's prose. An HTML comment on the line before the fence,
 * `<!-- readme-test: ... -->`, tells the test how to run the block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { shortHost } from '../../runtime/node/names.js';

export interface Block {
  /** The fence's language: ts, elixir, sh, ... */
  readonly lang: string;
  readonly code: string;
  /** 1-based line of README.md where the code starts (after the fence). */
  readonly line: number;
  /** The heading the block is under. */
  readonly section: string;
  /** The `readme-test:` directive before the fence, if any. */
  readonly directive: string | undefined;
  /** What it prints, in order (lines of stdout). */
  readonly prints: string[];
}

export function codeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6} (.*)/.exec(lines[i]!);
    if (heading) section = heading[1]!;
    const fence = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: the code block never closes`);
    const code = lines.slice(i + 1, end);
    const before = i > 0 ? lines[i - 1]! : '';
    const directive = /^<!-- readme-test: (.*?) -->$/.exec(before.trim())?.[1];
    const marker = { elixir: /# prints: (.*)$/, erlang: /% prints: (.*)$/ }[fence[1]!] ?? /\/\/ prints: (.*)$/;
    const prints = code.flatMap((l) => {
      const m = marker.exec(l);
      return m ? [m[1]!.trim().replaceAll('@host', `@${shortHost()}`)] : [];
    });
    blocks.push({ lang: fence[1]!, code: code.join('\n') + '\n', line: i + 2, section, directive, prints });
    i = end;
  }
  return blocks;
}

/** A child program, its output as it comes, and when it exited. */
export class Program {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** When stderr first carried `mark` (ms since start), if it did. */
  markedAt: number | undefined;
  exitedAt: number | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly started = Date.now();

  /** `input` is written to stdin, which then closes (as at the end of a file piped in). */
  constructor(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; mark?: string; input?: string }) {
    this.child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (options.input !== undefined) this.child.stdin!.end(options.input);
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      if (options.mark !== undefined && this.markedAt === undefined && this.stderr.includes(options.mark)) this.markedAt = Date.now() - this.started;
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitedAt = Date.now() - this.started;
        resolve({ code, signal });
      }),
    );
  }

  get running(): boolean {
    return this.exitedAt === undefined;
  }

  /** Resolves when stdout holds `lines` in order; rejects when the program exits first or after `ms`. */
  async printed(lines: string[], ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!inOrder(this.stdout, lines)) {
      if (!this.running || Date.now() > deadline) throw new Error(`expected ${JSON.stringify(lines)} on stdout, got:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits for the exit; kills the program after `ms`, or `afterMark` ms after it wrote the mark (it is not going to exit by itself). */
  async end(ms: number, afterMark = Infinity): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const deadline = this.started + ms;
    const timer = setInterval(() => {
      const now = Date.now();
      if (now > deadline || (this.markedAt !== undefined && now - this.started - this.markedAt > afterMark + 1000)) this.child.kill('SIGKILL');
    }, 50);
    try {
      return await this.exited;
    } finally {
      clearInterval(timer);
    }
  }
}

/** True when `lines` are lines of `out`, in this order (other lines may come between). */
export function inOrder(out: string, lines: string[]): boolean {
  let i = 0;
  for (const l of out.split('\n')) if (i < lines.length && l.trimEnd() === lines[i]) i++;
  return i === lines.length;
}
