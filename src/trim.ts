const ASCII_SPACE = new Set([" ", "\t", "\r", "\n"]);

/**
 * Strips ASCII whitespace (space, tab, CR, LF) from both ends: the newline a
 * paste or a shell adds. Unicode spaces (U+00A0, U+FEFF …) are part of the
 * value, as they are to every other program. A loop, not a regex: an
 * anchored `\s+$` backtracks quadratically on a long run of spaces.
 */
export function trimAsciiSpace(text: string): string {
  let start = 0;
  let end = text.length;
  // No bounds checks: past either end `text[i]` is undefined, which is no space.
  // (An all-space text walks `end` down to 0, and slice(start, 0) is "".)
  while (ASCII_SPACE.has(text[start]!)) start++;
  while (ASCII_SPACE.has(text[end - 1]!)) end--;
  return text.slice(start, end);
}
