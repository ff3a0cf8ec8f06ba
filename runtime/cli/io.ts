/** Where a CLI command writes: stdout and stderr in `main`, buffers in tests. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}
