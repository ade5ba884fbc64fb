"""gancc's PyTorch runtime: executes a gancc IR's training program (see main.py).

Generic: the same for every spec. The spec-specific parts are generated next to it by
`gancc compile spec.gan --emit torch` (nets.py, losses.py, train.py, ir.json).
Needs torch >= 1.13, numpy and Pillow.
"""
