#!/usr/bin/env python3
"""Check a QEMU screendump of Pagoda's screen (python3 stdlib only).

Reads the screenshot (PPM P6, as QEMU's screendump writes it), the serial
log of the same boot, the PSF font the kernel embedded and the kernel's
palette (parsed from kernel/fbcon.c, so the two cannot drift), writes the
screen as a PNG artefact, and prints one line per check:

  PASS NAME-report   the kernel's `pagoda: screen ...` line, matching the image size
  PASS NAME-bar      memory bar: usable-RAM and kernel-image colours in one band,
                     above the console; legend swatches below it
  PASS NAME-text     the console's cells, read back with the font, are a run of
                     the serial log's lines (wrapped at the console width) that
                     ends with the kernel's result= line

With --early (a boot that stopped before the kernel drew its picture, e.g. a
fault before the AP bring-up): there is no `pagoda: screen` line, so the
console's geometry is derived from the image size, the font and the
constants in the kernel's sources, and the screen must hold every line from
the loader's banner on: the loader's log reaches the screen through the
kernel, which sets the screen up at the first alert.

Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import gzip
import re
import struct
import sys
import zlib

# The bar is the band where usable RAM covers at least this share of a row.
BAR_MIN_USABLE_SHARE = 0.2
PSF1_MAGIC = b"\x36\x04"
PSF1_MODE512, PSF1_MODEHASTAB, PSF1_MODESEQ = 0x01, 0x02, 0x04
PSF1_SEPARATOR, PSF1_STARTSEQ = 0xFFFF, 0xFFFE
PSF2_MAGIC = b"\x72\xb5\x4a\x86"
PSF2_HAS_UNICODE_TABLE = 0x01
PSF2_SEPARATOR, PSF2_STARTSEQ = 0xFF, 0xFE
SCREEN_LINE = re.compile(
    r"^pagoda: screen fb=(\d+)x(\d+) font=(\d+)x(\d+) scale=(\d+) "
    r"console=(\d+)x(\d+)\+(\d+)\+(\d+) draw_us=(\d+)")


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:                      # magic, width, height, maxval
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ValueError("not an 8-bit P6 PPM")
    w, h = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + 3 * w * h]
    if len(pixels) != 3 * w * h:
        raise ValueError("PPM truncated")
    return w, h, pixels


def write_png(path, w, h, rgb):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    raw = b"".join(b"\0" + rgb[y * 3 * w:(y + 1) * 3 * w] for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def read_psf(path):
    """(width, height, {code point: glyph rows as a tuple of ints})."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:2] == PSF1_MAGIC:
        mode, height = data[2], data[3]
        width, count, size, off = 8, 512 if mode & PSF1_MODE512 else 256, height, 4
        has_table = bool(mode & (PSF1_MODEHASTAB | PSF1_MODESEQ))
    elif data[:4] == PSF2_MAGIC:
        _, off, flags, count, size, height, width = struct.unpack("<7I", data[4:32])
        has_table = bool(flags & PSF2_HAS_UNICODE_TABLE)
    else:
        raise ValueError("not a PSF font")
    row_bytes = (width + 7) // 8
    glyphs = []
    for g in range(count):
        b = data[off + g * size:off + (g + 1) * size]
        glyphs.append(tuple(int.from_bytes(b[r * row_bytes:(r + 1) * row_bytes], "big")
                            >> (row_bytes * 8 - width) for r in range(height)))
    cmap, pos = {}, off + count * size
    if not has_table:
        cmap = {c: glyphs[c] for c in range(count)}
    elif data[:2] == PSF1_MAGIC:
        for g in range(count):
            seq = False
            while True:
                v = struct.unpack("<H", data[pos:pos + 2])[0]
                pos += 2
                if v == PSF1_SEPARATOR:
                    break
                seq = seq or v == PSF1_STARTSEQ
                if not seq:
                    cmap.setdefault(v, glyphs[g])
    else:
        for g in range(count):
            end = data.index(bytes([PSF2_SEPARATOR]), pos)
            entry = data[pos:end].split(bytes([PSF2_STARTSEQ]))[0]
            for ch in entry.decode("utf-8"):
                cmap.setdefault(ord(ch), glyphs[g])
            pos = end + 1
    return width, height, cmap


def read_palette(source):
    """RGB_* constants and per-type colours from kernel/fbcon.c."""
    text = open(source).read()
    rgb = {m[1]: int(m[2], 16) for m in re.finditer(r"#define (RGB_\w+)\s+0x([0-9A-Fa-f]{6})", text)}
    types = {m[1]: int(m[2], 16) for m in re.finditer(r"\[PMEM_(\w+)\]\s*=\s*0x([0-9A-Fa-f]{6})", text)}
    return rgb, types


