// The fleet's text search in portable SQL: every word of the query occurs (case-insensitively) in an instance's id,
// name, customer, version or tags. A substring match cannot use a B-tree, so the vendor's search reads the fleet's rows
// once (about 55 ms at 10,000 on SQLite and PostgreSQL alike, on a loaded 2-core machine), bounded by its word count
// and the query's length; a customer's search is narrowed first by the (customer_id, name) index.

/** At most this many words in one query: each adds a LIKE per row. */
export const SEARCH_MAX_WORDS = 8;

/** The query's words, lower-cased; `k=v` also matches the tag k=v (tags are canonical JSON: `"k":"v"`). */
export function searchWords(q: string | undefined): string[] {
  return (q ?? '').toLowerCase().split(/\s+/).filter((w) => w.length > 0);
}

/** A WHERE fragment (and its parameters) true when the instance `i` of customer `c` matches every word; `1 = 1` for none. */
export function searchWhere(words: readonly string[]): { sql: string; params: string[] } {
  if (words.length === 0) return { sql: '1 = 1', params: [] };
  // One haystack per row; the newline separator keeps a word (which has no whitespace) inside one field.
  const haystack = "LOWER(i.id || '\n' || i.name || '\n' || c.name || '\n' || COALESCE(i.current_version, '') || '\n' || i.tags)";
  return {
    sql: words.map(() => `${haystack} LIKE ? ESCAPE '\\'`).join(' AND '),
    params: words.map((w) => `%${w.replace(/[\\%_]/g, (ch) => `\\${ch}`).replace(/=/g, '":"')}%`),
  };
}
