#!/usr/bin/env python3
"""Write a module file for the Limine test kernels: SIZE bytes of the pattern
lk_pattern_byte() in tests/limine/lk_lib.c recomputes from SEED, so the kernel
can check a module's bytes without trusting the loader.

usage: lk-pattern.py SEED SIZE OUT
"""
import sys


def pattern(seed, size):
    return bytes((i * 131 + seed * 7 + (i >> 8)) & 0xff for i in range(size))


if __name__ == "__main__":
    seed, size, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with open(out, "wb") as f:
        f.write(pattern(seed, size))