def rgb_bytes(c):
    return bytes([(c >> 16) & 0xFF, (c >> 8) & 0xFF, c & 0xFF])


class Screen:
    def __init__(self, w, h, pixels):
        self.w, self.h, self.px = w, h, pixels

    def at(self, x, y):
        i = 3 * (y * self.w + x)
        return self.px[i:i + 3]

    def row_count(self, y, colour):
        row = self.px[3 * y * self.w:3 * (y + 1) * self.w]
        return sum(1 for i in range(0, len(row), 3) if row[i:i + 3] == colour)


def log_lines(log, first):
    """The serial log from the last line starting with `first` on."""
    lines = open(log, "rb").read().decode("latin-1").replace("\r", "").split("\n")
    starts = [i for i, l in enumerate(lines) if l.startswith(first)]
    return lines[starts[-1]:] if starts else []


def kernel_lines(log):
    return log_lines(log, "pagoda: kernel started")


def source_constants(paths):
    consts = {}
    for path in paths:
        for m in re.finditer(r"#define (\w+)\s+(\d+)\b", open(path).read()):
            consts[m[1]] = int(m[2])
    return consts


def early_geometry(w, h, font, consts):
    """The console fbcon_init lays out (kernel/fbcon.c), before any picture:
    same tuple shape as a parsed `pagoda: screen` line."""
    fw, fh = font[0], font[1]
    scale = max(w // consts["SCALE_WIDTH_STEP"], h // consts["SCALE_HEIGHT_STEP"])
    scale = min(max(scale, 1), consts["SCALE_MAX"])
    cw, ch = fw * scale, fh * scale
    cols = w // cw
    margin = consts["MARGIN_COLS"]
    cols = min(cols - 2 * margin if cols > 4 * margin else cols, consts["FBCON_MAX_COLS"])
    rows = min(h // ch, consts["FBCON_MAX_ROWS"])
    return (w, h, fw, fh, scale, cols, rows, (w - cols * cw) // 2, 0, 0)


def check_report(name, lines, w, h, want_scale):
    geo = [SCREEN_LINE.match(l) for l in lines]
    geo = [m for m in geo if m]
    if not geo:
        return None, f"FAIL {name}-report: no 'pagoda: screen fb=... console=...' line in the log"
    g = [int(v) for v in geo[-1].groups()]
    if (g[0], g[1]) != (w, h):
        return None, f"FAIL {name}-report: kernel says fb={g[0]}x{g[1]}, screenshot is {w}x{h}"
    if want_scale and g[4] != want_scale:
        return None, f"FAIL {name}-report: scale={g[4]}, expected {want_scale} at {w}x{h}"
    return g, f"PASS {name}-report: fb={w}x{h} font={g[2]}x{g[3]} scale={g[4]} draw_us={g[9]}"


def check_bar(name, scr, con_y, rgb, types):
    usable, kernel = rgb_bytes(types["USABLE"]), rgb_bytes(types["KERNEL_IMAGE"])
    band = [y for y in range(con_y)
            if scr.row_count(y, usable) >= BAR_MIN_USABLE_SHARE * scr.w]
    if not band:
        return f"FAIL {name}-bar: no band above the console (y < {con_y}) that is mostly usable-RAM colour"
    if band != list(range(band[0], band[-1] + 1)):
        return f"FAIL {name}-bar: usable-RAM colour in separate bands {band[0]}..{band[-1]}"
    y = band[len(band) // 2]
    if scr.row_count(y, kernel) == 0:
        return f"FAIL {name}-bar: no kernel-image colour in the bar (row {y})"
    legend = [y for y in range(band[-1] + 1, con_y) if scr.row_count(y, kernel) > 0]
    if not legend or not any(scr.row_count(y, usable) for y in range(band[-1] + 1, con_y)):
        return f"FAIL {name}-bar: no usable/kernel-image legend swatches below the bar"
    holes = scr.row_count(y, rgb_bytes(rgb["RGB_HOLE"]))
    return (f"PASS {name}-bar: rows {band[0]}-{band[-1]}, usable {scr.row_count(y, usable)} px, "
            f"kernel {scr.row_count(y, kernel)} px, hatched holes {holes} px")


def read_cells(scr, g, font, rgb):
    """Console cells as glyph keys; None for a cell that is not a clean glyph."""
    fw, fh, scale, cols, rows, cx, cy = g[2], g[3], g[4], g[5], g[6], g[7], g[8]
    normal = (rgb_bytes(rgb["RGB_BACKGROUND"]), rgb_bytes(rgb["RGB_TEXT"]))
    alert = (rgb_bytes(rgb["RGB_ALERT_BG"]), rgb_bytes(rgb["RGB_ALERT_FG"]))
    out = []
    for r in range(rows):
        row = []
        for c in range(cols):
            x0, y0 = cx + c * fw * scale, cy + r * fh * scale
            # One sample per font pixel (the top-left of its scale x scale block).
            px = [[scr.at(x0 + gx * scale, y0 + gy * scale) for gx in range(fw)] for gy in range(fh)]
            bg, fg = alert if any(alert[0] in line for line in px) else normal
            clean = all(p in (bg, fg) for line in px for p in line)
            key = tuple(sum(1 << (fw - 1 - gx) for gx, p in enumerate(line) if p == fg) for line in px)
            row.append(key if clean else None)
        out.append(row)
    return out


def check_text(name, scr, g, font, rgb, lines, from_first=False):
    fw, fh, glyphs = font
    if (fw, fh) != (g[2], g[3]):
        return f"FAIL {name}-text: font file is {fw}x{fh}, kernel drew {g[2]}x{g[3]}"
    cols, blank = g[5], glyphs[ord(" ")]
    names = {}
    for cp in range(0x20, 0x7F):
        names.setdefault(glyphs.get(cp, glyphs[ord("?")]), chr(cp))

    def strip(keys):
        while keys and keys[-1] == blank:
            keys = keys[:-1]
        return keys
    shown = [strip(row) for row in read_cells(scr, g, font, rgb)]
    if any(None in row for row in shown):
        r = next(i for i, row in enumerate(shown) if None in row)
        return f"FAIL {name}-text: console row {r} has a cell that is not a clean glyph"
    while shown and not shown[-1]:
        shown.pop()
    want, want_text = [], []
    for line in lines:
        # As the kernel draws them: tabs to stops of 8, control bytes as '?'.
        line = "".join("?" if ord(ch) < 0x20 else ch for ch in line.expandtabs(8))
        keys = [glyphs.get(ord(ch), glyphs[ord("?")]) for ch in line]
        for i in range(0, max(len(keys), 1), cols):
            want.append(strip(keys[i:i + cols]))
            want_text.append(line[i:i + cols].rstrip())
    text = ["".join(names.get(k, "?") for k in row) for row in shown]
    if not shown:
        return f"FAIL {name}-text: the console is empty"
    if not any(t.startswith("pagoda: result=") for t in text):
        return f"FAIL {name}-text: no result= line on screen; last row reads {text[-1]!r}"
    if from_first and shown[0] != want[0]:
        return (f"FAIL {name}-text: console row 0 reads {text[0]!r}, "
                f"the serial log starts with {want_text[0]!r}")
    if not any(want[s:s + len(shown)] == shown for s in range(len(want) - len(shown) + 1)):
        # Line the last result= rows up and name the first row that differs.
        off = (max(i for i, t in enumerate(want_text) if t.startswith("pagoda: result=")) -
               max(i for i, t in enumerate(text) if t.startswith("pagoda: result=")))
        r = next((r for r in range(len(shown)) if not 0 <= r + off < len(want) or
                  want[r + off] != shown[r]), 0)
        log = want_text[r + off] if 0 <= r + off < len(want) else "(nothing)"
        return f"FAIL {name}-text: console row {r} reads {text[r]!r}, the serial log has {log!r}"
    return f"PASS {name}-text: {len(shown)} rows read back match the serial log, ending {text[-1]!r}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", default="screen")
    ap.add_argument("--image", required=True, help="screendump, PPM")
    ap.add_argument("--log", required=True, help="serial log of the same boot")
    ap.add_argument("--font", required=True, help="the PSF font the kernel embedded")
    ap.add_argument("--source", default="kernel/fbcon.c", help="where the palette is defined")
    ap.add_argument("--png", help="write the screen here as PNG")
    ap.add_argument("--scale", type=int, default=0, help="expected font scale (0: any)")
    ap.add_argument("--early", action="store_true",
                    help="the kernel stopped before its picture: whole log from the loader's banner")
    a = ap.parse_args()

    w, h, pixels = read_ppm(a.image)
    if a.png:
        write_png(a.png, w, h, pixels)
    scr = Screen(w, h, pixels)
    rgb, types = read_palette(a.source)
    if a.early:
        font = read_psf(a.font)
        consts = source_constants([a.source, a.source.replace("fbcon.c", "fbcon_internal.h")])
        lines = log_lines(a.log, "Pagoda ")
        g = early_geometry(w, h, font, consts)
        msg = check_text(a.name, scr, g, font, rgb, lines, from_first=True)
        print(msg)
        return 0 if msg.startswith("PASS") else 1
    lines = kernel_lines(a.log)
    g, msg = check_report(a.name, lines, w, h, a.scale)
    results = [msg]
    if g:
        results.append(check_bar(a.name, scr, g[8], rgb, types))
        results.append(check_text(a.name, scr, g, read_psf(a.font), rgb, lines))
    print("\n".join(results))
    return 0 if all(r.startswith("PASS") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
