// A simple delta-debugging minimizer: removes chunks of lines, then chunks of characters,
// while the input still fails the same way (same failure kind).
export function minimize(text: string, fails: (t: string) => boolean, budget = 400, ms = 30_000): string {
  let cur = text;
  let tries = 0;
  const deadline = Date.now() + ms;
  const test = fails;
  fails = (t) => {
    if (Date.now() > deadline) tries = budget;
    return tries < budget && test(t);
  };
  const reduce = (split: (t: string) => string[], join: string) => {
    let parts = split(cur);
    let n = 2;
    while (parts.length >= 2 && tries < budget) {
      const chunk = Math.ceil(parts.length / n);
      let reduced = false;
      for (let i = 0; i < parts.length && tries < budget; i += chunk) {
        const candidate = [...parts.slice(0, i), ...parts.slice(i + chunk)];
        tries++;
        if (fails(candidate.join(join))) {
          parts = candidate;
          cur = candidate.join(join);
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (n >= parts.length) break;
        n = Math.min(parts.length, n * 2);
      }
    }
  };
  reduce((t) => t.split("\n"), "\n");
  reduce((t) => [...t], "");
  return cur;
}
