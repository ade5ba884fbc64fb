// Generated specs for the benchmarks (bench/compile.ts, bench/lsp.ts): valid, and as long as asked.
/** A valid spec of about `lines` lines: many blocks, networks, nets and loss terms. */
export function generateSpec(lines: number): string {
  const out = ["gan generated", "param nf = 8", "param size = 32", ""];
  const units = Math.max(1, Math.floor((lines - 30) / 25));
  for (let i = 0; i < units; i++) {
    out.push(
      `block res${i}(k) residual {`,
      `  reflect_pad(1) conv(k, 3) instance_norm relu`,
      `  reflect_pad(1) conv(k, 3) instance_norm`,
      `}`,
      ``,
      `network Gen${i}(blocks = 2): image[3] -> image[3] {`,
      `  reflect_pad(3)`,
      `  conv(nf, 7)`,
      `  instance_norm relu`,
      `  conv(nf * 2, 3, stride: 2, pad: 1) instance_norm relu`,
      `  repeat blocks { res${i}(nf * 2) }`,
      `  conv_transpose(nf, 3, stride: 2, pad: 1, output_pad: 1)`,
      `  instance_norm relu`,
      `  reflect_pad(3) conv(3, 7) tanh`,
      `}`,
      ``,
      `network Disc${i}: image[3] -> image[1] {`,
      `  conv(nf, 4, stride: 2, pad: 1) leaky_relu(0.2)`,
      `  conv(nf * 2, 4, stride: 2, pad: 1) instance_norm leaky_relu(0.2)`,
      `  conv(1, 4, pad: 1)`,
      `}`,
      ``,
    );
  }
  out.push("nets {");
  for (let i = 0; i < units; i++) out.push(`  G${i} = Gen${i}()`, `  D${i} = Disc${i}()`);
  out.push("}", "", "data {", "  domain A: image[3]", "  domain B: image[3]", "  crop: size", "}", "");
  out.push("loss generator {");
  for (let i = 0; i < units; i++) out.push(`  gan${i}: lsgan(D${i}(G${i}(A)), real)`, `  l1_${i}: 10 * l1(G${i}(A), B)`);
  out.push("}", "", "loss discriminator {");
  for (let i = 0; i < units; i++) out.push(`  d${i}: 0.5 * (lsgan(D${i}(B), real) + lsgan(D${i}(detach(G${i}(A))), fake))`);
  out.push("}", "", "train {");
  out.push(`  step generator updates ${Array.from({ length: units }, (_, i) => `G${i}`).join(", ")} with adam(lr: 2e-4, beta1: 0.5)`);
  out.push(`  step discriminator updates ${Array.from({ length: units }, (_, i) => `D${i}`).join(", ")} with adam(lr: 2e-4, beta1: 0.5)`);
  out.push("}");
  return out.join("\n") + "\n";
}
