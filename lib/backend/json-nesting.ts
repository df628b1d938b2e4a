/** A message body nested deeper than this is not read as a job (see exceedsNesting). */
export const MAX_BODY_NESTING = 1000;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * True if the JSON text in `content` nests objects and arrays more than `max` levels deep. JSON.parse
 * reads any depth, but every later walk over the value (validation, JSON.stringify for a retry or a
 * dead letter) recurses and overflows the stack somewhere past a few thousand levels; such a body is
 * refused before it is parsed. Scans the bytes once, without recursion (UTF-8 continuation bytes never
 * equal an ASCII bracket or quote); a body too short to nest that deep is not scanned at all.
 */
export function exceedsNesting(content: Buffer, max: number = MAX_BODY_NESTING): boolean {
  if (content.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
  return false;
}
