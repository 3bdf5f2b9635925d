// What the model writes is posted only after this: no HTML comments (they could forge the bot's hidden
// markers), no line that GitLab would run as a quick action, no mention of anyone outside the thread.
const MAX_LENGTH = 6_000;

export function sanitizeModelComment(text: string, allowedMentions: readonly string[]): string {
  const allowed = new Set(allowedMentions.map((u) => u.toLowerCase()));
  let out = text.replace(/<!--[\s\S]*?(-->|$)/g, '').replace(/<!--|-->/g, '');
  out = out.replace(/(^|[^\w`/.-])@([A-Za-z0-9_][A-Za-z0-9_.-]*)/g, (whole, before: string, user: string) =>
    allowed.has(user.toLowerCase()) ? whole : `${before}${user}`,
  );
  out = out
    .split('\n')
    .map((line) => line.replace(/^(\s*)\//, '$1\\/'))
    .join('\n');
  if (out.length > MAX_LENGTH) out = `${out.slice(0, MAX_LENGTH)}…`;
  return out.trim();
}
