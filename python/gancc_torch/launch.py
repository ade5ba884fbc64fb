"""`python3 launch.py ARGS...` = `python3 -m torch.distributed.run ARGS...`, working around a bug of
torch 1.13's launcher under Python >= 3.11: its default `--redirects 0` / `--tee 0` parse to None
(Python 3.11 no longer lists the zero member of an IntFlag when iterating it) and the launcher
crashes before starting any worker. The fix is applied only when the bug is present."""
import re
import sys


def _patch():
    try:
        from torch.distributed.elastic.multiprocessing import api
    except ImportError:
        return
    Std = api.Std
    if Std.from_str("0") is not None:
        return

    def from_str(vm):
        if re.fullmatch(r"[0-3]", vm):
            return Std(int(vm))
        if re.fullmatch(r"(\d:[0-3],)*\d:[0-3]", vm):
            return {int(i): Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError("%s does not match <[0-3]> or <(\\d:[0-3],)*\\d:[0-3]>" % vm)

    Std.from_str = staticmethod(from_str)


def main(argv=None):
    _patch()
    from torch.distributed import run

    sys.argv = [sys.argv[0]] + list(sys.argv[1:] if argv is None else argv)
    run.main()


if __name__ == "__main__":
    main()
