;; gancc's heap loops in WebAssembly SIMD: the same loops as ./heap_loops.ts (their JS reference),
;; and a tiled matrix transpose (./kernel_ctx.ts), run on the wasm backend's own heap, which this
;; module imports as its memory.
;;
;; Why: between XNNPACK's GEMMs, a CycleGAN iteration on wasm runs these gathers and scatter-adds
;; over the heap (the im2col of the forward and filter-gradient GEMMs, the col2im of the input
;; gradient). As JS typed-array loops they ran at ~1 element/ns; here, up to 4 floats per
;; instruction and no bounds checks of their own (the JS callers check the views first), 1.5–9×
;; faster (bench/heap_simd.ts). Each function does what its JS twin does, element for element and
;; in the same order, so the results are bit-identical (test/runtime/kernels/heap_simd.test.ts).
;;
;; Built by scripts/build-heap-simd.mjs (wabt) into two binaries: one importing a shared memory
;; (tfjs's threaded build), one a plain memory (its single-threaded build). All offsets and
;; counts are in float32 elements; the JS side (./heap_simd.ts) works out each tap's geometry.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; len floats from byte address ps to byte address pd (stride 1)
  (func $copy (param $pd i32) (param $ps i32) (param $len i32)
    (block $vdone (loop $v
      (br_if $vdone (i32.lt_s (local.get $len) (i32.const 4)))
      (v128.store (local.get $pd) (v128.load (local.get $ps)))
      (local.set $pd (i32.add (local.get $pd) (i32.const 16)))
      (local.set $ps (i32.add (local.get $ps) (i32.const 16)))
      (local.set $len (i32.sub (local.get $len) (i32.const 4)))
      (br $v)))
    (block $done (loop $s
      (br_if $done (i32.le_s (local.get $len) (i32.const 0)))
      (f32.store (local.get $pd) (f32.load (local.get $ps)))
      (local.set $pd (i32.add (local.get $pd) (i32.const 4)))
      (local.set $ps (i32.add (local.get $ps) (i32.const 4)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br $s))))

  ;; len zeros from byte address pd
  (func $zero (param $pd i32) (param $len i32)
    (block $vdone (loop $v
      (br_if $vdone (i32.lt_s (local.get $len) (i32.const 4)))
      (v128.store (local.get $pd) (v128.const i32x4 0 0 0 0))
      (local.set $pd (i32.add (local.get $pd) (i32.const 16)))
      (local.set $len (i32.sub (local.get $len) (i32.const 4)))
      (br $v)))
    (block $done (loop $s
      (br_if $done (i32.le_s (local.get $len) (i32.const 0)))
      (f32.store (local.get $pd) (f32.const 0))
      (local.set $pd (i32.add (local.get $pd) (i32.const 4)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br $s))))

  ;; len floats from byte address ps, every step-th byte, to consecutive floats at pd
  (func $gather (param $pd i32) (param $ps i32) (param $len i32) (param $step i32)
    (block $done (loop $s
      (br_if $done (i32.le_s (local.get $len) (i32.const 0)))
      (f32.store (local.get $pd) (f32.load (local.get $ps)))
      (local.set $pd (i32.add (local.get $pd) (i32.const 4)))
      (local.set $ps (i32.add (local.get $ps) (local.get $step)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br $s))))

  ;; One tap of col2imAdd, input channels [c0, c1): for each channel c, image b0 and output row i
  ;; whose input row hx = i·sh + ra lies in [0, h):
  ;;   dxT[(c·n + b0)·h·w + hx·w + rb + k·sw] += col[s + j0 + k],  k < len
  ;; s starts at `s` and advances by wo per output row (rows outside the input included).
  (func (export "col2imTap")
    (param $col i32) (param $dx i32) (param $n i32) (param $h i32) (param $w i32)
    (param $ho i32) (param $wo i32) (param $sh i32) (param $sw i32) (param $ra i32) (param $rb i32)
    (param $j0 i32) (param $len i32) (param $c0 i32) (param $c1 i32) (param $s i32)
    (local $c i32) (local $b0 i32) (local $i i32) (local $hx i32) (local $pd i32) (local $ps i32)
    (local $k i32) (local $plane i32) (local $step i32)
    (local.set $step (i32.shl (local.get $sw) (i32.const 2)))
    (local.set $c (local.get $c0))
    (block $cdone (loop $cl
      (br_if $cdone (i32.ge_s (local.get $c) (local.get $c1)))
      (local.set $b0 (i32.const 0))
      (block $bdone (loop $bl
        (br_if $bdone (i32.ge_s (local.get $b0) (local.get $n)))
        (local.set $plane (i32.mul (i32.add (i32.mul (local.get $c) (local.get $n)) (local.get $b0)) (i32.mul (local.get $h) (local.get $w))))
        (local.set $i (i32.const 0))
        (block $idone (loop $il
          (br_if $idone (i32.ge_s (local.get $i) (local.get $ho)))
          (local.set $hx (i32.add (i32.mul (local.get $i) (local.get $sh)) (local.get $ra)))
          (if (i32.and (i32.ge_s (local.get $hx) (i32.const 0)) (i32.lt_s (local.get $hx) (local.get $h)))
            (then
              (local.set $pd (i32.shl (i32.add (local.get $dx) (i32.add (local.get $plane) (i32.add (i32.mul (local.get $hx) (local.get $w)) (local.get $rb)))) (i32.const 2)))
              (local.set $ps (i32.shl (i32.add (local.get $col) (i32.add (local.get $s) (local.get $j0))) (i32.const 2)))
              (local.set $k (local.get $len))
              (if (i32.eq (local.get $sw) (i32.const 1))
                (then
                  (block $vdone (loop $vl
                    (br_if $vdone (i32.lt_s (local.get $k) (i32.const 4)))
                    (v128.store (local.get $pd) (f32x4.add (v128.load (local.get $pd)) (v128.load (local.get $ps))))
                    (local.set $pd (i32.add (local.get $pd) (i32.const 16)))
                    (local.set $ps (i32.add (local.get $ps) (i32.const 16)))
                    (local.set $k (i32.sub (local.get $k) (i32.const 4)))
                    (br $vl)))))
              (block $tdone (loop $tl
                (br_if $tdone (i32.le_s (local.get $k) (i32.const 0)))
                (f32.store (local.get $pd) (f32.add (f32.load (local.get $pd)) (f32.load (local.get $ps))))
                (local.set $pd (i32.add (local.get $pd) (local.get $step)))
                (local.set $ps (i32.add (local.get $ps) (i32.const 4)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $tl)))))
          (local.set $s (i32.add (local.get $s) (local.get $wo)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (local.set $b0 (i32.add (local.get $b0) (i32.const 1)))
        (br $bl)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl))))

  ;; One tap of im2colTapsTransposed, input channels [c0, c1): the rows of colT from row `d`
  ;; (in floats) on, wo floats per (channel, image, output row): zeros where the input row
  ;; hx = i·sh + ra lies outside [0, h), else j0 zeros, len values xt[plane + hx·w + rb + k·sw],
  ;; and zeros to wo.
  (func (export "im2colTTap")
    (param $xt i32) (param $cv i32) (param $n i32) (param $h i32) (param $w i32)
    (param $ho i32) (param $wo i32) (param $sh i32) (param $sw i32) (param $ra i32) (param $rb i32)
    (param $j0 i32) (param $len i32) (param $c0 i32) (param $c1 i32) (param $d i32)
    (local $c i32) (local $b0 i32) (local $i i32) (local $hx i32) (local $pd i32) (local $ps i32)
    (local $plane i32) (local $tail i32)
    (local.set $tail (i32.sub (i32.sub (local.get $wo) (local.get $j0)) (local.get $len)))
    (local.set $pd (i32.shl (i32.add (local.get $cv) (local.get $d)) (i32.const 2)))
    (local.set $c (local.get $c0))
    (block $cdone (loop $cl
      (br_if $cdone (i32.ge_s (local.get $c) (local.get $c1)))
      (local.set $b0 (i32.const 0))
      (block $bdone (loop $bl
        (br_if $bdone (i32.ge_s (local.get $b0) (local.get $n)))
        (local.set $plane (i32.mul (i32.add (i32.mul (local.get $c) (local.get $n)) (local.get $b0)) (i32.mul (local.get $h) (local.get $w))))
        (local.set $i (i32.const 0))
        (block $idone (loop $il
          (br_if $idone (i32.ge_s (local.get $i) (local.get $ho)))
          (local.set $hx (i32.add (i32.mul (local.get $i) (local.get $sh)) (local.get $ra)))
          (if (i32.and (i32.and (i32.ge_s (local.get $hx) (i32.const 0)) (i32.lt_s (local.get $hx) (local.get $h))) (i32.gt_s (local.get $len) (i32.const 0)))
            (then
              (call $zero (local.get $pd) (local.get $j0))
              (local.set $ps (i32.shl (i32.add (local.get $xt) (i32.add (local.get $plane) (i32.add (i32.mul (local.get $hx) (local.get $w)) (local.get $rb)))) (i32.const 2)))
              (if (i32.eq (local.get $sw) (i32.const 1))
                (then (call $copy (i32.add (local.get $pd) (i32.shl (local.get $j0) (i32.const 2))) (local.get $ps) (local.get $len)))
                (else (call $gather (i32.add (local.get $pd) (i32.shl (local.get $j0) (i32.const 2))) (local.get $ps) (local.get $len) (i32.shl (local.get $sw) (i32.const 2)))))
              (call $zero (i32.add (local.get $pd) (i32.shl (i32.add (local.get $j0) (local.get $len)) (i32.const 2))) (local.get $tail)))
            (else (call $zero (local.get $pd) (local.get $wo))))
          (local.set $pd (i32.add (local.get $pd) (i32.shl (local.get $wo) (i32.const 2))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (local.set $b0 (i32.add (local.get $b0) (i32.const 1)))
        (br $bl)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl))))

  ;; im2colTaps: col[(q·g + t − t0)·ci + c] = x[b0, i·sh − pt + a, j·sw − pl + b, c] (0 outside x)
  ;; for pixels p = p0 + q < p0 + pb, p = (b0, i, j), and taps t = a·kw + b in [t0, t0 + g).
  (func (export "im2colTaps")
    (param $x i32) (param $cv i32) (param $h i32) (param $w i32) (param $ci i32)
    (param $ho i32) (param $wo i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (param $t0 i32) (param $g i32) (param $p0 i32) (param $pb i32)
    (local $p i32) (local $pend i32) (local $b0 i32) (local $rem i32) (local $i i32) (local $j i32)
    (local $xn i32) (local $t i32) (local $a i32) (local $b i32) (local $hx i32) (local $wx i32) (local $pd i32)
    (local $hw i32) (local $cbytes i32)
    (local.set $hw (i32.mul (local.get $ho) (local.get $wo)))
    (local.set $cbytes (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $pd (i32.shl (local.get $cv) (i32.const 2)))
    (local.set $p (local.get $p0))
    (local.set $pend (i32.add (local.get $p0) (local.get $pb)))
    (block $pdone (loop $pl_
      (br_if $pdone (i32.ge_s (local.get $p) (local.get $pend)))
      (local.set $b0 (i32.div_s (local.get $p) (local.get $hw)))
      (local.set $rem (i32.sub (local.get $p) (i32.mul (local.get $b0) (local.get $hw))))
      (local.set $i (i32.div_s (local.get $rem) (local.get $wo)))
      (local.set $j (i32.sub (local.get $rem) (i32.mul (local.get $i) (local.get $wo))))
      (local.set $xn (i32.mul (local.get $b0) (i32.mul (i32.mul (local.get $h) (local.get $w)) (local.get $ci))))
      (local.set $t (local.get $t0))
      (block $tdone (loop $tl
        (br_if $tdone (i32.ge_s (local.get $t) (i32.add (local.get $t0) (local.get $g))))
        (local.set $a (i32.div_s (local.get $t) (local.get $kw)))
        (local.set $b (i32.sub (local.get $t) (i32.mul (local.get $a) (local.get $kw))))
        (local.set $hx (i32.add (i32.sub (i32.mul (local.get $i) (local.get $sh)) (local.get $pt)) (local.get $a)))
        (local.set $wx (i32.add (i32.sub (i32.mul (local.get $j) (local.get $sw)) (local.get $pl)) (local.get $b)))
        (if (i32.or
              (i32.or (i32.lt_s (local.get $hx) (i32.const 0)) (i32.ge_s (local.get $hx) (local.get $h)))
              (i32.or (i32.lt_s (local.get $wx) (i32.const 0)) (i32.ge_s (local.get $wx) (local.get $w))))
          (then (call $zero (local.get $pd) (local.get $ci)))
          (else (call $copy (local.get $pd)
            (i32.shl (i32.add (local.get $x) (i32.add (local.get $xn) (i32.mul (i32.add (i32.mul (local.get $hx) (local.get $w)) (local.get $wx)) (local.get $ci)))) (i32.const 2))
            (local.get $ci))))
        (local.set $pd (i32.add (local.get $pd) (local.get $cbytes)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tl)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pl_))))

  ;; transpose2d: dst[c·dstStride + r] = src[r·cols + c] (dstStride = rows: a plain transpose; more:
  ;; into columns of a wider matrix), in 16×16 tiles, as ./heap_loops.ts `transposeTiles` (tfjs's own
  ;; Transpose walks the whole matrix: 3–6 ns/element where a row is a power-of-two bytes long, cache
  ;; conflicts). Inside a tile the inner loop runs along the side whose rows are longer, contiguously,
  ;; so the 16 strided accesses are the shorter stride (a 16 KB stride would put all 16 in one cache set).
  (func (export "transpose2d") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $dstStride i32)
    (local $r0 i32) (local $c0 i32) (local $i i32) (local $k i32) (local $re i32) (local $ce i32)
    (local $ps i32) (local $pd i32) (local $sstep i32) (local $dstep i32) (local $byrow i32)
    (local.set $sstep (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $dstep (i32.shl (local.get $dstStride) (i32.const 2)))
    ;; byrow: inner loop along a source row (reads contiguous, writes dstep apart)
    (local.set $byrow (i32.le_s (local.get $dstStride) (local.get $cols)))
    (local.set $r0 (i32.const 0))
    (block $r0done (loop $r0l
      (br_if $r0done (i32.ge_s (local.get $r0) (local.get $rows)))
      (local.set $re (select (i32.add (local.get $r0) (i32.const 16)) (local.get $rows)
        (i32.lt_s (i32.add (local.get $r0) (i32.const 16)) (local.get $rows))))
      (local.set $c0 (i32.const 0))
      (block $c0done (loop $c0l
        (br_if $c0done (i32.ge_s (local.get $c0) (local.get $cols)))
        (local.set $ce (select (i32.add (local.get $c0) (i32.const 16)) (local.get $cols)
          (i32.lt_s (i32.add (local.get $c0) (i32.const 16)) (local.get $cols))))
        (if (local.get $byrow)
          (then
            (local.set $i (local.get $r0))
            (block $idone (loop $il
              (br_if $idone (i32.ge_s (local.get $i) (local.get $re)))
              (local.set $ps (i32.shl (i32.add (local.get $src) (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $c0))) (i32.const 2)))
              (local.set $pd (i32.shl (i32.add (local.get $dst) (i32.add (i32.mul (local.get $c0) (local.get $dstStride)) (local.get $i))) (i32.const 2)))
              (local.set $k (local.get $c0))
              (block $kdone (loop $kl
                (br_if $kdone (i32.ge_s (local.get $k) (local.get $ce)))
                (f32.store (local.get $pd) (f32.load (local.get $ps)))
                (local.set $ps (i32.add (local.get $ps) (i32.const 4)))
                (local.set $pd (i32.add (local.get $pd) (local.get $dstep)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $kl)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $il))))
          (else
            (local.set $i (local.get $c0))
            (block $idone2 (loop $il2
              (br_if $idone2 (i32.ge_s (local.get $i) (local.get $ce)))
              (local.set $ps (i32.shl (i32.add (local.get $src) (i32.add (i32.mul (local.get $r0) (local.get $cols)) (local.get $i))) (i32.const 2)))
              (local.set $pd (i32.shl (i32.add (local.get $dst) (i32.add (i32.mul (local.get $i) (local.get $dstStride)) (local.get $r0))) (i32.const 2)))
              (local.set $k (local.get $r0))
              (block $kdone2 (loop $kl2
                (br_if $kdone2 (i32.ge_s (local.get $k) (local.get $re)))
                (f32.store (local.get $pd) (f32.load (local.get $ps)))
                (local.set $ps (i32.add (local.get $ps) (local.get $sstep)))
                (local.set $pd (i32.add (local.get $pd) (i32.const 4)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $kl2)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $il2)))))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 16)))
        (br $c0l)))
      (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
      (br $r0l))))
)
