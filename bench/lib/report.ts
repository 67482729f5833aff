/** Tables for the terminal (Markdown, so a run pastes into README.md) and the JSON results. */

export class Table {
  readonly rows: string[][] = [];

  constructor(
    readonly title: string,
    readonly columns: string[],
  ) {}

  add(...cells: (string | number)[]): void {
    this.rows.push(cells.map(String));
  }

  render(): string {
    const widths = this.columns.map((c, i) => Math.max(c.length, ...this.rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    return [`### ${this.title}`, '', line(this.columns), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...this.rows.map(line), ''].join('\n');
  }
}

export interface Target {
  name: string;
  /** What was measured, in words and numbers. */
  measured: string;
  met: boolean | null;
}

export class Report {
  readonly tables: Table[] = [];
  readonly targets: Target[] = [];
  readonly notes: string[] = [];
  readonly data: Record<string, unknown> = {};

  table(title: string, columns: string[]): Table {
    const table = new Table(title, columns);
    this.tables.push(table);
    return table;
  }

  /** Prints a finished table right away, so a long run shows progress. */
  print(table: Table): void {
    process.stdout.write(`\n${table.render()}`);
  }

  target(name: string, measured: string, met: boolean | null): void {
    this.targets.push({ name, measured, met });
  }

  note(text: string): void {
    this.notes.push(text);
    process.stdout.write(`  note: ${text}\n`);
  }
}

export function progress(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}
