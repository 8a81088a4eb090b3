/* PSF font parser: validates the header against the buffer before any
 * glyph is touched, then builds a Latin-1 code point -> glyph map from the
 * Unicode table (fonts such as Debian's Lat15-* order their glyphs by
 * code page, not by ASCII, so the table is not optional for them). */
#include "psf.h"

#define PSF1_MAGIC0        0x36
#define PSF1_MAGIC1        0x04
#define PSF1_HEADER_SIZE   4
#define PSF1_MODE512       0x01     /* 512 glyphs instead of 256 */
#define PSF1_MODEHASTAB    0x02     /* Unicode table follows the glyphs */
#define PSF1_MODESEQ       0x04     /* ... with sequences (implies a table) */
#define PSF1_GLYPHS        256
#define PSF1_WIDTH         8
#define PSF1_SEPARATOR     0xFFFF   /* ends one glyph's table entry */
#define PSF1_STARTSEQ      0xFFFE   /* the rest of the entry is sequences */

#define PSF2_MAGIC         0x864AB572U   /* bytes 72 b5 4a 86 */
#define PSF2_HEADER_SIZE   32
#define PSF2_MAX_VERSION   0
#define PSF2_HAS_UNICODE_TABLE 0x01
#define PSF2_SEPARATOR     0xFF
#define PSF2_STARTSEQ      0xFE

#define MAP_UNSET          0xFFFF   /* map entry the table did not name yet */
#define REPLACEMENT_CHAR   '?'

/* The buffer is an embedded blob of any alignment: read bytes, not words. */
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

static void map_set(struct psf_font *f, uint32_t cp, uint32_t glyph)
{
    if (cp < PSF_MAP_SIZE && f->map[cp] == MAP_UNSET)
        f->map[cp] = (uint16_t)glyph;
}

/* PSF1 table: per glyph, u16 code points up to PSF1_SEPARATOR; values after
 * PSF1_STARTSEQ are combining sequences, which a cell console cannot draw. */
static int parse_table1(struct psf_font *f, const uint8_t *p, const uint8_t *end)
{
    for (uint32_t g = 0; g < f->glyph_count; g++) {
        bool in_seq = false;
        for (;;) {
            if (end - p < 2)
                return -E_INVAL;
            uint32_t v = le16(p);
            p += 2;
            if (v == PSF1_SEPARATOR)
                break;
            if (v == PSF1_STARTSEQ)
                in_seq = true;
            else if (!in_seq)
                map_set(f, v, g);
        }
    }
    return 0;
}

/* One UTF-8 code point at *pp (advanced). -1 on a malformed or truncated
 * sequence. The table's markers 0xFE/0xFF never start valid UTF-8. */
static long utf8_next(const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    uint32_t lead = *p++, cp;
    int more;

    if (lead < 0x80) { cp = lead; more = 0; }
    else if ((lead & 0xE0) == 0xC0) { cp = lead & 0x1F; more = 1; }
    else if ((lead & 0xF0) == 0xE0) { cp = lead & 0x0F; more = 2; }
    else if ((lead & 0xF8) == 0xF0) { cp = lead & 0x07; more = 3; }
    else return -1;
    for (; more; more--, p++) {
        if (p == end || (*p & 0xC0) != 0x80)
            return -1;
        cp = cp << 6 | (*p & 0x3F);
    }
    *pp = p;
    return cp;
}

static int parse_table2(struct psf_font *f, const uint8_t *p, const uint8_t *end)
{
    for (uint32_t g = 0; g < f->glyph_count; g++) {
        bool in_seq = false;
        for (;;) {
            if (p == end)
                return -E_INVAL;
            if (*p == PSF2_SEPARATOR) {
                p++;
                break;
            }
            if (*p == PSF2_STARTSEQ) {
                in_seq = true;
                p++;
                continue;
            }
            long cp = utf8_next(&p, end);
            if (cp < 0)
                return -E_INVAL;
            if (!in_seq)
                map_set(f, (uint32_t)cp, g);
        }
    }
    return 0;
}

/* Header fields -> *f, and where the glyphs and the table start. */
static int parse_header(struct psf_font *f, const uint8_t *b, size_t size, size_t *glyph_off,
                        bool *has_table)
{
    if (size >= PSF1_HEADER_SIZE && b[0] == PSF1_MAGIC0 && b[1] == PSF1_MAGIC1) {
        f->version = 1;
        f->glyph_count = (b[2] & PSF1_MODE512) ? 2 * PSF1_GLYPHS : PSF1_GLYPHS;
        f->width = PSF1_WIDTH;
        f->height = b[3];
        f->glyph_bytes = b[3];
        *has_table = (b[2] & (PSF1_MODEHASTAB | PSF1_MODESEQ)) != 0;
        *glyph_off = PSF1_HEADER_SIZE;
        return 0;
    }
    if (size < PSF2_HEADER_SIZE || le32(b) != PSF2_MAGIC || le32(b + 4) > PSF2_MAX_VERSION)
        return -E_INVAL;
    uint32_t header_size = le32(b + 8);
    if (header_size < PSF2_HEADER_SIZE || header_size > size)
        return -E_INVAL;
    f->version = 2;
    *has_table = (le32(b + 12) & PSF2_HAS_UNICODE_TABLE) != 0;
    f->glyph_count = le32(b + 16);
    f->glyph_bytes = le32(b + 20);
    f->height = le32(b + 24);
    f->width = le32(b + 28);
    *glyph_off = header_size;
    return 0;
}

int psf_parse(struct psf_font *f, const void *data, size_t size)
{
    const uint8_t *b = data;
    size_t glyph_off;
    bool has_table;

    *f = (struct psf_font){ 0 };
    if (parse_header(f, b, size, &glyph_off, &has_table))
        return -E_INVAL;
    f->row_bytes = (f->width + 7) / 8;
    /* Sizes are checked one at a time so no product can overflow: height
     * and row_bytes are small once bounded, and glyph_count is bounded by
     * the bytes actually present. */
    if (f->width == 0 || f->width > PSF_MAX_WIDTH || f->height == 0 ||
        f->height > PSF_MAX_HEIGHT || f->glyph_bytes != f->height * f->row_bytes ||
        f->glyph_count == 0 || f->glyph_count > (size - glyph_off) / f->glyph_bytes)
        return -E_INVAL;
    f->glyphs = b + glyph_off;

    const uint8_t *table = f->glyphs + (size_t)f->glyph_count * f->glyph_bytes;
    for (uint32_t c = 0; c < PSF_MAP_SIZE; c++)
        f->map[c] = has_table ? MAP_UNSET : (c < f->glyph_count ? (uint16_t)c : MAP_UNSET);
    if (has_table) {
        int rc = f->version == 1 ? parse_table1(f, table, b + size)
                                 : parse_table2(f, table, b + size);
        if (rc)
            return rc;
    }
    uint16_t fallback = f->map[REPLACEMENT_CHAR] == MAP_UNSET ? 0 : f->map[REPLACEMENT_CHAR];
    for (uint32_t c = 0; c < PSF_MAP_SIZE; c++)
        if (f->map[c] == MAP_UNSET)
            f->map[c] = fallback;
    return 0;
}

const uint8_t *psf_glyph(const struct psf_font *f, uint32_t c)
{
    uint32_t g = f->map[c < PSF_MAP_SIZE ? c : REPLACEMENT_CHAR];
    return f->glyphs + (size_t)g * f->glyph_bytes;
}
