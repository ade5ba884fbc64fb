"""Port of src/runtime/pool.ts: the image history pool (official util/image_pool.py). Images are
kept per batch element on the device (NCHW); a checkpoint stores them NHWC like the tfjs engine."""
import torch


class ImagePool:
    def __init__(self, size, swap=0.5):
        self.size = size
        self.swap = swap
        self.images = []  # each [C, H, W] (or [F]) on the device, detached
        self.shape = None  # per-image shape in IR layout ([H, W, C]), for checkpoints

    def query(self, batch, rng):
        if self.size <= 0:
            return batch.detach()
        batch = batch.detach()
        if self.shape is None:
            s = list(batch.shape[1:])
            self.shape = [s[1], s[2], s[0]] if len(s) == 3 else s
        out = []
        for i in range(batch.shape[0]):
            img = batch[i].clone()
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif rng.next() < self.swap:
                j = rng.int(self.size)
                out.append(self.images[j])
                self.images[j] = img
            else:
                out.append(img)
        return torch.stack(out)
