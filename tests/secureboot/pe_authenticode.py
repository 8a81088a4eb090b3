#!/usr/bin/env python3
"""What an Authenticode signature covers in a PE image, byte by byte.

The PE image hash (Microsoft, "Windows Authenticode Portable Executable
Signature Format", "Calculating the PE Image Hash"; the same walk as edk2's
DxeImageVerificationLib HashPeImage) covers: the headers up to SizeOfHeaders
except the optional header's CheckSum and the certificate-table data
directory entry; then every section's raw data, sorted by PointerToRawData;
then "extra data" after the last section, counted from SUM_OF_BYTES_HASHED
(a count, not a file offset), up to the certificate table. Bytes between
the headers and the first section, or between sections, are in no region:
a gap there is a byte an attacker may change without breaking the
signature, and it also shifts where the extra-data region starts.

  pe_authenticode.py IMAGE          classify every byte; exit 1 on a gap or
                                    overlap, print the image hash
  pe_authenticode.py --signed IMAGE also require the hash inside the
                                    certificate table (the signer's digest)
"""
import hashlib
import struct
import sys

DIR_SECURITY = 4


def regions(img):
    pe = struct.unpack_from("<I", img, 0x3C)[0]
    assert img[pe:pe + 4] == b"PE\0\0", "not a PE image"
    nsec, = struct.unpack_from("<H", img, pe + 6)
    optsz, = struct.unpack_from("<H", img, pe + 20)
    opt = pe + 24
    assert struct.unpack_from("<H", img, opt)[0] == 0x20B, "not PE32+"
    checksum = opt + 64
    cert_dir = opt + 112 + 8 * DIR_SECURITY
    size_of_headers, = struct.unpack_from("<I", img, opt + 60)
    cert_off, cert_size = struct.unpack_from("<II", img, cert_dir)
    hashed = [(0, checksum), (checksum + 4, cert_dir), (cert_dir + 8, size_of_headers)]
    excluded = [(checksum, checksum + 4, "checksum"), (cert_dir, cert_dir + 8, "certificate-table entry")]
    secs = []
    for i in range(nsec):
        s = opt + optsz + 40 * i
        rawsz, rawptr = struct.unpack_from("<II", img, s + 16)
        if rawsz:
            secs.append((rawptr, rawptr + rawsz, img[s:s + 8].rstrip(b"\0").decode()))
    secs.sort()
    total = size_of_headers
    for lo, hi, _ in secs:
        hashed.append((lo, hi))
        total += hi - lo
    end = len(img) - cert_size
    if end > total:
        hashed.append((total, end))     # the spec's extra data: from the COUNT on
    if cert_size:
        excluded.append((cert_off, cert_off + cert_size, "certificate table"))
    return hashed, excluded, secs, (cert_off, cert_size)


def classify(img):
    hashed, excluded, secs, _ = regions(img)
    owner = bytearray(len(img))        # 0 none, 1 hashed, 2 excluded
    problems = []
    for lo, hi in hashed:
        for a in range(lo, hi):
            if owner[a]:
                problems.append(f"byte 0x{a:x} hashed twice")
                break
            owner[a] = 1
    for lo, hi, what in excluded:
        for a in range(lo, hi):
            if owner[a]:
                problems.append(f"byte 0x{a:x} both hashed and excluded ({what})")
                break
            owner[a] = 2
    gaps = [a for a in range(len(img)) if owner[a] == 0]
    if gaps:
        problems.append(f"{len(gaps)} bytes covered by nothing, first at 0x{gaps[0]:x}")
    return problems, hashed


def image_hash(img):
    hashed, _, _, _ = regions(img)
    h = hashlib.sha256()
    for lo, hi in hashed:
        h.update(img[lo:hi])
    return h.digest()


def main():
    args = sys.argv[1:]
    signed = args and args[0] == "--signed"
    if signed:
        args = args[1:]
    img = open(args[0], "rb").read()
    problems, hashed = classify(img)
    digest = image_hash(img)
    _, _, secs, (cert_off, cert_size) = regions(img)
    if signed:
        if not cert_size:
            problems.append("no certificate table")
        elif digest not in img[cert_off:cert_off + cert_size]:
            problems.append("the signature's digest is not this walk's image hash")
    for p in problems:
        print(f"{args[0]}: {p}")
    print(f"{args[0]}: {len(img)} bytes, {len(secs)} sections, "
          f"{sum(hi - lo for lo, hi in hashed)} hashed, image hash {digest.hex()}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
