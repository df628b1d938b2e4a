/** What a command prints: the same facts as JSON for scripts (`--json`) and as text for people. */
export interface CommandOutput {
  json: unknown;
  text: string;
}

/**
 * Payloads, ids and error messages are user data: in a terminal, control characters (an escape
 * sequence that clears the screen or rewrites a line) are shown as \uXXXX, never sent as they are.
 */
export function printable(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : value === null || value === undefined
        ? ''
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A plain text table: a header row, then one row per item, columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [headers.map(printable), ...rows.map((row) => row.map(printable))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '))
    .join('\n');
}

/** Label: value lines, labels aligned. */
export function fields(entries: readonly [label: string, value: unknown][]): string {
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `${`${label}:`.padEnd(width + 1)} ${printable(value)}`).join('\n');
}

/** Cuts a cell to `max` characters, so one long payload or message does not stretch a table. */
export function cut(value: unknown, max = 60): string {
  const text = printable(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
