// Markdown for comments: what of a comment is prose, and code blocks its text cannot break.

/** A fenced code block that the text cannot close: the fence is longer than any run of backticks in it. */
export function fenced(language: string, text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text.replace(/\n$/, '')}\n${fence}`;
}

/** Lines of a comment that are prose: code fences (``` and ~~~), quotes (> and >>> blocks) and HTML comments are left out. */
export function* proseLines(body: string): Generator<[number, string]> {
  const lines = body.split(/\r?\n/);
  let fence: { char: string; length: number } | undefined;
  let inQuoteBlock = false;
  let inHtmlComment = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (fence) {
      const close = line.match(/^ {0,3}(`{3,}|~{3,})\s*$/);
      if (close && close[1]![0] === fence.char && close[1]!.length >= fence.length) fence = undefined;
      continue;
    }
    if (inHtmlComment) {
      if (line.includes('-->')) inHtmlComment = false;
      continue;
    }
    if (/^>>>/.test(line)) {
      inQuoteBlock = !inQuoteBlock;
      continue;
    }
    if (inQuoteBlock) continue;
    const open = line.match(/^ {0,3}(`{3,}|~{3,})/);
    if (open) {
      fence = { char: open[1]![0]!, length: open[1]!.length };
      continue;
    }
    if (/^\s*<!--/.test(line)) {
      if (!line.includes('-->')) inHtmlComment = true;
      continue;
    }
    if (/^ {0,3}>/.test(line)) continue;
    yield [i + 1, line];
  }
}
