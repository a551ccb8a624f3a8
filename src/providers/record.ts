/**
 * Depth-bounded parsing of stored records, shared by every provider.
 *
 * `JSON.parse` itself copes with any depth (V8 parses iteratively), but what
 * follows does not: `JSON.stringify`, a schema check, the app's own code
 * recurse and overflow the stack on a record nested 200,000 levels deep
 * (written by another program, an old app version, or someone with store
 * access). `Value.set` refuses values deeper than `MAX_DEPTH`, so a stored
 * record deeper than that was never written by this library: it is corrupt
 * (`CorruptRecordError`), found by one scan before the parse.
 */
import { CorruptRecordError } from '../errors.js';
import { MAX_DEPTH, Value } from '../manager/value.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * True when the JSON text `text` nests arrays/objects deeper than `max`
 * (brackets inside strings do not count). Text that is not JSON gives an
 * answer of no meaning: `JSON.parse` refuses it afterwards anyway.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  // Depth d takes at least 2d characters: a short text (most fields, most records) needs no scan.
  if (text.length < 2 * max + 2) return false;
  // Nor does a text with at most `max` opening brackets (indexOf runs far faster than a loop per character).
  if (!moreOpenersThan(text, max)) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Jump to the closing quote: one that is preceded by an even number of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return false;
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((j - k) % 2 === 1) break;
      }
      i = j;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

function moreOpenersThan(text: string, max: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) if (++count > max) return true;
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) if (++count > max) return true;
  return false;
}

/** `JSON.parse(text)`, or `CorruptRecordError` for text that is not JSON or nests deeper than `max`. */
export function parseBounded(text: string, what: string, max: number = MAX_DEPTH): unknown {
  if (nestsDeeperThan(text, max)) throw new CorruptRecordError(`${what} nests deeper than ${max} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CorruptRecordError(`${what} is not JSON`, { cause });
  }
}

/** A whole record (one JSON object of every key, as `Value.serialize` writes it) to a Value; `CorruptRecordError` else. */
export function valueFromRecord(text: string, what = 'session record'): Value {
  // The record object is one level; each value may take MAX_DEPTH more.
  if (nestsDeeperThan(text, MAX_DEPTH + 1)) throw new CorruptRecordError(`${what} nests deeper than ${MAX_DEPTH + 1} levels`);
  try {
    return Value.deserialize(text);
  } catch (cause) {
    throw new CorruptRecordError(`${what} is not a JSON object`, { cause });
  }
}

/** Per-key JSON fields (a Redis hash) to a Value; `CorruptRecordError` for a field that is not JSON or nests too deep. */
export function valueFromFields(fields: Readonly<Record<string, string>>): Value {
  for (const key of Object.keys(fields)) {
    const json = fields[key] as string;
    if (nestsDeeperThan(json, MAX_DEPTH)) throw new CorruptRecordError(`session field ${JSON.stringify(key.slice(0, 64))} nests deeper than ${MAX_DEPTH} levels`);
  }
  return Value.fromFields(fields);
}
