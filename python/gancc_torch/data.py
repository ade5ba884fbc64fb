"""Port of src/data (dataset.ts, preprocess.ts, loader.ts, decode.ts) for the torch engine: the
three layouts, the same file order, the same seeded plan of every batch (shuffling, other
domains' indices, crops and flips drawn from the same Rng streams in the same order) and the same
loader state in checkpoints, so a run moves between the engines with the same data order.

Decoding uses Pillow instead of sharp: region, alpha flattened onto white (RGBA kept for
image[4]), bicubic resize (Catmull-Rom, a = -0.5, as both PIL and sharp's "cubic"), crop, flip,
x / 127.5 - 1; grayscale as BT.601 luma in float. Resampled pixels can differ from sharp's by a
rounding step; geometry and randomness are identical.
"""
import os

import numpy as np

from .rng import Rng, hash_string

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".avif", ".ppm", ".pgm", ".pnm", ".bmp")
SIDES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class DataError(Exception):
    pass


def round_half_even(x):
    import math

    f = math.floor(x)
    d = x - f
    if d > 0.5:
        return f + 1
    if d < 0.5:
        return f
    return f if f % 2 == 0 else f + 1


def _crops_in(p):
    return p in ("resize_and_crop", "crop", "scale_width_and_crop")


def resized_size(o, w, h, mode):
    load = o["crop"] if mode == "eval" else o["load"]
    p = o["preprocess"]
    if p in ("resize_and_crop", "resize"):
        return load, load
    if p in ("scale_width", "scale_width_and_crop"):
        if w == load and h >= o["crop"]:
            return w, h
        return load, int(max(load * h / w, o["crop"]) // 1)
    if p == "crop":
        return w, h
    if p == "none":
        return round_half_even(w / 4) * 4, round_half_even(h / 4) * 4
    raise DataError("unknown preprocess %r" % p)


def plan_transform(o, w, h, mode, rng):
    """{resize: (w, h) | None, crop: (left, top, c) | None, flip: bool, out: (w, h)}"""
    rw, rh = resized_size(o, w, h, mode)
    t = {"resize": (rw, rh) if (rw, rh) != (w, h) else None, "crop": None, "flip": False, "out": (rw, rh)}
    if _crops_in(o["preprocess"]):
        c = o["crop"]
        range_x, range_y = max(0, rw - c), max(0, rh - c)
        if mode == "train":
            left = rng.int(range_x + 1)
            top = rng.int(range_y + 1)
        else:
            left, top = round_half_even(range_x / 2), round_half_even(range_y / 2)
        if rw > c or rh > c:
            if rw < c or rh < c:
                raise DataError("%dx%d cannot be cropped to %dx%d" % (rw, rh, c, c))
            t["crop"] = (left, top, c)
            t["out"] = (c, c)
    if mode == "train" and o["flip"]:
        t["flip"] = rng.next() < 0.5
    return t


def _list_images(d):
    out = []
    for dirpath, dirnames, filenames in os.walk(d, followlinks=False):
        dirnames[:] = [x for x in dirnames if not x.startswith(".")]
        for f in filenames:
            if f.startswith("."):
                continue
            dot = f.rfind(".")
            if dot > 0 and f[dot:].lower() in IMAGE_EXTENSIONS:
                out.append(os.path.join(dirpath, f))
    # JavaScript's default sort compares UTF-16 code units
    out.sort(key=lambda s: s.encode("utf-16-be"))
    return out


def _size(path):
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - unreadable files are skipped, as the tfjs engine does
        return None


def _rel(root, p):
    return os.path.relpath(p, root).replace(os.sep, "/")


class Dataset:
    def __init__(self, root, data, split="train"):
        self.data = data
        self.root = os.path.abspath(root)
        if not os.path.isdir(self.root):
            raise DataError("%s (the data folder) does not exist or is not a folder" % self.root)
        sides = [SIDES[i] for i in range(len(data["domains"]))]
        if data["direction"] == "BtoA" and len(sides) == 2:
            sides.reverse()
        self.domains = []  # [(name, channels, [(path, rel, w, h, region)])]
        layout = data["layout"]

        def scan(folder):
            d = os.path.join(self.root, folder)
            if not os.path.isdir(d):
                raise DataError("%s does not exist (layout: %s expects it)" % (d, layout))
            imgs = []
            for p in _list_images(d):
                s = _size(p)
                if s is not None:
                    imgs.append((p, _rel(self.root, p), s[0], s[1], None))
            if not imgs:
                raise DataError("%s has no readable images" % d)
            return imgs

        if layout == "unpaired":
            for i, dom in enumerate(data["domains"]):
                self.domains.append((dom["name"], dom["channels"], scan(split + sides[i])))
        elif layout == "paired_ab":
            imgs = scan(split)
            for p, rel, w, h, _ in imgs:
                if w % 2:
                    raise DataError("layout: paired_ab needs even widths; %s is %dx%d" % (rel, w, h))
            for i, dom in enumerate(data["domains"]):
                left = sides[i] == "A"
                self.domains.append((dom["name"], dom["channels"], [(p, rel, w // 2, h, ((0 if left else w // 2), 0, w // 2, h)) for p, rel, w, h, _ in imgs]))
        elif layout == "paired_folders":
            lists = []
            for i in range(2):
                d = os.path.join(self.root, split + sides[i])
                if not os.path.isdir(d):
                    raise DataError("%s does not exist (layout: paired_folders expects it)" % d)
                by = {}
                for p in _list_images(d):
                    r = _rel(d, p)
                    slash, dot = r.rfind("/"), r.rfind(".")
                    by[r[:dot] if dot > slash + 1 else r] = p
                lists.append(by)
            a, b = lists
            if set(a) != set(b):
                raise DataError("layout: paired_folders needs the same image names in %s%s and %s%s" % (split, sides[0], split, sides[1]))
            keys = sorted(a, key=lambda s: s.encode("utf-16-be"))
            ka, kb = [], []
            for k in keys:
                sa, sb = _size(a[k]), _size(b[k])
                if sa and sb:
                    ka.append((a[k], _rel(self.root, a[k]), sa[0], sa[1], None))
                    kb.append((b[k], _rel(self.root, b[k]), sb[0], sb[1], None))
            if not ka:
                raise DataError("no readable pairs in %s%s / %s%s" % (split, sides[0], split, sides[1]))
            for i, dom in enumerate(data["domains"]):
                self.domains.append((dom["name"], dom["channels"], ka if i == 0 else kb))
        else:
            raise DataError("unknown layout %r" % layout)
        self.paired = layout != "unpaired"
        self.length = max(len(d[2]) for d in self.domains) if not self.paired else len(self.domains[0][2])
        lines = []
        for name, ch, imgs in self.domains:
            lines.append("#%s/%d" % (name, ch))
            for _, rel, w, h, region in imgs:
                lines.append("%s:%dx%d%s" % (rel, w, h, ("@%d" % region[0]) if region else ""))
        self.fingerprint = "%08x-%s" % (hash_string("\n".join(lines)), "-".join(str(len(d[2])) for d in self.domains))


def decode(path, channels, region, t):
    """float32 HWC in [-1, 1]."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        if region:
            l, tp, w, h = region
            im = im.crop((l, tp, l + w, tp + h))
        rgba = im.convert("RGBA")
        if channels != 4:
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(white, rgba).convert("RGB")
        else:
            img = rgba
        if t.get("resize"):
            img = img.resize(t["resize"], Image.BICUBIC)
        if t.get("crop"):
            l, tp, c = t["crop"]
            img = img.crop((l, tp, l + c, tp + c))
        a = np.asarray(img, dtype=np.float32)
    if t.get("flip"):
        a = a[:, ::-1, :]
    if channels == 1:
        y = (0.299 * a[..., 0:1].astype(np.float64) + 0.587 * a[..., 1:2] + 0.114 * a[..., 2:3]) / 127.5 - 1
        return y.astype(np.float32)
    return (a[..., :channels] / np.float32(127.5) - np.float32(1)).astype(np.float32)


class Loader:
    """The seeded, resumable loader of src/data/loader.ts (training mode), planning batches of
    `batch` items (the global batch under DDP)."""

    def __init__(self, dataset, batch, seed, drop_last=False, state=None):
        self.ds = dataset
        self.batch = batch
        self.limit = (dataset.length // batch) * batch if drop_last else dataset.length
        if self.limit == 0:
            raise DataError("batch %d is larger than the %d items of %s; use a smaller batch (or fewer processes)" % (batch, dataset.length, dataset.root))
        self.batches_per_epoch = -(-self.limit // batch)
        if state:
            self.seed, self.epoch, self.position, self.iteration = state["seed"], state["epoch"], state["position"], state["iteration"]
            self.rng = Rng.from_state([int(x) for x in state["rng"]])
        else:
            self.seed, self.epoch, self.position, self.iteration = seed, 0, 0, 0
            self.rng = Rng.derive(seed, "data")
        self.order = None
        self._state = self._snapshot()
        self.prefetch = True
        self._pending = None
        self._pool = None

    def _snapshot(self):
        return {"version": 1, "seed": self.seed, "epoch": self.epoch, "position": self.position, "iteration": self.iteration, "rng": self.rng.state(), "fingerprint": self.ds.fingerprint}

    def state(self):
        return dict(self._state)

    def _perm(self, epoch):
        if self.order and self.order[0] == epoch:
            return self.order[1]
        idx = list(range(self.ds.length))
        Rng.derive(self.seed, "data/order/%d" % epoch).shuffle(idx)
        self.order = (epoch, idx)
        return idx

    def _plan(self):
        if self.position >= self.limit:
            self.epoch += 1
            self.position = 0
        ds = self.ds
        perm = self._perm(self.epoch)
        n = min(self.batch, self.limit - self.position)
        items = []
        o = ds.data
        for p in range(self.position, self.position + n):
            k = perm[p]
            parts = []
            if ds.paired:
                imgs0 = ds.domains[0][2]
                index = k % len(imgs0)
                im = imgs0[index]
                t = plan_transform(o, im[2], im[3], "train", self.rng)
                parts = [(index, t) for _ in ds.domains]
            else:
                for di, (_, _, imgs) in enumerate(ds.domains):
                    m = len(imgs)
                    index = k % m if di == 0 else self.rng.int(m)
                    im = imgs[index]
                    parts.append((index, plan_transform(o, im[2], im[3], "train", self.rng)))
            items.append(parts)
        index = self.position // self.batch
        self.position += n
        meta = {"epoch": self.epoch, "index": index, "last": self.position >= self.limit}
        self.iteration += 1
        return meta, items, self._snapshot()

    def _decode(self, items):
        data, files = {}, {}
        for di, (name, ch, imgs) in enumerate(self.ds.domains):
            arrs = []
            files[name] = []
            for parts in items:
                i, t = parts[di]
                path, rel, _, _, region = imgs[i]
                files[name].append(rel)
                try:
                    arrs.append(decode(path, ch, region, t))
                except OSError as e:
                    raise DataError("cannot read %s (%s); it was readable when the dataset was opened. Restore or delete it and resume." % (path, e))
            shapes = {a.shape for a in arrs}
            if len(shapes) > 1:
                raise DataError("batch of domain %s mixes image sizes %s; use batch 1, or preprocess: resize_and_crop" % (name, sorted(shapes)))
            data[name] = np.stack(arrs)
        return data, files

    def _start(self):
        """Plans the next batch now (the draws stay in order) and decodes it in a thread."""
        import concurrent.futures

        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        meta, items, after = self._plan()
        return meta, after, self._pool.submit(self._decode, items)

    def next(self):
        """{epoch, index, last, data: {domain: N x H x W x C float32}, files}; decodes the following batch meanwhile."""
        pending = self._pending or self._start()
        meta, after, fut = pending
        data, files = fut.result()
        self._state = after
        self._pending = self._start() if self.prefetch else None
        return dict(meta, data=data, files=files)


def open_loader(root, ir, global_batch, seed, drop_last, state):
    if not root:
        from .main import Fatal

        raise Fatal("data", "options.json gives no `data` folder")
    try:
        ds = Dataset(root, ir["data"])
        return Loader(ds, global_batch, seed, drop_last, state)
    except DataError as e:
        from .main import Fatal

        raise Fatal("data", str(e))
