// Text from jobs (file names, workflow ids, error messages, subtitle lines) printed to a terminal: control
// characters become visible escapes, so a file named "\e]52;…" or "\e[2J" cannot drive the user's terminal
// (rewrite the clipboard, clear the screen, fake a line) when `list`, `status` or `review` shows it.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escaped = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** One field on one line: every control character, newlines and tabs included, shown as \xNN. */
export function printable(text: string): string {
  return text.replace(CONTROL_OR_NEWLINE, escaped);
}

/** A message that may span lines: newlines and tabs kept, every other control character shown as \xNN. */
export function printableLines(text: string): string {
  return text.replace(CONTROL, escaped);
}
