/** A plain-text table: a header, a rule, rows; the first `leftColumns` columns left-aligned, the others right-aligned. */
export function renderTextTable(headers: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
