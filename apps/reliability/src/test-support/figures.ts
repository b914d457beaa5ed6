// Measured figures are printed (never asserted: timing is benchmarked elsewhere) so a run shows them.
export function printFigure(name: string, value: string): void {
  process.stderr.write(`[figure] ${name}: ${value}\n`);
}

/** Milliseconds since `startMs`, rounded. */
export function since(startMs: number): number {
  return Math.round(performance.now() - startMs);
}
