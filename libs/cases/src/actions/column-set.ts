/**
 * A list of `column = value` assignments written as literal SQL, with its values kept apart:
 *
 *   columns`severity = ${severity}, acknowledged_at = ${now}`
 *
 * Each action handler states what it changes this way; ActOnCase puts the list into the one UPDATE
 * that also writes the state and the version, numbering the placeholders. A value that is itself a
 * ColumnSet is spliced in (shared column groups such as a stage clock).
 */
export class ColumnSet {
  private constructor(
    /** The SQL between placeholders: always one more piece than there are values. */
    private readonly pieces: readonly string[],
    private readonly values: readonly unknown[],
  ) {}

  static of(strings: TemplateStringsArray, values: readonly unknown[]): ColumnSet {
    const pieces = [strings[0]];
    const flat: unknown[] = [];
    values.forEach((v, i) => {
      if (v instanceof ColumnSet) {
        pieces[pieces.length - 1] += v.pieces[0];
        for (let j = 0; j < v.values.length; j++) {
          flat.push(v.values[j]);
          pieces.push(v.pieces[j + 1]);
        }
        pieces[pieces.length - 1] += strings[i + 1];
      } else {
        flat.push(v);
        pieces.push(strings[i + 1]);
      }
    });
    return new ColumnSet(pieces, flat);
  }

  /** The SQL with placeholders numbered from `firstParam`, and their values in order. */
  render(firstParam: number): { text: string; params: unknown[] } {
    const text = this.pieces.reduce((sql, piece, i) => (i === 0 ? piece : `${sql}$${firstParam + i - 1}${piece}`), '');
    return { text: text.trim(), params: [...this.values] };
  }
}

export function columns(strings: TemplateStringsArray, ...values: unknown[]): ColumnSet {
  return ColumnSet.of(strings, values);
}

/** Changes nothing beyond what ActOnCase writes for every action. */
export const NO_COLUMNS = columns``;
