import type { SqliteDatabase, SqliteStatement, SqliteValue } from './sqlite-driver';

/** The engine's statements, each prepared once per connection and found again by its text. */
export class StatementCache {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(readonly db: SqliteDatabase) {}

  sql(text: string): SqliteStatement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** The `id` column of every row the query returns. */
  ids(text: string, ...params: SqliteValue[]): string[] {
    return this.sql(text)
      .all(...params)
      .map((row) => row.id as string);
  }
}
