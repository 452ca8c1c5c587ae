#!/usr/bin/env python3
"""Write the committed seed files of fuzz/corpus/exec and fuzz/corpus/ext2 (docs/fuzz.md).

Run by hand from the source tree when the seeds should change:
    python3 fuzz/mkseeds.py
The build never runs it: the seeds are small files in the repository.

exec: hand-made ELF programs, each a few hundred bytes: 64- and 32-bit, a text segment
and a data segment with a zeroed tail and .bss, program headers past the first page,
and the malformed shapes that were findings (see docs/fuzz.md).
ext2: images made by the real mke2fs (e2fsprogs) from a small tree with every kind of
entry the driver reads (directories, a sparse file with single and double indirect
blocks, fast and slow symlinks, a symlink loop, one of the ELF programs); 1, 2 and 4 KiB
blocks, revisions 0 and 1.  The images' trailing zero bytes are cut off: the harness puts
them back (the device is as large as the superblock says).
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def elf(cls, loads, entry, machine=None, data=1, etype=2, phoff=None, size=None, body=b""):
    """An ELF file: header, program headers at phoff, body bytes after them, zero padded
    to size.  loads: (type, flags, offset, vaddr, filesz, memsz)."""
    c64 = cls == 2
    ehsize, phsize = (64, 56) if c64 else (52, 32)
    phoff = ehsize if phoff is None else phoff
    end = ">" if data == 2 else "<"
    machine = machine if machine is not None else (62 if c64 else 3)
    ident = b"\x7fELF" + bytes([cls, data, 1]) + bytes(9)
    if c64:
        hdr = ident + struct.pack(end + "HHIQQQIHHHHHH", etype, machine, 1, entry, phoff, 0, 0, ehsize,
                                  phsize, len(loads), 0, 0, 0)
    else:
        hdr = ident + struct.pack(end + "HHIIIIIHHHHHH", etype, machine, 1, entry, phoff, 0, 0, ehsize,
                                  phsize, len(loads), 0, 0, 0)
    ph = b""
    for (t, fl, off, va, fsz, msz) in loads:
        if c64:
            ph += struct.pack(end + "IIQQQQQQ", t, fl, off, va, va, fsz, msz, 0x1000)
        else:
            ph += struct.pack(end + "IIIIIIII", t, off, va, va, fsz, msz, fl, 0x1000)
    out = bytearray(max(size or 0, phoff + len(ph), ehsize))
    out[0:len(hdr)] = hdr
    out[phoff:phoff + len(ph)] = ph
    tail = phoff + len(ph)
    if size is None:
        out += body
    else:
        out[tail:tail + len(body)] = body[:max(0, size - tail)]
    return bytes(out)


CODE = bytes(range(1, 65)) * 2   # recognisable bytes for the segments


def exec_seeds():
    s = {}
    n64 = 64 + 56 * 2
    s["elf64-text-data"] = elf(2, [(1, 5, 0, 0x400000, n64 + 64, n64 + 64),
                                   (1, 6, n64 + 64, 0x601000 + n64 + 64, 64, 0x3000)],
                               0x400000 + n64, body=CODE)
    n32 = 52 + 32 * 2
    s["elf32-text-data"] = elf(1, [(1, 5, 0, 0x08048000, n32 + 64, n32 + 64),
                                   (1, 6, n32 + 64, 0x0804a000 + n32 + 64, 64, 0x2000)],
                               0x08048000 + n32, body=CODE)
    s["elf32-arm"] = elf(1, [(1, 5, 0, 0x8000, 52 + 32 + 64, 52 + 32 + 64)], 0x8000 + 84, machine=40, body=CODE[:64])
    s["elf64-rodata-bss"] = elf(2, [(1, 4, 0, 0x400000, 64 + 56 + 32, 0x1800)], 0x400000, body=CODE[:32])
    s["elf64-far-phdr"] = elf(2, [(1, 5, 0, 0x400000, 0x1100, 0x1100)], 0x400000, phoff=0x1000, size=0x1100)
    s["elf64-interp"] = elf(2, [(3, 4, 0x100, 0x400100, 8, 8), (1, 5, 0, 0x400000, 0x120, 0x120)], 0x400000,
                            size=0x120)
    s["elf64-dyn"] = elf(2, [(1, 5, 0, 0, 0x100, 0x100)], 0, etype=3, size=0x100)
    # findings (docs/fuzz.md): a 32-bit segment ending above 4 GiB, EI_DATA 0, big-endian
    s["elf32-above-4g"] = elf(1, [(1, 5, 0, 0x08048000, 0x100, 0x100), (1, 6, 0, 0xfffff000, 0, 0x10000)],
                              0x08048000, size=0x100)
    s["elf64-data0"] = elf(2, [(1, 5, 0, 0x400000, 0x100, 0x100)], 0x400000, data=0, size=0x100)
    s["elf64-big-endian"] = elf(2, [(1, 5, 0, 0x400000, 0x100, 0x100)], 0x400000, data=2, size=0x100)
    flipped = bytearray(elf(2, [(1, 5, 0, 0x400000, 0x100, 0x100)], 0x400000, size=0x100))
    flipped[5] = 2   # a little-endian file marked big-endian
    s["elf64-flipped-byte-order"] = bytes(flipped)
    return s


def write_dir(name, files):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    for k, v in sorted(files.items()):
        with open(os.path.join(d, k), "wb") as f:
            f.write(v)
        print("%s/%s: %d bytes" % (name, k, len(v)))


def ext2_seeds(prog):
    mke2fs = shutil.which("mke2fs") or next((p for p in ("/usr/sbin/mke2fs", "/sbin/mke2fs") if os.path.exists(p)), None)
    if not mke2fs:
        sys.exit("mke2fs not found: install e2fsprogs")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        for d in ("dir/sub", "links", "bin"):
            os.makedirs(os.path.join(src, d))
        with open(os.path.join(src, "hello.txt"), "w") as f:
            f.write("hello, fuzz\n")
        with open(os.path.join(src, "dir/sub/file"), "w") as f:
            f.write("file\n")
        with open(os.path.join(src, "sparse"), "wb") as f:   # direct, single and double indirect
            f.write(b"A" * 100)
            f.seek(13 * 4096)
            f.write(b"B" * 10)
            f.seek(1100 * 4096)
            f.write(b"C" * 5)
        with open(os.path.join(src, "bin/prog"), "wb") as f:
            f.write(prog)
        os.chmod(os.path.join(src, "bin/prog"), 0o755)
        os.symlink("../hello.txt", os.path.join(src, "links/fast"))
        os.symlink("../dir/sub/../sub/../../dir/./sub/../../links/../dir/sub/../../hello.txt",
                   os.path.join(src, "links/slow"))
        os.symlink("loop2", os.path.join(src, "links/loop1"))
        os.symlink("loop1", os.path.join(src, "links/loop2"))
        for root, dirs, files in os.walk(src):   # fixed times: the images are reproducible
            for n in dirs + files:
                os.utime(os.path.join(root, n), (1700000000, 1700000000), follow_symlinks=False)
        os.utime(src, (1700000000, 1700000000))
        for bs, rev in ((1024, 1), (2048, 0), (4096, 1)):
            img = os.path.join(tmp, "img")
            env = dict(os.environ, E2FSPROGS_FAKE_TIME="1700000000")
            fixed = "01234567-89ab-cdef-0123-456789abcdef"
            opts = ["-O", "^resize_inode,^dir_index,^ext_attr", "-I", "128"] if rev == 1 else []
            subprocess.run([mke2fs, "-q", "-F", "-t", "ext2", "-b", str(bs), "-r", str(rev), "-N", "32", "-m", "0",
                            "-U", fixed, "-E", "hash_seed=" + fixed] + opts + ["-d", src, img, "1M"],
                           check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(img, "rb") as f:
                out["ext2-%dk-rev%d" % (bs // 1024, rev)] = f.read().rstrip(b"\0")
    return out


def main():
    ex = exec_seeds()
    write_dir("exec", ex)
    write_dir("ext2", ext2_seeds(ex["elf64-text-data"]))


if __name__ == "__main__":
    main()
