/**
 * Residual blocks of a network's node list, as gradient checkpointing sees them (the runtime's
 * `recompute: "residual"` and `gancc summary`'s memory estimate use this one rule).
 *
 * A block is a range of steps ending in a two-input `add` whose other input is the output of the
 * step just before the range (the block's input), where the steps inside read only each other and
 * that input, and nothing after the range reads what they made — so the range is a function of its
 * input alone and can be recomputed from it.
 */
export interface GraphStep {
  /** the id this step's output is stored under */
  id: string;
  op: string;
  inputs: readonly string[];
}

export interface ResidualBlock {
  /** index of the block's first step */
  start: number;
  /** index of its `add` */
  end: number;
  /** the id of the block's input */
  input: string;
}

export function residualBlocks(steps: readonly GraphStep[]): ResidualBlock[] {
  const producer = new Map(steps.map((s, i) => [s.id, i]));
  const lastUse = new Map<string, number>();
  steps.forEach((s, i) => s.inputs.forEach((id) => lastUse.set(id, i)));
  const out: ResidualBlock[] = [];
  steps.forEach((s, end) => {
    if (s.op !== "add" || s.inputs.length !== 2) return;
    const [a, b] = s.inputs.map((id) => producer.get(id) ?? -1) as [number, number];
    const before = Math.min(a, b);
    const start = before + 1;
    if (before < 0 || Math.max(a, b) !== end - 1 || start >= end) return;
    const body = new Set(steps.slice(start, end).map((q) => q.id));
    const input = steps[before]!.id;
    const closed = steps.slice(start, end + 1).every((q) => q.op !== "input" && q.inputs.every((id) => body.has(id) || id === input));
    const contained = [...body].every((id) => (lastUse.get(id) ?? -1) <= end);
    if (closed && contained) out.push({ start, end, input });
  });
  return out;
}
