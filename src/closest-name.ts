// "Did you mean": the known name nearest to a mistyped one.
import { distance } from 'fastest-levenshtein';

/** The known name closest to an unknown one, when it is close enough to be a typo. */
export function closestName(name: string, known: readonly string[], allowed = name.length <= 4 ? 1 : 2): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= allowed ? best : undefined;
}
