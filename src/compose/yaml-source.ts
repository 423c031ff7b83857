// Reads YAML text into plain values and keeps the node tree, so every problem can name its line.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { SkiffError } from '../util/index.ts';
import type { DocPath } from './issues.ts';

export interface YamlSource {
  /** The document as plain JS values (null for an empty file). */
  readonly value: unknown;
  /** The 1-based line of the key (or list item) at `path`, or of its nearest ancestor that exists. */
  lineOf(path: DocPath): number | undefined;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/\s+at line \d+, column \d+:?$/, '');
}

function keyMatches(pair: Pair, segment: string | number): boolean {
  return isScalar(pair.key) && String(pair.key.value) === String(segment);
}

/** The pair for `segment` in a map, looking through `<<` merge keys as YAML merges do. */
function findPair(doc: Document, map: Node, segment: string | number, depth = 0): Pair | undefined {
  if (!isMap(map) || depth > 8) return undefined;
  const direct = map.items.find((pair) => keyMatches(pair, segment));
  if (direct !== undefined) return direct;
  for (const pair of map.items) {
    if (!keyMatches(pair, '<<')) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const target = isAlias(source) ? source.resolve(doc) : source;
      const found = target === undefined || target === null ? undefined : findPair(doc, target as Node, segment, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export function loadYaml(text: string, file: string, code: 'COMPOSE_INVALID' | 'CONFIG_INVALID'): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const { line } = lineCounter.linePos(error.pos[0]);
    throw new SkiffError(code, `${file} line ${line}: ${firstLine(error.message)}; fix the YAML syntax`, { cause: error });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new SkiffError(code, `${file}: ${firstLine(e instanceof Error ? e.message : String(e))}`, { cause: e });
  }
  const lineAt = (node: { range?: [number, number, number] | null } | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  return {
    value,
    lineOf(path) {
      let node: unknown = doc.contents;
      let line = lineAt(doc.contents);
      for (const segment of path) {
        if (isAlias(node)) node = node.resolve(doc);
        if (isMap(node)) {
          const pair = findPair(doc, node, segment);
          if (pair === undefined) break;
          line = lineAt(pair.key as Node) ?? line;
          node = pair.value;
        } else if (isSeq(node) && typeof segment === 'number') {
          const item: unknown = node.items[segment];
          if (item === undefined) break;
          line = lineAt(item as Node) ?? line;
          node = item;
        } else {
          break;
        }
      }
      return line;
    },
  };
}
